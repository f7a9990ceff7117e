"""Recurrent cells: each one's forward sweep over time, and right below it, its backward sweep.

A cell sees one layer. The model has already projected the layer's input for every step at
once (``xproj = x W_ih^T + b_ih``, shape (T, B, G·H) with G gates), so the only Python loop
here is the one over time that a recurrence cannot avoid. States are tuples so that cells
with more than one state (the LSTM's (h, c)) fit the same interface.

Ownership: with ``overwrite_xproj=True``, ``forward`` turns ``xproj`` itself into the hidden
states or the gates (saving a (T, B, G·H) copy); the vanilla ``backward`` with
``overwrite_dhidden=True`` turns ``dhidden`` into dL/da_t. The model passes True because it
allocates both anew in every call; so everything a cell returns is new memory that no later
call touches, and a Trace stays valid for as long as anyone keeps it. The defaults (False)
leave the caller's arrays alone.

Shapes: T steps, B batch, H hidden units, G gates (1 for the vanilla cells, 4 for the LSTM,
3 for the GRU). The gated cells live in their own files (lstm.py, gru.py) and share the two
records and the ``sigmoid`` below.

Every cell has: ``name``, ``gates``, ``state_names``, ``gamma`` (the constant of the bound
(gamma * sigma_max(W_hh))^k, or None where no such bound holds), ``forward``, ``backward``,
``step_jacobians`` over its full recurrent state (S = H, or 2H for the LSTM's (h, c)), and
``recurrent_grads`` (dL/d(W_hh h_{t-1} + b_hh) per step, from a trace).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class CellRun:
    """What a cell's forward sweep keeps for its backward sweep and for the plots."""

    hidden: np.ndarray  # (T, B, H) h_1 .. h_T
    state0: tuple  # each (B, H): the state before step 1
    state_last: tuple  # each (B, H): the state after step T, to carry into the next window
    extras: dict = field(default_factory=dict)  # per-cell arrays for plots (gates, cell state)
    cache: dict = field(default_factory=dict)  # private arrays the backward sweep needs


@dataclass
class CellGrads:
    dxproj: np.ndarray  # (T, B, G*H)  dL/d(x W_ih^T + b_ih)
    dw_hh: np.ndarray  # (G*H, H)
    db_hh: np.ndarray  # (G*H,)
    dstate0: tuple  # each (B, H)
    grad_hidden: np.ndarray  # (T, B, H) total dL/dh_t: from above at t and from step t+1
    extras: dict = field(default_factory=dict)  # e.g. the LSTM's dL/dc_t


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function in place, as 0.5 * (1 + tanh(a / 2)): no overflow for any a,
    no temporary arrays, and the dtype (float32 or float64) is kept. Returns ``a``."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1
    a *= 0.5
    return a


def add_bias(xproj: np.ndarray, b_hh, overwrite: bool) -> np.ndarray:
    """xproj + b_hh (b_hh None: already added), in place when ``overwrite``, else a new array."""
    if b_hh is None:
        return xproj if overwrite else xproj.copy()
    return np.add(xproj, b_hh, out=xproj if overwrite else None)


