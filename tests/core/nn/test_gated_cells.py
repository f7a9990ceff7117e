"""LSTM and GRU: PyTorch's layout and equations, the trace's extras, the cell-state gradient,
the per-step Jacobians over the full recurrent state, per-step weight gradients, and dtypes.

(Every parameter, h0 and grad_hidden are checked by finite differences in test_gradients.py;
the forget bias, the direct cell path and the gradient horizon are in test_gating.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import RNN, ModelConfig
from rnnviz.core.diagnostics import gating
from rnnviz.core.nn.cells import base as cells_base
from tests.core.gradcheck import numerical_grad, relative_error

T, B, X, H, Y = 5, 3, 4, 3, 2
GATED = ["lstm", "gru"]
LSTM_EXTRAS = {"input_gate", "forget_gate", "cell_candidate", "output_gate", "cell", "grad_cell"}
GRU_EXTRAS = {"reset_gate", "update_gate", "candidate", "candidate_recurrent"}


def make_model(cell, layers=1, seed=0, **overrides):
    settings = dict(input_size=X, hidden_size=H, output_size=Y, cell=cell, num_layers=layers, seed=seed,
                    init_scale=1.5)  # 1.5: gates and tanh away from their linear middle
    settings.update(overrides)
    model = RNN(ModelConfig(**settings))
    rng = np.random.default_rng(seed + 100)
    for name, value in model.params.items():  # non-zero biases, so every term is exercised
        if "bias" in name:
            value += rng.normal(0, 0.3, value.shape)
    return model


def random_state(model, rng, batch=B):
    shape = (model.config.num_layers, batch, model.config.hidden_size)
    parts = tuple(rng.normal(0, 0.5, shape) for _ in model.cell.state_names)
    return parts if len(parts) > 1 else parts[0]


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ----------------------------------------------------------------- PyTorch's layout and equations
def reference_lstm(params, x, h0, c0, layers):
    """torch.nn.LSTM's documented equations, written out per step: top h (T, B, H), (h_n, c_n)."""
    hs, cs = [], []
    for k in range(layers):
        w_ii, w_if, w_ig, w_io = np.split(params[f"weight_ih_l{k}"], 4)
        w_hi, w_hf, w_hg, w_ho = np.split(params[f"weight_hh_l{k}"], 4)
        b_ii, b_if, b_ig, b_io = np.split(params[f"bias_ih_l{k}"], 4)
        b_hi, b_hf, b_hg, b_ho = np.split(params[f"bias_hh_l{k}"], 4)
        h, c, out = h0[k], c0[k], []
        for xt in x:
            i = sigmoid(xt @ w_ii.T + b_ii + h @ w_hi.T + b_hi)
            f = sigmoid(xt @ w_if.T + b_if + h @ w_hf.T + b_hf)
            g = np.tanh(xt @ w_ig.T + b_ig + h @ w_hg.T + b_hg)
            o = sigmoid(xt @ w_io.T + b_io + h @ w_ho.T + b_ho)
            c = f * c + i * g
            h = o * np.tanh(c)
            out.append(h)
        x = np.array(out)
        hs.append(h)
        cs.append(c)
    return x, (np.array(hs), np.array(cs))


def reference_gru(params, x, h0, layers):
    """torch.nn.GRU's documented equations, written out per step: top h (T, B, H), h_n."""
    hs = []
    for k in range(layers):
        w_ir, w_iz, w_in = np.split(params[f"weight_ih_l{k}"], 3)
        w_hr, w_hz, w_hn = np.split(params[f"weight_hh_l{k}"], 3)
        b_ir, b_iz, b_in = np.split(params[f"bias_ih_l{k}"], 3)
        b_hr, b_hz, b_hn = np.split(params[f"bias_hh_l{k}"], 3)
        h, out = h0[k], []
        for xt in x:
            r = sigmoid(xt @ w_ir.T + b_ir + h @ w_hr.T + b_hr)
            z = sigmoid(xt @ w_iz.T + b_iz + h @ w_hz.T + b_hz)
            n = np.tanh(xt @ w_in.T + b_in + r * (h @ w_hn.T + b_hn))
            h = (1 - z) * n + z * h
            out.append(h)
        x = np.array(out)
        hs.append(h)
    return x, np.array(hs)


