"""The LSTM cell, in PyTorch's layout, with its backward sweep right below its forward sweep.

The LSTM is the cure the seed articles point to for vanishing gradients: besides h_t it keeps
a cell state c_t that is updated additively, c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t, so along the
"constant error carousel" dc_t/dc_{t-1} = diag(f_t) does not involve W_hh at all. That path is
what rnnviz.core.diagnostics.gating draws; this file only computes.

PyTorch (torch.nn.LSTM) conventions, kept exactly so weights move between the two by name:
gates stacked in the order i, f, g, o in weight_ih_l{k} (4H, X), weight_hh_l{k} (4H, H) and
both biases (4H,):

    a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh          (B, 4H)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_t = f ⊙ c_{t-1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)

The state is the pair (h, c); ``h0`` is given as (h0, c0) like PyTorch's (h_0, c_0).

Initialisation (rnnviz.core.nn.model): every gate block gets the model's init; ``recurrent_scale``
rescales the whole stacked W_hh (4H, H) so that its largest singular value is the setting
(it is then an upper bound for each gate block's). The normal init gives W_hh the std
init_scale/sqrt(H), sqrt(3) times PyTorch's default U(-1/sqrt(H), 1/sqrt(H)): init_scale=1/sqrt(3)
matches PyTorch's recurrent scale.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.nn.cells.base import CellGrads, CellRun, add_bias, steps_per_chunk

GATE_NAMES = ("input_gate", "forget_gate", "cell_candidate", "output_gate")  # PyTorch's i, f, g, o


class LSTMCell:
    name = "lstm"
    gates = 4
    state_names = ("h", "c")
    sums_biases = True  # b_ih and b_hh add to the same gate pre-activations (see VanillaCell)
    # No bound of the form (gamma * sigma_max(W_hh))^k holds for the LSTM: the carousel
    # dc_t/dc_{t-1} = diag(f_t) does not pass through W_hh, and |c_t| is unbounded. None tells
    # the diagnostics to draw no such bound; gating.direct_path is the LSTM's own curve.
    gamma = None

    def init_biases(self, bias_ih: np.ndarray, bias_hh: np.ndarray, config) -> None:
        """Set the forget-gate bias (in place) to ``config.forget_bias``.

        PyTorch adds b_ih and b_hh, so only their sum matters; the whole forget bias goes into
        bias_ih's f block (rows H:2H), and bias_hh stays zero.
        """
        hid = bias_ih.shape[0] // 4
        bias_ih[hid:2 * hid] = config.forget_bias

    # ----------------------------------------------------------------- forward
    def forward(self, xproj, w_hh, b_hh, state0, offset=None, cell_offset=None,
                overwrite_xproj=False, hidden_out=None) -> CellRun:
        # xproj (T, B, 4H) = x W_ih^T + b_ih; with overwrite_xproj it becomes the gates in place
        # w_hh (4H, H); b_hh (4H,), or None when xproj already holds it (sums_biases)
        # state0 (h0 (B, H), c0 (B, H))
        # offset (T, B, H) or None: added to h_t after it is computed (tests probe dL/dh_t with it)
        # cell_offset (T, B, H) or None: added to c_t after it is computed (tests probe dL/dc_t)
        # hidden_out (T, B, H) or None: where to write h_t (a view into a caller's larger array)
        steps, batch, width = xproj.shape
        hid = width // 4
        # (T, B, 4H) xproj + b_hh, becomes the activated i, f, g, o in place
        gates = add_bias(xproj, b_hh, overwrite_xproj)
        # The sigmoid gates' pre-activations are halved (exactly: a power of two), on the input
        # side here and on the recurrent side in W_hh's copy, so that one tanh per step gives
        # tanh(a_i/2), tanh(a_f/2), tanh(a_g), tanh(a_o/2): sigmoid(a) = (1 + tanh(a/2)) / 2
        gates[:, :, :2 * hid] *= 0.5
        gates[:, :, 3 * hid:] *= 0.5
        w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, 4H), contiguous: see VanillaCell.forward
        w_hh_t[:, :2 * hid] *= 0.5
        w_hh_t[:, 3 * hid:] *= 0.5
        cell = np.empty((steps, batch, hid), dtype=gates.dtype)  # (T, B, H) c_t
        tanh_cell = np.empty_like(cell)  # (T, B, H) tanh(c_t), reused by the backward sweep
        hidden = np.empty_like(cell) if hidden_out is None else hidden_out  # (T, B, H) h_t
        recurrent = np.empty_like(gates[0])  # (B, 4H) h_{t-1} W_hh^T (halved columns), every step
        # tanh(a/2) -> sigmoid(a) = tanh(a/2) * 0.5 + 0.5 on the i, f, o blocks, g left as it is (x 1 + 0):
        # two calls over the whole (B, 4H) row instead of four over its blocks; u * 0.5 + 0.5 rounds
        # exactly as (u + 1) * 0.5, since halving is exact
        scale = np.full(4 * hid, 0.5, dtype=gates.dtype)  # (4H,)
        scale[2 * hid:3 * hid] = 1
        shift = 1 - scale  # (4H,) 0.5 on i, f, o; 0 on g
        kept = np.empty_like(cell[0])  # (B, H) i ⊙ g, every step
        h, c = state0
        for t in range(steps):
            a = gates[t]  # (B, 4H), contiguous
            np.matmul(h, w_hh_t, out=recurrent)
            a += recurrent
            np.tanh(a, out=a)
            a *= scale
            a += shift  # i, f, o: sigmoid; g: tanh
            c_new = cell[t]  # (B, H)
            np.multiply(a[:, hid:2 * hid], c, out=c_new)
            np.multiply(a[:, :hid], a[:, 2 * hid:3 * hid], out=kept)
            c_new += kept
            if cell_offset is not None:
                c_new += cell_offset[t]
            np.tanh(c_new, out=tanh_cell[t])
            np.multiply(a[:, 3 * hid:], tanh_cell[t], out=hidden[t])
            if offset is not None:
                hidden[t] += offset[t]
            h, c = hidden[t], c_new
        blocks = gates.reshape(steps, batch, 4, hid)  # (T, B, 4, H) view
        extras = {name: blocks[:, :, k] for k, name in enumerate(GATE_NAMES)}  # each (T, B, H) view
        extras["cell"] = cell
        return CellRun(hidden=hidden, state0=state0, state_last=(h, c), extras=extras,
                       cache={"gates": gates, "tanh_cell": tanh_cell})

    # ----------------------------------------------------------------- backward
    def backward(self, run: CellRun, dhidden: np.ndarray, w_hh: np.ndarray, grad_hidden=None,
                 overwrite_dhidden=False) -> CellGrads:
        # dhidden (T, B, H): dL/dh_t arriving from above (readout or the next layer) at each step;
        #   never overwritten here (overwrite_dhidden is accepted for the cells' common interface)
        # grad_hidden (T, B, H) or None: where to write the total dL/dh_t (may be a strided view)
        gates = run.cache["gates"]  # (T, B, 4H) activated i, f, g, o
        hidden = run.hidden  # (T, B, H)
        steps, batch, hid = hidden.shape
        h0 = run.state0[0]  # (B, H)
        f = gates.reshape(steps, batch, 4, hid)[:, :, 1]  # (T, B, H) view

        # Every pre-activation gradient is dc_t or dh_t times a factor known from the forward
        # sweep: the factors are computed a chunk of steps at a time, then scaled in place per step.
        dgates = np.empty_like(gates)  # (T, B, 4H): factors, then dL/da_t
        factors = dgates.reshape(steps, batch, 4, hid)  # (T, B, 4, H) view
        chunk = steps_per_chunk(gates[0].nbytes)
        dcell_dh = np.empty((min(chunk, steps), batch, hid), dtype=hidden.dtype)  # dh_t/dc_t, one chunk
        if grad_hidden is None:
            grad_hidden = np.empty_like(hidden)  # (T, B, H) total dL/dh_t
        grad_cell = np.empty_like(hidden)  # (T, B, H) total dL/dc_t
        carry_h = np.zeros_like(hidden[0])  # (B, H) dL/dh_t arriving from step t+1
        carry_c = np.zeros_like(hidden[0])  # (B, H) dL/dc_t arriving from step t+1 (= dc_{t+1} ⊙ f_{t+1})
        for end in range(steps, 0, -chunk):
            start = max(0, end - chunk)
            self._factors(run, start, end, factors[start:end], dcell_dh[:end - start])
            for t in range(end - 1, start - 1, -1):
                dh = grad_hidden[t]
                np.add(dhidden[t], carry_h, out=dh)
                dc = grad_cell[t]
                np.multiply(dh, dcell_dh[t - start], out=dc)
                dc += carry_c
                factors[t, :, :3] *= dc[:, None, :]
                factors[t, :, 3] *= dh
                np.matmul(dgates[t], w_hh, out=carry_h)  # (B, 4H) @ (4H, H)
                np.multiply(dc, f[t], out=carry_c)
        dw_hh = dgates[0].T @ h0  # (4H, H)
        if steps > 1:
            dw_hh += dgates[1:].reshape(-1, 4 * hid).T @ hidden[:-1].reshape(-1, hid)
        db_hh = dgates.sum(axis=(0, 1))  # (4H,)
        return CellGrads(dxproj=dgates, dw_hh=dw_hh, db_hh=db_hh, dstate0=(carry_h, carry_c),
                         grad_hidden=grad_hidden, extras={"grad_cell": grad_cell})

    @staticmethod
    def _factors(run: CellRun, start: int, end: int, out: np.ndarray, dcell_dh: np.ndarray) -> None:
        """The backward sweep's per-step factors for steps start..end-1, with no temporary arrays.

        out (K, B, 4, H): da_i/dc = g i(1-i), da_f/dc = c_{t-1} f(1-f), da_g/dc = i(1-g²) and
        da_o/dh = tanh(c) o(1-o); dcell_dh (K, B, H): dh_t/dc_t = o (1 - tanh²(c)) on the diagonal.
        """
        blocks = run.cache["gates"][start:end].reshape(end - start, *out.shape[1:])  # (K, B, 4, H)
        i, f, g, o = (blocks[:, :, k] for k in range(4))  # (K, B, H) views
        tanh_cell = run.cache["tanh_cell"][start:end]  # (K, B, H)
        cell = run.extras["cell"]  # (T, B, H)
        d_i, d_f, d_g, d_o = (out[:, :, k] for k in range(4))  # (K, B, H) views
        np.subtract(1, i, out=d_i)
        d_i *= i
        d_i *= g
        np.subtract(1, f, out=d_f)
        d_f *= f
        if start > 0:
            d_f *= cell[start - 1:end - 1]
        else:  # step 0's c_{t-1} is c0
            d_f[1:] *= cell[:end - 1]
            d_f[0] *= run.state0[1]
        np.multiply(g, g, out=d_g)
        np.subtract(1, d_g, out=d_g)
        d_g *= i
        np.subtract(1, o, out=d_o)
        d_o *= o
        d_o *= tanh_cell
        np.multiply(tanh_cell, tanh_cell, out=dcell_dh)
        np.subtract(1, dcell_dh, out=dcell_dh)
        dcell_dh *= o

    # ----------------------------------------------------------------- Jacobians
    def step_jacobians(self, w_hh, hidden, state0, extras) -> np.ndarray:
        """J_t = ds_t/ds_{t-1} for the full state s = (h, c), one sample of one layer: (T, 2H, 2H).

        hidden (T, H); state0 (h0 (H,), c0 (H,)); extras {name: (T, H)} with the four gates and
        "cell". Block layout [[dh/dh, dh/dc], [dc/dh, dc/dc]], h first, as in np.concatenate([h, c]).
        """
        i, f, g, o = (extras[name] for name in GATE_NAMES)  # (T, H) each
        cell = extras["cell"]  # (T, H)
        steps, hid = hidden.shape
        h0, c0 = state0
        c_prev = np.concatenate([np.asarray(c0)[None], cell[:-1]])  # (T, H)
        w_i, w_f, w_g, w_o = (w_hh[k * hid:(k + 1) * hid] for k in range(4))  # (H, H) each
        tanh_c = np.tanh(cell)  # (T, H)
        dc_dh = ((g * i * (1 - i))[:, :, None] * w_i
                 + (c_prev * f * (1 - f))[:, :, None] * w_f
                 + (i * (1 - g * g))[:, :, None] * w_g)  # (T, H, H)
        dh_dc_now = o * (1 - tanh_c * tanh_c)  # (T, H) dh_t/dc_t, diagonal
        jac = np.zeros((steps, 2 * hid, 2 * hid), dtype=hidden.dtype)  # (T, 2H, 2H)
        jac[:, :hid, :hid] = (tanh_c * o * (1 - o))[:, :, None] * w_o + dh_dc_now[:, :, None] * dc_dh
        diag = np.arange(hid)
        jac[:, diag, hid + diag] = dh_dc_now * f  # dh_t/dc_{t-1}
        jac[:, hid:, :hid] = dc_dh
        jac[:, hid + diag, hid + diag] = f  # dc_t/dc_{t-1}: the constant error carousel
        return jac

    def jacobian_factors(self, hidden, state0, extras) -> np.ndarray:
        """The per-step vectors from which ``apply_jacobian`` applies J_t without forming it: (T, 6, H).

        Same arguments as ``step_jacobians``. Rows: alpha_i = g i(1-i), alpha_f = c_{t-1} f(1-f),
        alpha_g = i(1-g²) (so dc_t/dh_{t-1} = sum of diag(alpha) W_block over i, f, g), beta =
        tanh(c) o(1-o), gamma = o(1-tanh²(c)) (dh_t/dc_t) and f (dc_t/dc_{t-1}).
        """
        i, f, g, o = (extras[name] for name in GATE_NAMES)  # (T, H) each
        cell = extras["cell"]  # (T, H)
        c_prev = np.concatenate([np.asarray(state0[1])[None], cell[:-1]])  # (T, H)
        tanh_c = np.tanh(cell)  # (T, H)
        return np.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g),
                         tanh_c * o * (1 - o), o * (1 - tanh_c * tanh_c), f], axis=1)

    @staticmethod
    def apply_jacobian(product, factors, w_hh, out, scratch) -> None:
        """out = product @ J_t, J_t = ds_t/ds_{t-1} as ``step_jacobians`` lays it out, never formed.

        product, out (r, 2H) with columns (h, c); factors (6, H) one step of ``jacobian_factors``;
        w_hh (4H, H); scratch (r, 5H) (every gated cell's: (r, G*H + H)). With product = [P_h, P_c] and Q = P_h gamma + P_c:
        out = [[Q alpha_i, Q alpha_f, Q alpha_g, P_h beta] @ W_hh,  Q f]: one (r, 4H) @ (4H, H)
        product, as many operations as forming J_t and multiplying by it would take.
        """
        hid = w_hh.shape[1]
        alpha_i, alpha_f, alpha_g, beta, gamma, forget = factors  # (H,) each
        p_h, p_c = product[:, :hid], product[:, hid:]  # (r, H) each
        rows = scratch[:, :4 * hid]  # (r, 4H)
        q = scratch[:, 4 * hid:]  # (r, H)
        np.multiply(p_h, gamma, out=q)
        q += p_c
        np.multiply(q, alpha_i, out=rows[:, :hid])
        np.multiply(q, alpha_f, out=rows[:, hid:2 * hid])
        np.multiply(q, alpha_g, out=rows[:, 2 * hid:3 * hid])
        np.multiply(p_h, beta, out=rows[:, 3 * hid:])
        np.matmul(rows, w_hh, out=out[:, :hid])
        np.multiply(q, forget, out=out[:, hid:])

    def recurrent_grads(self, hidden, state0, extras, grad_hidden) -> np.ndarray:
        """dL/da_t (the pre-activations of i, f, g, o) at every step for one sample: (T, 4H).

        hidden, grad_hidden (T, H); state0 and extras as for ``step_jacobians``, plus
        extras["grad_cell"] (dL/dc_t). Same factors as ``backward``, read from a trace.
        """
        i, f, g, o = (extras[name] for name in GATE_NAMES)  # (T, H) each
        cell, grad_cell = extras["cell"], extras["grad_cell"]  # (T, H) each
        c_prev = np.concatenate([np.asarray(state0[1])[None], cell[:-1]])  # (T, H)
        return np.concatenate([grad_cell * g * i * (1 - i),
                               grad_cell * c_prev * f * (1 - f),
                               grad_cell * i * (1 - g * g),
                               grad_hidden * np.tanh(cell) * o * (1 - o)], axis=1)
