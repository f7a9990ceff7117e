"""The vanilla cells (tanh, ReLU, linear): h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),
with the backward sweep right below the forward sweep."""

from __future__ import annotations

import numpy as np

from rnnviz.core.nn.cells.base import CellGrads, CellRun, add_bias

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
