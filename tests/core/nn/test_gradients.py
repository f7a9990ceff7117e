"""Every gradient the model returns, checked against central finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import RNN, ModelConfig
from tests.core.gradcheck import numerical_grad, relative_error

CELLS = ["tanh", "relu", "linear", "lstm", "gru"]
TARGET_KINDS = ["ce_steps", "se_steps", "ce_last", "se_last"]
T, B, X, H, Y = 5, 3, 4, 5, 3
TOLERANCE = 1e-6


def make_case(cell, layers, kind, token_inputs, seed=0):
    rng = np.random.default_rng(seed)
    # init_scale 1.5 drives tanh into its curved range, so the check is not of a near-linear map
    config = ModelConfig(input_size=X, hidden_size=H, output_size=Y, cell=cell, num_layers=layers,
                         seed=seed, init_scale=1.5)
    model = RNN(config)
    for name, value in model.params.items():  # non-zero biases, so every term is exercised
        if "bias" in name:
            value[...] = rng.normal(0, 0.3, value.shape)
    inputs = rng.integers(0, X, (T, B)) if token_inputs else rng.normal(0, 1, (T, B, X))
    targets = {
        "ce_steps": rng.integers(0, Y, (T, B)),
        "se_steps": rng.normal(0, 1, (T, B, Y)),
        "ce_last": rng.integers(0, Y, (B,)),
        "se_last": rng.normal(0, 1, (B, Y)),
    }[kind]
    shape = (layers, B, H)
    h0 = rng.normal(0, 0.5, shape)
    if model.cell.state_names == ("h", "c"):
        h0 = (h0, rng.normal(0, 0.5, shape))
    return model, inputs, targets, h0


@pytest.mark.parametrize("token_inputs", [True, False], ids=["tokens", "floats"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("kind", TARGET_KINDS)
@pytest.mark.parametrize("cell", CELLS)
def test_gradients_match_finite_differences(cell, kind, layers, token_inputs):
    model, inputs, targets, h0 = make_case(cell, layers, kind, token_inputs)
    loss, grads, trace = model.loss_and_grads(inputs, targets, h0)

    def f():
        return float(model.loss_and_grads(inputs, targets, h0)[0])

    for name, value in model.params.items():
        numeric = numerical_grad(f, value)
        assert relative_error(grads[name], numeric) < TOLERANCE, name

    h0_parts = h0 if isinstance(h0, tuple) else (h0,)
    d_parts = trace.dstate0 if isinstance(trace.dstate0, tuple) else (trace.dstate0,)
    for part, dpart in zip(h0_parts, d_parts):
        assert relative_error(dpart, numerical_grad(f, part)) < TOLERANCE, "h0"

    offsets = np.zeros_like(trace.hidden)

    def f_offset():
        return float(model.loss_and_grads(inputs, targets, h0, _hidden_offsets=offsets)[0])

    assert relative_error(trace.grad_hidden, numerical_grad(f_offset, offsets)) < TOLERANCE, "grad_hidden"


@pytest.mark.parametrize("cell", CELLS)
def test_loss_is_sum_over_time_mean_over_batch(cell):
    """The loss equals PyTorch's reduction='sum' divided by B, recomputed here from outputs."""
    model, inputs, targets, h0 = make_case(cell, 1, "ce_steps", True)
    loss, _, trace = model.loss_and_grads(inputs, targets, h0)
    logits = trace.outputs
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -sum(logp[t, b, targets[t, b]] for t in range(T) for b in range(B)) / B
    assert loss == pytest.approx(expected, rel=1e-12)

    model, inputs, targets, h0 = make_case(cell, 1, "se_last", False)
    loss, _, trace = model.loss_and_grads(inputs, targets, h0)
    assert loss == pytest.approx(((trace.outputs - targets) ** 2).sum() / B, rel=1e-12)


def test_forward_matches_the_trace_and_carries_state():
    model, inputs, targets, h0 = make_case("tanh", 2, "ce_steps", True)
    _, _, trace = model.loss_and_grads(inputs, targets, h0)
    outputs, state = model.forward(inputs, h0)
    np.testing.assert_array_equal(outputs, trace.outputs)
    np.testing.assert_array_equal(state, trace.h_last)
    np.testing.assert_array_equal(trace.hidden[-1], trace.h_last)
    # two windows with carried state equal one long window
    first, state = model.forward(inputs[:2], h0)
    second, _ = model.forward(inputs[2:], state)
    np.testing.assert_allclose(np.concatenate([first, second]), outputs, rtol=1e-12)


def test_stable_softmax_survives_huge_logits():
    model, inputs, targets, h0 = make_case("linear", 1, "ce_steps", True)
    model.params["out.weight"] *= 1e6
    loss, grads, _ = model.loss_and_grads(inputs, targets, h0)
    assert np.isfinite(loss)
    assert all(np.isfinite(g).all() for g in grads.values())
