"""``--weights FILE`` for ``rnnviz run``: a run that starts from a PyTorch network's weights.

The weights fix the network (cell, sizes, layers, readout), so the flags that would build
another one are refused; ``--cell`` only chooses tanh or relu for an ``nn.RNN``, whose weights
cannot tell. What was read is confirmed in one line on stdout before training starts, and
each warning (no readout, no biases) is one line ``rnnviz: warning: ...`` on stderr.
"""

from __future__ import annotations

import sys

from rnnviz.core.errors import UserError

# flags that would build a network of their own: the weights already are one
BUILDING_FLAGS = (("hidden", "--hidden"), ("layers", "--layers"), ("init", "--init"),
                  ("init_scale", "--init-scale"), ("recurrent_scale", "--recurrent-scale"),
                  ("forget_bias", "--forget-bias"), ("bidirectional", "--bidirectional"), ("arch", "--arch"),
                  ("context", "--context"), ("reverse_source", "--reverse-source"),
                  ("decoder_hidden", "--decoder-hidden"), ("decoder_cell", "--decoder-cell"))


def add_arguments(group) -> None:
    group.add_argument("--weights", metavar="FILE",
                       help="start from a PyTorch network's weights: a .safetensors file (or .pt/.pth with "
                            "PyTorch installed) holding the state_dict of an nn.RNN/nn.LSTM/nn.GRU and its "
                            "nn.Linear readout (see README, PyTorch); --steps 0 only exports the views")
    group.add_argument("--prefix", metavar="NAME",
                       help="with --weights: the recurrent module's name in the state_dict (default rnn., "
                            "or the only one in the file)")
    group.add_argument("--readout", metavar="NAME",
                       help="with --weights: the nn.Linear readout's name (default out., or the only one "
                            "that fits)")


def check_flags(args) -> None:
    """Refuse combinations that cannot mean anything, before any file is read."""
    if args.weights is None:
        stray = [flag for flag, value in (("--prefix", args.prefix), ("--readout", args.readout)) if value]
        if stray:
            raise UserError(f"{' and '.join(stray)} name tensors in a weights file; use with --weights FILE")
        return
    if args.resume is not None:
        raise UserError("--weights and --resume exclude each other: a resumed run has its own weights")
    given = [flag for name, flag in BUILDING_FLAGS if getattr(args, name, None) not in (None, False)]
    if given:
        raise UserError(f"{', '.join(given)} cannot change the network read from {args.weights} (its sizes "
                        f"come from the weights); leave {'it' if len(given) == 1 else 'them'} out")


def with_weights(args, trainer):
    """With ``--weights``: a run on ``trainer``'s data and training settings that starts from the
    file's network (read, confirmed in one line, checked against the data); else ``trainer``."""
    if args.weights is None:
        return trainer
    from rnnviz.core.nn.exchange import read_weights
    from rnnviz.core.train.imported import trainer_from_weights

    weights = read_weights(args.weights, prefix=args.prefix, readout=args.readout, cell=args.cell,
                           dtype=args.dtype or "float64")
    print(f"weights: {weights.summary('--cell relu if it was trained with ReLU')}", flush=True)
    for warning in weights.warnings:
        print(f"rnnviz: warning: {warning}", file=sys.stderr, flush=True)
    return trainer_from_weights(weights, trainer.source, trainer.train_config, source_spec=trainer.source_spec,
                                seed=trainer.model_config.seed)