@pytest.mark.parametrize("cell, gates", [("lstm", 4), ("gru", 3)])
def test_parameters_have_pytorch_names_and_shapes(cell, gates):
    model = make_model(cell, layers=2)
    shapes = {name: value.shape for name, value in model.params.items()}
    g = gates * H
    assert shapes == {
        "weight_ih_l0": (g, X), "weight_hh_l0": (g, H), "bias_ih_l0": (g,), "bias_hh_l0": (g,),
        "weight_ih_l1": (g, H), "weight_hh_l1": (g, H), "bias_ih_l1": (g,), "bias_hh_l1": (g,),
        "out.weight": (Y, H), "out.bias": (Y,),
    }
    assert model.cell.gates == gates and model.cell.gamma is None


@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_follows_pytorch_equations_and_gate_order(layers):
    model = make_model("lstm", layers)
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (T, B, X))
    h0, c0 = random_state(model, rng)
    top, (h_n, c_n) = reference_lstm(model.params, x, h0, c0, layers)
    _, _, trace = model.loss_and_grads(x, rng.normal(0, 1, (T, B, Y)), (h0, c0))
    np.testing.assert_allclose(trace.hidden[:, -1], top, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trace.state_last[0], h_n, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trace.state_last[1], c_n, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trace.extras["cell"][-1], c_n, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("layers", [1, 2])
def test_gru_follows_pytorch_equations_and_gate_order(layers):
    model = make_model("gru", layers)
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, (T, B, X))
    h0 = random_state(model, rng)
    top, h_n = reference_gru(model.params, x, h0, layers)
    _, _, trace = model.loss_and_grads(x, rng.normal(0, 1, (T, B, Y)), h0)
    np.testing.assert_allclose(trace.hidden[:, -1], top, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trace.state_last, h_n, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", GATED)
def test_outputs_equal_torch_with_the_same_weights(cell):
    torch = pytest.importorskip("torch")  # not a dependency: runs only where torch happens to exist
    model = make_model(cell, layers=2)
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (T, B, X))
    h0 = random_state(model, rng)
    net = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(X, H, num_layers=2).double()
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.params.items() if "out." not in k})
    state = tuple(torch.from_numpy(s) for s in h0) if cell == "lstm" else torch.from_numpy(h0)
    with torch.no_grad():
        out, _ = net(torch.from_numpy(x), state)
    _, _, trace = model.loss_and_grads(x, rng.normal(0, 1, (T, B, Y)), h0)
    np.testing.assert_allclose(trace.hidden[:, -1], out.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------- trace contents
@pytest.mark.parametrize("cell, names", [("lstm", LSTM_EXTRAS), ("gru", GRU_EXTRAS)])
def test_trace_extras_have_the_documented_names_and_shapes(cell, names):
    model = make_model(cell, layers=2)
    rng = np.random.default_rng(4)
    _, _, trace = model.loss_and_grads(rng.integers(0, X, (T, B)), rng.integers(0, Y, (T, B)))
    assert set(trace.extras) == names
    for name, values in trace.extras.items():
        assert values.shape == (T, 2, B, H), name
    gate_names = names - {"cell", "grad_cell", "candidate_recurrent", "candidate", "cell_candidate"}
    for name in gate_names:  # sigmoid gates lie in (0, 1)
        assert 0 < trace.extras[name].min() and trace.extras[name].max() < 1, name
    np.testing.assert_array_equal(trace.h_last, trace.hidden[-1])


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("kind", ["se_steps", "ce_last"])
def test_lstm_grad_cell_matches_finite_differences(kind, layers):
    model = make_model("lstm", layers)
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, (T, B, X))
    targets = rng.normal(0, 1, (T, B, Y)) if kind == "se_steps" else rng.integers(0, Y, (B,))
    h0 = random_state(model, rng)
    _, _, trace = model.loss_and_grads(x, targets, h0)
    cell_offsets = np.zeros_like(trace.hidden)  # (T, L, B, H)

    def loss():
        return float(model.loss_and_grads(x, targets, h0, _cell_offsets=cell_offsets)[0])

    assert relative_error(trace.extras["grad_cell"], numerical_grad(loss, cell_offsets)) < 1e-6
    # dL/dc_0 (the c0 half of dstate0) continues the same recursion one step further back
    assert relative_error(trace.dstate0[1], numerical_grad(loss, h0[1])) < 1e-6


@pytest.mark.parametrize("cell", GATED)
def test_state_carries_across_windows(cell):
    model = make_model(cell, layers=2)
    rng = np.random.default_rng(6)
    x = rng.integers(0, X, (T, B))
    h0 = random_state(model, rng)
    outputs, state = model.forward(x, h0)
    first, carried = model.forward(x[:2], h0)
    second, last = model.forward(x[2:], carried)
    np.testing.assert_allclose(np.concatenate([first, second]), outputs, rtol=1e-12)
    as_tuple = (lambda s: s) if cell == "lstm" else (lambda s: (s,))
    for part, expected in zip(as_tuple(last), as_tuple(state)):
        np.testing.assert_allclose(part, expected, rtol=1e-12)


