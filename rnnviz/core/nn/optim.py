"""Optimizers and gradient clipping, in plain numpy.

The trainer needs three things from an update rule: that it changes the parameter arrays in
place (the model and every view share them), that its state is a flat dict of arrays (so a
session can save it and a resumed run continues bitwise), and that the learning rate is an
argument of each step (the user may lower it between two steps). An update is computed first
(``propose``) and applied only if it is finite (``apply``), so a NaN never reaches the weights
nor the optimizer's memory.

Clipping follows the two classic recipes: element-wise to [-c, c] (Karpathy's min-char-rnn)
and by global norm, g <- c g / ||g|| when ||g|| > c (Pascanu, Mikolov & Bengio 2013).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnviz.core.config import CLIP_MODES, OPTIMIZERS

# state arrays each optimizer keeps per parameter; Adam also keeps a step counter "t"
_STATE_SLOTS = {"sgd": (), "momentum": ("velocity",), "adagrad": ("cache",),
                "rmsprop": ("cache",), "adam": ("m", "v")}


class Optimizer:
    """One update rule with its per-parameter state.

    ``name`` is one of OPTIMIZERS; ``params`` gives names, shapes and dtypes for the state.
    Hyperparameters other than the learning rate are fixed at construction.
    """

    def __init__(self, name: str, params: dict, *, momentum: float = 0.9, rms_decay: float = 0.99,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
        self.name = name
        self.momentum = momentum
        self.rms_decay = rms_decay
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.slots = _STATE_SLOTS[name]
        # state[slot][param name] -> array shaped like the parameter
        self.state = {slot: {k: np.zeros_like(v) for k, v in params.items()} for slot in self.slots}
        self.t = 0  # number of updates applied (Adam's bias correction needs it)

    # ------------------------------------------------------------------ update
    def propose(self, grads: dict, lr: float):
        """The updates ``{name: delta}`` (params <- params - delta) and the state after them.

        Nothing is changed; pass the result to ``apply`` once it is known to be finite.
        """
        t = self.t + 1
        updates, new_state = {}, {slot: {} for slot in self.slots}
        for name, g in grads.items():
            if self.name == "sgd":
                delta = lr * g
            elif self.name == "momentum":  # v <- mu v + g ; p <- p - lr v  (PyTorch's form)
                v = self.momentum * self.state["velocity"][name] + g
                new_state["velocity"][name] = v
                delta = lr * v
            elif self.name == "adagrad":  # cache <- cache + g^2 ; p <- p - lr g / (sqrt(cache) + eps)
                cache = self.state["cache"][name] + g * g
                new_state["cache"][name] = cache
                delta = lr * g / (np.sqrt(cache) + self.eps)
            elif self.name == "rmsprop":  # cache <- rho cache + (1 - rho) g^2
                cache = self.rms_decay * self.state["cache"][name] + (1 - self.rms_decay) * (g * g)
                new_state["cache"][name] = cache
                delta = lr * g / (np.sqrt(cache) + self.eps)
            else:  # adam, with bias correction (Kingma & Ba 2015)
                m = self.beta1 * self.state["m"][name] + (1 - self.beta1) * g
                v = self.beta2 * self.state["v"][name] + (1 - self.beta2) * (g * g)
                new_state["m"][name], new_state["v"][name] = m, v
                m_hat = m / (1 - self.beta1 ** t)
                v_hat = v / (1 - self.beta2 ** t)
                delta = lr * m_hat / (np.sqrt(v_hat) + self.eps)
            updates[name] = delta.astype(g.dtype, copy=False)
        return updates, new_state

    def apply(self, params: dict, updates: dict, new_state: dict) -> None:
        """Subtract the updates from the parameters in place and keep the new state."""
        for name, delta in updates.items():
            params[name] -= delta
        for slot, arrays in new_state.items():
            self.state[slot].update(arrays)
        self.t += 1

    def step(self, params: dict, grads: dict, lr: float) -> float:
        """Propose and apply in one go; returns ||update||^2 summed over all parameters."""
        updates, new_state = self.propose(grads, lr)
        self.apply(params, updates, new_state)
        return sum_of_squares(updates)

    # ------------------------------------------------------------------ state for sessions
    def state_arrays(self) -> dict[str, np.ndarray]:
        """Flat copies ``{"slot/param": array, "t": array(t)}`` for saving."""
        flat = {f"{slot}/{name}": value.copy() for slot, arrays in self.state.items()
                for name, value in arrays.items()}
        flat["t"] = np.array(self.t, dtype=np.int64)
        return flat

    def load_state_arrays(self, flat: dict) -> None:
        """Restore from ``state_arrays()`` output; raises ValueError on a missing or misshapen array."""
        restored = {}
        for slot, arrays in self.state.items():
            restored[slot] = {}
            for name, current in arrays.items():
                key = f"{slot}/{name}"
                if key not in flat:
                    raise ValueError(f"optimizer state {key!r} is missing")
                value = np.asarray(flat[key])
                if value.shape != current.shape:
                    raise ValueError(f"optimizer state {key!r} has shape {value.shape}, expected {current.shape}")
                restored[slot][name] = value.astype(current.dtype, copy=True)
        if "t" not in flat:
            raise ValueError("optimizer state 't' is missing")
        self.state = restored
        self.t = int(flat["t"])


# ---------------------------------------------------------------------- clipping
@dataclass(frozen=True)
class ClipResult:
    grads: dict  # the gradients to use: the input dict itself when nothing was clipped
    norm_before: float  # global L2 norm before clipping
    norm_after: float  # global L2 norm after clipping
    fraction: float  # fraction of gradient elements changed by clipping (1.0 when the norm rule scaled all)


def clip(grads: dict, mode: str, threshold: float | None, norm_before: float | None = None) -> ClipResult:
    """Clip gradients without touching the input arrays (they stay the raw gradients).

    ``norm_before`` may be passed when the caller has computed it already.
    """
    if mode not in CLIP_MODES:
        raise ValueError(f"clip_mode must be one of {', '.join(CLIP_MODES)}, got {mode!r}")
    if norm_before is None:
        norm_before = math.sqrt(sum_of_squares(grads))
    if mode == "none":
        return ClipResult(grads, norm_before, norm_before, 0.0)
    if mode == "norm":
        if norm_before <= threshold:
            return ClipResult(grads, norm_before, norm_before, 0.0)
        scale = threshold / norm_before
        clipped = {name: g * g.dtype.type(scale) for name, g in grads.items()}
        return ClipResult(clipped, norm_before, math.sqrt(sum_of_squares(clipped)), 1.0)
    # element-wise by value
    changed = sum(int(np.count_nonzero(np.abs(g) > threshold)) for g in grads.values())
    if changed == 0:
        return ClipResult(grads, norm_before, norm_before, 0.0)
    total = sum(g.size for g in grads.values())
    clipped = {name: np.clip(g, -threshold, threshold) for name, g in grads.items()}
    return ClipResult(clipped, norm_before, math.sqrt(sum_of_squares(clipped)), changed / total)


def square_norm(array: np.ndarray) -> float:
    """||array||^2 accumulated in float64, so float32 gradients of 1e20 do not overflow."""
    flat = array.reshape(-1)
    if flat.dtype != np.float64:
        flat = flat.astype(np.float64)
    return float(np.dot(flat, flat))


def sum_of_squares(arrays: dict) -> float:
    return sum(square_norm(a) for a in arrays.values())