class VanillaCell:
    """h_t = phi(xproj_t + W_hh h_{t-1} + b_hh), phi in {tanh, relu, linear}."""

    gates = 1
    state_names = ("h",)
    # b_ih and b_hh add to the same pre-activation: the model adds their sum with the input
    # projection (one pass fewer over (T, B, H)), passes b_hh=None, and takes dL/db_ih = dL/db_hh
    sums_biases = True
    # gamma: the largest value phi' can take, used by the bound (gamma * sigma_max(W_hh))^k
    GAMMA = {"tanh": 1.0, "relu": 1.0, "linear": 1.0}

    def __init__(self, activation: str) -> None:
        if activation not in self.GAMMA:
            raise ValueError(f"cell must be one of tanh, relu, linear, got {activation!r}")
        self.name = activation
        self.gamma = self.GAMMA[activation]

    def activate(self, a: np.ndarray) -> None:
        """Apply phi in place."""
        if self.name == "tanh":
            np.tanh(a, out=a)
        elif self.name == "relu":
            np.maximum(a, 0, out=a)

    def derivative(self, hidden: np.ndarray) -> np.ndarray:
        """phi'(a_t) computed from the stored outputs h_t = phi(a_t); same shape as ``hidden``."""
        if self.name == "tanh":
            return 1 - hidden * hidden
        if self.name == "relu":
            slope = (hidden > 0).astype(hidden.dtype)
            slope[np.isnan(hidden)] = np.nan  # an overflowed state has no slope: never read it as "off"
            return slope
        return np.ones_like(hidden)

    def scale_by_derivative(self, grad: np.ndarray, hidden: np.ndarray, out: np.ndarray) -> None:
        """out = grad * phi'(a) from the outputs h = phi(a), with no temporary array.

        The backward sweep's per-step form of ``grad * derivative(hidden)``; ``out`` may be ``grad``.
        tanh: phi' = 1 - h^2, so out = grad - (grad * h) * h.
        """
        if self.name == "tanh":
            np.multiply(grad, hidden, out=out)
            out *= hidden
            np.subtract(grad, out, out=out)
        elif self.name == "relu":
            np.multiply(grad, hidden > 0, out=out)
        elif out is not grad:
            np.copyto(out, grad)

    def step_jacobians(self, w_hh, hidden, state0, extras) -> np.ndarray:
        """J_t = dh_t/dh_{t-1} = diag(phi'(a_t)) W_hh for one sample: (T, H, H).

        hidden (T, H) and state0 ((H,),) and extras {name: (T, H)} are one sample of one layer.
        Every cell offers this, over its full recurrent state, for the Jacobian-chain diagnostics.
        """
        return self.derivative(hidden)[:, :, None] * w_hh[None, :, :]

    def recurrent_grads(self, hidden, state0, extras, grad_hidden) -> np.ndarray:
        """dL/d(W_hh h_{t-1} + b_hh) at every step for one sample: (T, G*H).

        hidden, grad_hidden (T, H); state0, extras as for ``step_jacobians``. Step t's share of
        dL/dW_hh is the outer product of row t with h_{t-1}; summed over steps and samples it is
        the whole gradient. Every cell offers this, for the per-step weight-gradient plots.
        """
        return grad_hidden * self.derivative(hidden)

    def forward(self, xproj, w_hh, b_hh, state0, offset=None, overwrite_xproj=False) -> CellRun:
        # xproj (T, B, H) = x W_ih^T + b_ih; with overwrite_xproj it becomes h_1 .. h_T in place
        # w_hh (H, H); b_hh (H,), or None when xproj already holds it (sums_biases); state0 ((B, H),)
        # offset (T, B, H) or None: added to h_t after phi; only for probing dL/dh_t in tests
        steps = xproj.shape[0]
        hidden = add_bias(xproj, b_hh, overwrite_xproj)  # (T, B, H)
        # (H, H) W_hh^T made contiguous once: BLAS multiplies a plain (NN) operand ~8 % faster than
        # a transposed view at B = 32, H = 256, and the copy costs one of the T products' reads
        w_hh_t = np.ascontiguousarray(w_hh.T)
        recurrent = np.empty_like(hidden[0])  # (B, H) h_{t-1} W_hh^T, reused every step
        (h,) = state0
        for t in range(steps):
            a = hidden[t]  # (B, H), contiguous
            np.matmul(h, w_hh_t, out=recurrent)
            a += recurrent
            self.activate(a)
            if offset is not None:
                a += offset[t]
            h = a
        return CellRun(hidden=hidden, state0=state0, state_last=(h,))

    def backward(self, run: CellRun, dhidden: np.ndarray, w_hh: np.ndarray, grad_hidden=None,
                 overwrite_dhidden=False) -> CellGrads:
        # dhidden (T, B, H): dL/dh_t arriving from above (readout or the next layer) at each step;
        #   with overwrite_dhidden it is overwritten in place with dL/da_t
        # grad_hidden (T, B, H) or None: where to write the total dL/dh_t (may be a strided view)
        hidden = run.hidden  # (T, B, H)
        steps = hidden.shape[0]
        if grad_hidden is None:
            grad_hidden = np.empty_like(hidden)
        da = dhidden if overwrite_dhidden else np.empty_like(hidden)  # (T, B, H) dL/da_t, step by step
        carry = np.zeros_like(hidden[0])  # (B, H) dL/dh_t arriving from step t+1
        for t in range(steps - 1, -1, -1):
            g = grad_hidden[t]  # (B, H)
            np.add(dhidden[t], carry, out=g)
            self.scale_by_derivative(g, hidden[t], out=da[t])
            np.matmul(da[t], w_hh, out=carry)
        (h0,) = run.state0
        hid = hidden.shape[2]
        dw_hh = da[0].T @ h0  # (H, H)
        if steps > 1:
            dw_hh += da[1:].reshape(-1, hid).T @ hidden[:-1].reshape(-1, hid)
        db_hh = da.reshape(-1, hid).sum(axis=0)  # (H,)
        return CellGrads(dxproj=da, dw_hh=dw_hh, db_hh=db_hh, dstate0=(carry,), grad_hidden=grad_hidden)


def make_cell(name: str):
    """The cell object for a ``ModelConfig.cell`` name."""
    # imported here, not at the top: lstm.py and gru.py import CellRun/CellGrads from this module
    from rnnviz.core.gru import GRUCell
    from rnnviz.core.lstm import LSTMCell

    if name in VanillaCell.GAMMA:
        return VanillaCell(name)
    if name == "lstm":
        return LSTMCell()
    if name == "gru":
        return GRUCell()
    raise ValueError(f"cell must be one of tanh, relu, linear, lstm, gru, got {name!r}")