def test_lstm_needs_its_state_as_a_pair():
    model = make_model("lstm", layers=3)
    with pytest.raises(ValueError, match="h0"):
        model.loss_and_grads(np.zeros((T, B), int), np.zeros((T, B), int), np.zeros((3, B, H)))


# ----------------------------------------------------------------- Jacobians of the full state
def one_sample_inputs(model, trace, x, layer):
    """The layer's projected input (T, 1, G*H) for sample 0 and b_hh, as the model feeds them to the cell."""
    below = x[:, :1] if layer == 0 else trace.hidden[:, layer - 1, :1]
    xproj, _, b_hh = model.cell_inputs(below, False, layer)
    return xproj, b_hh


def full_state(parts):
    return np.concatenate([np.asarray(p).reshape(-1) for p in parts])


@pytest.mark.parametrize("layer", [0, 1])
@pytest.mark.parametrize("cell", GATED + ["tanh"])
def test_step_jacobians_match_finite_differences_of_one_step(cell, layer):
    model = make_model(cell, layers=2)
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1, (T, B, X))
    h0 = random_state(model, rng)
    _, _, trace = model.loss_and_grads(x, rng.normal(0, 1, (T, B, Y)), h0)
    _, w_hh, _, _ = model.layer_params(layer)
    state0 = tuple(np.asarray(s)[layer, 0] for s in (h0 if isinstance(h0, tuple) else (h0,)))
    extras = {name: values[:, layer, 0] for name, values in trace.extras.items()}
    jac = model.cell.step_jacobians(w_hh, trace.hidden[:, layer, 0], state0, extras)
    size = H * len(model.cell.state_names)
    assert jac.shape == (T, size, size)

    xproj, b_hh = one_sample_inputs(model, trace, x, layer)  # (T, 1, G*H), (G*H,) or None
    previous = [state0]  # the full state before each step, rebuilt from the trace
    for t in range(T - 1):
        now = [trace.hidden[t, layer, :1].reshape(-1)]
        if "cell" in extras:
            now.append(extras["cell"][t])
        previous.append(tuple(now))
    for t in range(T):
        s_prev = full_state(previous[t])  # (S,)

        def step(s=s_prev, t=t):
            parts = tuple(part[None] for part in np.split(s, len(model.cell.state_names)))
            run = model.cell.forward(xproj[t:t + 1], w_hh, b_hh, parts)
            return full_state(run.state_last)

        numeric = np.empty((size, size))
        for j in range(size):
            unit = np.zeros(size)
            unit[j] = 1e-6
            numeric[:, j] = (step(s_prev + unit) - step(s_prev - unit)) / 2e-6
        assert relative_error(jac[t], numeric) < 1e-7, t


@pytest.mark.parametrize("cell", GATED)
def test_product_of_step_jacobians_is_the_chain_from_s0_to_sT(cell):
    """J_T ... J_1 equals ds_T/ds_0 of the whole forward sweep, by finite differences."""
    model = make_model(cell)
    rng = np.random.default_rng(8)
    x = rng.normal(0, 1, (T, 1, X))
    h0 = random_state(model, rng, batch=1)
    parts0 = h0 if isinstance(h0, tuple) else (h0,)
    _, _, trace = model.loss_and_grads(x, rng.normal(0, 1, (T, 1, Y)), h0)
    extras = {name: values[:, 0, 0] for name, values in trace.extras.items()}
    jac = model.cell.step_jacobians(model.params["weight_hh_l0"], trace.hidden[:, 0, 0],
                                    tuple(p[0, 0] for p in parts0), extras)
    chain = np.eye(jac.shape[1])
    for j in jac:
        chain = j @ chain
    s0 = full_state(parts0)
    numeric = np.empty_like(chain)
    for k in range(s0.size):
        columns = []
        for sign in (1, -1):
            s = s0.copy()
            s[k] += sign * 1e-6
            state = tuple(p.reshape(1, 1, H) for p in np.split(s, len(parts0)))
            _, last = model.forward(x, state if len(state) > 1 else state[0])
            columns.append(full_state(last if isinstance(last, tuple) else (last,)))
        numeric[:, k] = (columns[0] - columns[1]) / 2e-6
    assert relative_error(chain, numeric) < 1e-7


