"""Side by side: the current run's gradient profile against a tanh network's on the same data.

To *see* the gated cells' cure: train a tanh "twin" with everything else equal
(the same data from the same start, the same sizes, weight seed, optimizer, learning rate,
clipping and batch seed), for as many steps as the current run (capped, see MAX_TWIN_STEPS),
then run both networks on one shared batch and compare the batch-mean ||dL/dh_t|| per
timestep and the gradient horizons. Plain numpy, no threads: the window calls
``compare_with_tanh`` on its worker thread and stops it through ``should_stop``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np

from rnnviz.core.diagnostics import summary as diagnostics
from rnnviz.core.errors import UserError
from rnnviz.core.nn.shapes import make_model
from rnnviz.core.train.records import LastBatch

MAX_TWIN_STEPS = 500  # a tanh twin at the presets' size trains 500 steps in a few seconds; a longer
#                      run is compared with a twin trained this far (and the result says so)
TWIN_CELL = "tanh"  # the vanilla cell of the seed articles, whose gradient vanishes


@dataclass(frozen=True)
class Comparison:
    """Both gradient profiles on one shared batch, with what it took to get them (copies)."""

    cell: str  # the current run's cell
    steps: int  # training steps the current network had when compared
    twin_steps: int  # training steps the tanh twin had (min(steps, cap), fewer if it diverged)
    capped: bool  # True when the twin stopped at MAX_TWIN_STEPS before reaching ``steps``
    profile: np.ndarray  # (T,) current network: batch-mean ||dL/dh_t||, top layer
    twin_profile: np.ndarray  # (T,) the tanh twin, same batch
    horizon: int  # diagnostics.gradient_horizon of ``profile``
    twin_horizon: int
    loss: float  # each network's loss on the shared batch
    twin_loss: float
    twin_status: str  # "finished", "diverged" or "stopped" (asked to stop)
    twin_divergence: str  # where the twin's first NaN/Inf appeared, when it diverged
    batch: str  # which batch the profiles come from, for people


def tanh_twin(trainer):
    """A fresh Trainer equal to ``trainer``'s start except for the cell (tanh): the same data
    from the same cursor, the same sizes, weight seed, optimizer and batch seed."""
    from rnnviz.core.train.trainer import Trainer

    source = _fresh_source(trainer)
    model_config = replace(trainer.model_config, cell=TWIN_CELL)
    return Trainer(source, model_config, trainer.train_config, source_spec=trainer.source_spec)


def _fresh_source(trainer):
    """The current run's data, rewound to where the run started: rebuilt from its spec when it
    has one, else a copy of the source set back to its starting state."""
    spec = getattr(trainer, "source_spec", None)
    if spec is not None:
        from rnnviz.core.data.build import build_source

        return build_source(spec)
    source = copy.deepcopy(trainer.source)
    source.set_state(trainer.initial_source_state())
    return source


def shared_batch(trainer) -> tuple[np.ndarray, np.ndarray, str]:
    """(inputs, targets, description): the source's held-out batch, else a training batch drawn
    from a copy of the data with the run's batch seed (so both networks see the same numbers)."""
    tc = trainer.train_config
    batch = trainer.source.validation_batch(tc.batch_size, tc.seq_len)
    if batch is not None:
        return np.asarray(batch[0]), np.asarray(batch[1]), "the held-out batch"
    source = _fresh_source(trainer)
    inputs, targets = source.train_batch(tc.batch_size, tc.seq_len, np.random.default_rng(tc.seed))
    return np.asarray(inputs), np.asarray(targets), f"a training batch (seed {tc.seed})"


def profile_on(model, inputs, targets) -> tuple[np.ndarray, float]:
    """(batch-mean ||dL/dh_t|| of the top layer (T,), loss) of ``model`` on one batch, fresh state."""
    with np.errstate(all="ignore"):
        loss, grads, trace = model.loss_and_grads(inputs, targets, None)
        profile = LastBatch(inputs, targets, None, trace, grads).grad_mean[:, -1].astype(float)  # top layer
    return profile, float(loss)


def compare_with_tanh(trainer, max_steps: int = MAX_TWIN_STEPS, progress=None, should_stop=None) -> Comparison:
    """Train a tanh twin of ``trainer`` for min(trainer.step_count, max_steps) steps and compare.

    ``progress(done, total)`` is called after each twin step; ``should_stop()`` returning True
    ends the twin's training early (the result then says "stopped"). ``trainer`` is only read.
    Raises UserError when the run's data cannot be rebuilt.
    """
    if max_steps < 0:
        raise UserError(f"max_steps must be non-negative, got {max_steps}")
    steps = int(trainer.step_count)
    target = min(steps, int(max_steps))
    twin = tanh_twin(trainer)
    status = "finished"

    def on_step(result) -> bool:
        if progress is not None:
            progress(twin.step_count, target)
        return not (should_stop is not None and should_stop())

    if target:
        last = twin.run(target, on_step=on_step)
        if twin.status == "diverged" or (last is not None and last.diverged):
            status = "diverged"
        elif twin.step_count < target:
            status = "stopped"
    inputs, targets, description = shared_batch(trainer)
    current = make_model(trainer.model.config)  # a copy: the live weights are never touched
    current.params = {name: value.copy() for name, value in trainer.model.params.items()}
    profile, loss = profile_on(current, inputs, targets)
    twin_profile, twin_loss = profile_on(twin.model, inputs, targets)
    return Comparison(
        cell=trainer.model_config.cell, steps=steps, twin_steps=int(twin.step_count),
        capped=steps > max_steps, profile=profile, twin_profile=twin_profile,
        horizon=diagnostics.gradient_horizon(profile), twin_horizon=diagnostics.gradient_horizon(twin_profile),
        loss=loss, twin_loss=twin_loss, twin_status=status,
        twin_divergence=twin.divergence if status == "diverged" else "", batch=description)
