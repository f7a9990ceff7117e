"""Where a training step first went non-finite, said for people, and the plain loss of outputs.

The trainer checks every step before it changes anything; these functions find the first NaN or
Inf (the hidden state's layer and timestep, or the parameter whose gradient overflowed) so the
message names where a blow-up starts.
"""

from __future__ import annotations

import math

import numpy as np

from rnnviz.core.nn.losses import cross_entropy, squared_error


def forward_problem(loss: float, trace) -> str:
    """Where the forward pass first went non-finite ("" if it did not)."""
    if math.isfinite(loss) and _finite(trace, "hidden"):
        return ""  # one pass, no temporary: the usual case
    where = _first_bad_timestep("hidden state", trace.hidden)
    for name, values in trace.extras.items():
        where = where or _first_bad_timestep(name, values)
    if where:
        return where
    return "" if math.isfinite(loss) else f"loss is {_kind(loss)} (outputs overflowed)"


def finite_pass(entry) -> bool:
    """Are a traced batch's hidden states, dL/dh_t and gradients all finite?"""
    trace, grads = entry.trace, entry.grads
    return _finite(trace, "hidden") and _finite(trace, "grad_hidden") and all(map(_all_finite, grads.values()))


def _all_finite(values: np.ndarray) -> bool:
    """One sum decides the usual case without a temporary; a sum that overflows (finite values
    near the float's edge, as just before a blow-up) is checked element by element."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(values.sum())
    return math.isfinite(total) or bool(np.isfinite(values).all())


def _finite(trace, name: str) -> bool:
    """Is every value of ``trace.<name>`` finite? Read stack by stack where the trace has parts, so a
    bidirectional trace need not join its directions for the check."""
    stacks = trace.parts.values() if trace.parts else (trace,)
    return all(_all_finite(getattr(stack, name)) for stack in stacks)


def _first_bad_timestep(label: str, values: np.ndarray) -> str:
    bad = ~np.isfinite(values)  # (T, L, B, H)
    if not bad.any():
        return ""
    t, layer = np.argwhere(bad.any(axis=(2, 3)))[0]
    return f"{label}, layer {layer}, t={t} is {_kind(values[t, layer][bad[t, layer]][0])}"


def gradient_problem(grad_sq: dict, grads: dict, num_layers: int) -> str:
    """The first parameter, in backward order, whose gradient is not finite ("" if none)."""
    if all(map(math.isfinite, grad_sq.values())):
        return ""
    order = ["out.weight", "out.bias"]
    for layer in range(num_layers - 1, -1, -1):
        order += [f"weight_hh_l{layer}", f"bias_hh_l{layer}", f"bias_ih_l{layer}", f"weight_ih_l{layer}"]
    order += [name for name in grads if name not in order]  # other shapes' parameters (..._reverse)
    for name in order:
        if not math.isfinite(grad_sq[name]):
            g = grads[name]
            finite = np.isfinite(g)
            if finite.all():
                return f"gradient of {name} is too large to measure (norm beyond the float range)"
            return f"gradient of {name} is {_kind(g[~finite][0])}"
    return ""


def _kind(value) -> str:
    return "NaN" if math.isnan(value) else "Inf"


def loss(outputs: np.ndarray, targets: np.ndarray) -> float:
    """The model's loss from outputs (T, B, Y) and targets of any of the four kinds."""
    batch = outputs.shape[1]
    integer = np.issubdtype(targets.dtype, np.integer)
    scored = outputs if targets.ndim == (2 if integer else 3) else outputs[-1]
    loss, _ = (cross_entropy if integer else squared_error)(scored, targets, batch)
    return float(loss)