# ----------------------------------------------------------------- dtypes
@pytest.mark.parametrize("cell", GATED)
def test_float32_stays_float32(cell):
    model = make_model(cell, layers=2, dtype="float32")
    rng = np.random.default_rng(10)
    x = rng.normal(size=(T, B, X)).astype(np.float32)
    loss, grads, trace = model.loss_and_grads(x, rng.integers(0, Y, (T, B)))
    assert loss.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    arrays = [trace.hidden, trace.grad_hidden, trace.h_last, trace.outputs, *trace.extras.values()]
    for part in ("state_last", "dstate0", "state0"):
        value = getattr(trace, part)
        arrays += list(value) if isinstance(value, tuple) else [value]
    assert all(a.dtype == np.float32 for a in arrays)
    extras = {name: values[:, 0, 0] for name, values in trace.extras.items()}
    state0 = tuple(np.zeros(H, np.float32) for _ in model.cell.state_names)
    jac = model.cell.step_jacobians(model.params["weight_hh_l0"], trace.hidden[:, 0, 0], state0, extras)
    assert jac.dtype == np.float32
    assert gating.direct_path(trace).dtype == np.float32


# ----------------------------------------------------------------- per-step weight gradients
@pytest.mark.parametrize("cell", GATED + ["tanh"])
def test_recurrent_grads_rebuild_the_weight_gradient_step_by_step(cell):
    """Sum over samples and steps of outer(recurrent_grads_t, h_{t-1}) is dL/dW_hh, per layer."""
    model = make_model(cell, layers=2)
    rng = np.random.default_rng(11)
    h0 = random_state(model, rng)
    parts = h0 if isinstance(h0, tuple) else (h0,)
    _, grads, trace = model.loss_and_grads(rng.normal(0, 1, (T, B, X)), rng.normal(0, 1, (T, B, Y)), h0)
    for layer in range(2):
        total = np.zeros_like(grads[f"weight_hh_l{layer}"])
        bias = np.zeros_like(grads[f"bias_hh_l{layer}"])
        for sample in range(B):
            hidden = trace.hidden[:, layer, sample]
            state0 = tuple(p[layer, sample] for p in parts)
            extras = {name: values[:, layer, sample] for name, values in trace.extras.items()}
            per_step = model.cell.recurrent_grads(hidden, state0, extras, trace.grad_hidden[:, layer, sample])
            assert per_step.shape == (T, model.cell.gates * H)
            h_prev = np.concatenate([state0[0][None], hidden[:-1]])
            total += per_step.T @ h_prev
            bias += per_step.sum(axis=0)
        np.testing.assert_allclose(total, grads[f"weight_hh_l{layer}"], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(bias, grads[f"bias_hh_l{layer}"], rtol=1e-10, atol=1e-13)


def test_trace_exposes_the_lstm_cell_state_by_name():
    model = RNN(ModelConfig(input_size=3, hidden_size=4, output_size=3, cell="lstm"))
    inputs = np.random.default_rng(0).integers(0, 3, (5, 2))
    _, _, trace = model.loss_and_grads(inputs, inputs)
    assert trace.cell.shape == trace.grad_cell.shape == (5, 1, 2, 4)
    assert trace.cell is trace.extras["cell"]
    tanh = RNN(ModelConfig(input_size=3, hidden_size=4, output_size=3))
    assert tanh.loss_and_grads(inputs, inputs)[2].cell is None


# ----------------------------------------------------------------- chunked backward sweep
@pytest.mark.parametrize("chunk_steps", [1, 2])
@pytest.mark.parametrize("cell", GATED)
def test_the_backward_sweep_gives_the_same_gradients_in_chunks_of_steps(cell, chunk_steps, monkeypatch):
    """Large steps compute their factors a few steps at a time (small ones all at once, which the
    finite-difference checks cover): the chunks, including the one holding step 0, agree exactly."""
    model = make_model(cell, layers=2)
    rng = np.random.default_rng(12)
    h0 = random_state(model, rng)
    x, y = rng.normal(0, 1, (T, B, X)), rng.normal(0, 1, (T, B, Y))
    _, whole, whole_trace = model.loss_and_grads(x, y, h0)
    row_bytes = model.cell.gates * B * H * 8  # one step of the factors, float64
    monkeypatch.setattr(cells_base, "CHUNK_BYTES", chunk_steps * row_bytes)
    assert cells_base.steps_per_chunk(row_bytes) == chunk_steps < T
    _, chunked, chunked_trace = model.loss_and_grads(x, y, h0)
    for name in whole:
        np.testing.assert_allclose(chunked[name], whole[name], rtol=1e-13, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(chunked_trace.grad_hidden, whole_trace.grad_hidden, rtol=1e-13, atol=1e-15)
