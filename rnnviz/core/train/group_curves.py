"""A run's curves for the comparison, whatever its shape: which curve is the run's, per shape.

Runs compared are drawn on three shared plots (loss, ||dL/dh_t||, the Jacobian chain). A
one-way stack has one profile and one chain. The other shapes have more than one stack, and
each is drawn as the single-run panels draw it, from the same numbers:

unidirectional      one profile (top layer) and one chain (top layer)
bidirectional       a profile per direction, both in input order ("forward", "backward"), and
                    each direction's chain over its own reading order
encoder-decoder     one profile over the joined time axis (the source's steps in source order,
                    then the decoder's), ``divider`` the first decoder step, as the gradients
                    panel draws it; a chain per stack ("encoder", "decoder"), each its own lags
vector-to-sequence  the decoder's profile ("decoder") and, beside it, ||dL_t/dv|| of the first
                    sequence ("code vector": how strongly step t's own error reaches the code,
                    as the gradients panel shows it for its sample); the decoder's chain

Profiles are batch means of ||dL/dh_t|| over the measured batch (over the sequences still
running, when padded), the chain that of its first sequence (cut to its real steps): the same
functions, on the same trace, as the single-run snapshot's ``grad_hidden_mean`` /
``part_grad_mean`` and ``diagnostics.parts[...].chain_log10``. Horizons are each stack's own, in
its processing order (the backward direction's counted from the sequence's end, where it starts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.diagnostics.chain import chain_log_norms
from rnnviz.core.diagnostics.summary import gradient_horizon
from rnnviz.core.nn.clamp import effective_model
from rnnviz.core.nn.shapes import shape_name
from rnnviz.core.nn.shapes.parts import part_model, trim
from rnnviz.core.train.parts import batch_mean, grad_norms, part_steps, side_by_side
from rnnviz.core.train.records import LastBatch

TO_LOG10 = 1.0 / np.log(10.0)  # as the diagnostics' summary turns natural logs into log10
CODE_VECTOR = "code vector"  # a vector-to-sequence net's extra profile: ||dL_t/dv||


@dataclass(frozen=True)
class RunCurves:
    """One network's curves on one batch (copies)."""

    shape: str  # "unidirectional", "bidirectional", "encoder-decoder", "vector-to-sequence"
    profiles: dict  # name -> (T,) batch-mean ||dL/dh_t||, top layer, input time axis; "" for the one curve
    chains: dict  # name -> (K+1,) log10 ||dh_K/dh_{K-k}|| of the first sequence, top layer, own lags
    horizons: dict  # name -> gradient horizon of that stack, in its processing order
    divider: int | None = None  # encoder-decoder: the first decoder step on the profile's axis


def run_curves(model, inputs, targets) -> RunCurves:
    """The curves of ``model`` on the batch (``inputs``, ``targets``), as its shape draws them."""
    with np.errstate(all="ignore"):
        _, grads, trace = model.loss_and_grads(inputs, targets)
        last = LastBatch(inputs, targets, None, trace, grads)
        top = model.config.num_layers - 1
        running = model if getattr(model, "clamp", None) is None else effective_model(model)
        first = trace if trace.lengths is None else trim(trace, int(trace.lengths[0]))  # sample 0's real steps
        stacks = dict(first.parts) if first.parts else {"": first}
        chains = {name: _log10_chain(part_model(running, part) if part is not first else running, part, top)
                  for name, part in stacks.items()}
        horizons = {name: _horizon(part, top) for name, part in (trace.parts or {"": trace}).items()}
        if side_by_side(trace):  # a bidirectional net: one curve per direction, input order
            means = last.part_grad_mean  # (T, L, P)
            profiles = {name: means[:, top, p].astype(float) for p, name in enumerate(trace.parts)}
        else:  # one stack, or stacks one after the other on the joined time axis
            only = next(iter(trace.parts)) if len(trace.parts) == 1 else ""  # a vector-to-sequence net's decoder
            profiles = {only: last.grad_mean[:, top].astype(float)}  # (T,)
        if hasattr(model, "vector_gradients"):  # the first sequence's, as its chain and the panel's sample
            # (one backward sweep per step: over the whole batch it cost as much as the rest of the curves)
            first_in, first_out = np.asarray(inputs)[:, :1], np.asarray(targets)[:, :1]
            profiles[CODE_VECTOR] = model.vector_gradients(first_in, first_out)[:, 0].astype(float)  # (U,)
        steps = part_steps(trace)
    return RunCurves(shape_name(model.config), profiles, chains, horizons,
                     int(steps[0]) if len(steps) > 1 else None)


def _log10_chain(model, trace, top: int) -> np.ndarray:
    log_chain, _ = chain_log_norms(model, trace, top, 0)  # (K+1,) natural logs
    return log_chain * TO_LOG10


def _horizon(part, top: int) -> int:
    """The stack's horizon from its batch-mean profile in its own processing order."""
    return gradient_horizon(batch_mean(grad_norms(part.grad_hidden), part.lengths)[:, top])


def headline(curves: RunCurves) -> tuple[float, int]:
    """(log10 ||dh_T/dh_0|| across the whole window, gradient horizon): the one chain and horizon a
    sweep keeps per run. A one-way stack's (top layer); a bidirectional net's longer-reaching
    direction (an input reaches the loss through either); an encoder-decoder's encoder, which every
    gradient to the source crosses; a vector-to-sequence net's decoder."""
    if curves.shape == "bidirectional":
        return (float(max(chain[-1] for chain in curves.chains.values())), int(max(curves.horizons.values())))
    name = "encoder" if curves.shape == "encoder-decoder" else next(iter(curves.chains))
    return float(curves.chains[name][-1]), int(curves.horizons[name])
