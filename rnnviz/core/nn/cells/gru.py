"""The GRU cell, in PyTorch's layout, with its backward sweep right below its forward sweep.

The GRU keeps gradients alive with one state and an interpolation: h_t = (1 - z) ⊙ n + z ⊙ h_{t-1},
so dh_t/dh_{t-1} contains diag(z_t), a path that does not pass through W_hh.

PyTorch (torch.nn.GRU) conventions, kept exactly so weights move between the two by name:
gates stacked in the order r, z, n in weight_ih_l{k} (3H, X), weight_hh_l{k} (3H, H) and both
biases (3H,); the reset gate scales the recurrent part of the candidate *including* b_hn:

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
    h' = (1 - z) ⊙ n + z ⊙ h

Initialisation (rnnviz.core.nn.model): every gate block gets the model's init; ``recurrent_scale``
rescales the whole stacked W_hh (3H, H) so that its largest singular value is the setting
(it is then an upper bound for each gate block's). The normal init gives W_hh the std
init_scale/sqrt(H), sqrt(3) times PyTorch's default U(-1/sqrt(H), 1/sqrt(H)): init_scale=1/sqrt(3)
matches PyTorch's recurrent scale.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.nn.cells.base import CellGrads, CellRun, sigmoid_from_half_tanh, steps_per_chunk

GATE_NAMES = ("reset_gate", "update_gate", "candidate")  # PyTorch's r, z, n
# W_hn h_{t-1} + b_hn, the part of the candidate that r scales: kept so that step_jacobians can
# be computed from the trace alone (it needs b_hn, which the Jacobian hook is not given)
CANDIDATE_RECURRENT = "candidate_recurrent"


class GRUCell:
    name = "gru"
    gates = 3
    state_names = ("h",)
    sums_biases = False  # b_hn sits inside r * (h W_hn^T + b_hn): it cannot join b_in
    # No bound of the form (gamma * sigma_max(W_hh))^k holds for the GRU: dh_t/dh_{t-1} contains
    # diag(z_t), which does not pass through W_hh. None tells the diagnostics to draw no bound.
    gamma = None

    def init_biases(self, bias_ih: np.ndarray, bias_hh: np.ndarray, config) -> None:
        """Leave both biases at zero: ``forget_bias`` is the LSTM's; the GRU has no forget gate.

        (Its update gate z plays the "keep" role, but PyTorch starts it at zero bias too, and a
        setting labelled for the LSTM should not silently change a GRU.)
        """

    # ----------------------------------------------------------------- forward
    def forward(self, xproj, w_hh, b_hh, state0, offset=None, overwrite_xproj=False, hidden_out=None) -> CellRun:
        # xproj (T, B, 3H) = x W_ih^T + b_ih; with overwrite_xproj it becomes the gates in place
        # w_hh (3H, H); b_hh (3H,); state0 ((B, H),)
        # offset (T, B, H) or None: added to h_t after it is computed (tests probe dL/dh_t with it)
        # hidden_out (T, B, H) or None: where to write h_t (a view into a caller's larger array)
        steps, batch, width = xproj.shape
        hid = width // 3
        gates = xproj if overwrite_xproj else xproj.copy()  # (T, B, 3H) -> activated r, z, n in place
        # b_hr and b_hz join the input side at once; r's and z's pre-activations are halved
        # (exactly: a power of two), here and in W_hh's copy, so that sigmoid(a) = (1 + tanh(a/2)) / 2
        # takes one tanh call for both gates
        gates[:, :, :2 * hid] += b_hh[:2 * hid]
        gates[:, :, :2 * hid] *= 0.5
        w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, 3H), contiguous: see VanillaCell.forward
        w_hh_t[:, :2 * hid] *= 0.5
        b_hn = b_hh[2 * hid:]  # (H,)
        rec_n = np.empty((steps, batch, hid), dtype=gates.dtype)  # (T, B, H) W_hn h_{t-1} + b_hn
        hidden = np.empty_like(rec_n) if hidden_out is None else hidden_out  # (T, B, H) h_t
        recurrent = np.empty_like(gates[0])  # (B, 3H) h_{t-1} W_hh^T (halved r, z columns), every step
        scaled = np.empty_like(hidden[0])  # (B, H) r ⊙ (W_hn h + b_hn), every step
        (h,) = state0
        for t in range(steps):
            a = gates[t]  # (B, 3H), contiguous
            np.matmul(h, w_hh_t, out=recurrent)
            np.add(recurrent[:, 2 * hid:], b_hn, out=rec_n[t])
            rz = a[:, :2 * hid]
            rz += recurrent[:, :2 * hid]
            np.tanh(rz, out=rz)
            sigmoid_from_half_tanh(rz)  # r, z
            n = a[:, 2 * hid:]
            np.multiply(a[:, :hid], rec_n[t], out=scaled)
            n += scaled
            np.tanh(n, out=n)
            h_new = hidden[t]
            np.subtract(h, n, out=h_new)  # h' = n + z ⊙ (h - n)
            h_new *= a[:, hid:2 * hid]
            h_new += n
            if offset is not None:
                h_new += offset[t]
            h = h_new
        blocks = gates.reshape(steps, batch, 3, hid)  # (T, B, 3, H) view
        extras = {name: blocks[:, :, k] for k, name in enumerate(GATE_NAMES)}  # each (T, B, H) view
        extras[CANDIDATE_RECURRENT] = rec_n
        return CellRun(hidden=hidden, state0=state0, state_last=(h,), extras=extras,
                       cache={"gates": gates})

    # ----------------------------------------------------------------- backward
    def backward(self, run: CellRun, dhidden: np.ndarray, w_hh: np.ndarray, grad_hidden=None,
                 overwrite_dhidden=False) -> CellGrads:
        # dhidden (T, B, H): dL/dh_t arriving from above (readout or the next layer) at each step;
        #   never overwritten here (overwrite_dhidden is accepted for the cells' common interface)
        # grad_hidden (T, B, H) or None: where to write the total dL/dh_t (may be a strided view)
        gates = run.cache["gates"]  # (T, B, 3H) activated r, z, n
        hidden = run.hidden  # (T, B, H)
        steps, batch, hid = hidden.shape
        (h0,) = run.state0
        r, z = (gates.reshape(steps, batch, 3, hid)[:, :, k] for k in range(2))  # (T, B, H) views

        # Every pre-activation gradient is dh_t times a factor known from the forward sweep: the
        # factors are computed a chunk of steps at a time, then scaled in place per step.
        drec = np.empty_like(gates)  # (T, B, 3H): factors, then dL/d(h W_hh^T + b_hh)
        factors = drec.reshape(steps, batch, 3, hid)  # (T, B, 3, H) view
        dxproj = np.empty_like(gates)  # (T, B, 3H) dL/d(x W_ih^T + b_ih): r, z as drec; n not scaled by r
        chunk = steps_per_chunk(gates[0].nbytes)
        dn_pre = np.empty((min(chunk, steps), batch, hid), dtype=hidden.dtype)  # (1-z)(1-n²), one chunk
        if grad_hidden is None:
            grad_hidden = np.empty_like(hidden)  # (T, B, H) total dL/dh_t
        carry = np.zeros_like(hidden[0])  # (B, H) dL/dh_t arriving from step t+1
        direct = np.empty_like(carry)  # (B, H) dh ⊙ z, every step
        for end in range(steps, 0, -chunk):
            start = max(0, end - chunk)
            dn = dn_pre[:end - start]
            self._factors(run, start, end, factors[start:end], dn)
            for t in range(end - 1, start - 1, -1):
                dh = grad_hidden[t]
                np.add(dhidden[t], carry, out=dh)
                factors[t] *= dh[:, None, :]
                np.matmul(drec[t], w_hh, out=carry)  # (B, 3H) @ (3H, H)
                np.multiply(dh, z[t], out=direct)
                carry += direct  # the direct path through z ⊙ h_{t-1}
            np.copyto(dxproj[start:end, :, :2 * hid], drec[start:end, :, :2 * hid])
            np.multiply(grad_hidden[start:end], dn, out=dxproj[start:end, :, 2 * hid:])
        dw_hh = drec[0].T @ h0  # (3H, H)
        if steps > 1:
            dw_hh += drec[1:].reshape(-1, 3 * hid).T @ hidden[:-1].reshape(-1, hid)
        db_hh = drec.sum(axis=(0, 1))  # (3H,)
        return CellGrads(dxproj=dxproj, dw_hh=dw_hh, db_hh=db_hh, dstate0=(carry,), grad_hidden=grad_hidden)

    @staticmethod
    def _factors(run: CellRun, start: int, end: int, out: np.ndarray, dn: np.ndarray) -> None:
        """The backward sweep's per-step factors for steps start..end-1, with no temporary arrays.

        dn (K, B, H): dh_t/d(n's pre-activation) = (1-z)(1-n²) on the diagonal; out (K, B, 3, H):
        dh_t/d(recurrent pre-activation) of r, z and n: dn (W_hn h + b_hn) r(1-r),
        (h_{t-1} - n) z(1-z) and dn r.
        """
        blocks = run.cache["gates"][start:end].reshape(end - start, *out.shape[1:])  # (K, B, 3, H)
        r, z, n = (blocks[:, :, k] for k in range(3))  # (K, B, H) views
        rec_n = run.extras[CANDIDATE_RECURRENT][start:end]  # (K, B, H)
        hidden = run.hidden  # (T, B, H)
        d_r, d_z, d_n = (out[:, :, k] for k in range(3))  # (K, B, H) views
        np.subtract(1, z, out=d_r)  # d_r holds 1 - z until its own turn
        if start > 0:
            np.subtract(hidden[start - 1:end - 1], n, out=d_z)
        else:  # step 0's h_{t-1} is h0
            np.subtract(hidden[:end - 1], n[1:], out=d_z[1:])
            np.subtract(run.state0[0], n[0], out=d_z[0])
        d_z *= z
        d_z *= d_r
        np.multiply(n, n, out=dn)
        np.subtract(1, dn, out=dn)
        dn *= d_r
        np.multiply(dn, r, out=d_n)
        np.subtract(1, r, out=d_r)
        d_r *= r
        d_r *= rec_n
        d_r *= dn

    # ----------------------------------------------------------------- Jacobians
    def step_jacobians(self, w_hh, hidden, state0, extras) -> np.ndarray:
        """J_t = dh_t/dh_{t-1} for one sample of one layer: (T, H, H).

        hidden (T, H); state0 ((H,),); extras {name: (T, H)} with the three gates and
        "candidate_recurrent".
        """
        r, z, n = (extras[name] for name in GATE_NAMES)  # (T, H) each
        rec_n = extras[CANDIDATE_RECURRENT]  # (T, H)
        hid = hidden.shape[1]
        (h0,) = state0
        h_prev = np.concatenate([np.asarray(h0)[None], hidden[:-1]])  # (T, H)
        w_r, w_z, w_n = (w_hh[k * hid:(k + 1) * hid] for k in range(3))  # (H, H) each
        dn = (1 - n * n)[:, :, None] * (r[:, :, None] * w_n + (rec_n * r * (1 - r))[:, :, None] * w_r)
        jac = (1 - z)[:, :, None] * dn + ((h_prev - n) * z * (1 - z))[:, :, None] * w_z  # (T, H, H)
        diag = np.arange(hid)
        jac[:, diag, diag] += z
        return jac

    def jacobian_factors(self, hidden, state0, extras) -> np.ndarray:
        """The per-step vectors from which ``apply_jacobian`` applies J_t without forming it: (T, 4, H).

        Same arguments as ``step_jacobians``. J_t = diag(z) + diag(a_r) W_hr + diag(a_z) W_hz +
        diag(a_n) W_hn with a_r = (1-z)(1-n²)(W_hn h + b_hn) r(1-r), a_z = (h_{t-1} - n) z(1-z),
        a_n = (1-z)(1-n²) r; rows a_r, a_z, a_n, z.
        """
        r, z, n = (extras[name] for name in GATE_NAMES)  # (T, H) each
        rec_n = extras[CANDIDATE_RECURRENT]  # (T, H)
        h_prev = np.concatenate([np.asarray(state0[0])[None], hidden[:-1]])  # (T, H)
        through_n = (1 - z) * (1 - n * n)  # (T, H) dh_t/d(n's pre-activation)
        return np.stack([through_n * rec_n * r * (1 - r), (h_prev - n) * z * (1 - z), through_n * r, z], axis=1)

    @staticmethod
    def apply_jacobian(product, factors, w_hh, out, scratch) -> None:
        """out = product @ J_t, J_t = dh_t/dh_{t-1} as ``step_jacobians`` gives it, never formed.

        product, out (r, H); factors (4, H) one step of ``jacobian_factors``; w_hh (3H, H);
        scratch (r, 4H). out = [P a_r, P a_z, P a_n] @ W_hh + P z: one (r, 3H) @ (3H, H) product.
        """
        hid = w_hh.shape[1]
        rows, kept = scratch[:, :3 * hid], scratch[:, 3 * hid:]  # (r, 3H), (r, H)
        for k in range(3):
            np.multiply(product, factors[k], out=rows[:, k * hid:(k + 1) * hid])
        np.matmul(rows, w_hh, out=out)
        np.multiply(product, factors[3], out=kept)
        out += kept

    def recurrent_grads(self, hidden, state0, extras, grad_hidden) -> np.ndarray:
        """dL/d(W_hh h_{t-1} + b_hh) for the r, z, n blocks at every step for one sample: (T, 3H).

        hidden, grad_hidden (T, H); state0 and extras as for ``step_jacobians``. Same factors as
        ``backward``, read from a trace.
        """
        r, z, n = (extras[name] for name in GATE_NAMES)  # (T, H) each
        rec_n = extras[CANDIDATE_RECURRENT]  # (T, H)
        h_prev = np.concatenate([np.asarray(state0[0])[None], hidden[:-1]])  # (T, H)
        dn_pre = grad_hidden * (1 - z) * (1 - n * n)  # (T, H) dL/d(n's pre-activation)
        return np.concatenate([dn_pre * rec_n * r * (1 - r),
                               grad_hidden * (h_prev - n) * z * (1 - z),
                               dn_pre * r], axis=1)
