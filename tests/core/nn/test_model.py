"""The model's contract: parameter names and shapes, dtypes, configuration and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import RNN, ModelConfig


def small(**overrides):
    settings = dict(input_size=6, hidden_size=8, output_size=6, num_layers=2)
    settings.update(overrides)
    return RNN(ModelConfig(**settings))


def test_params_have_pytorch_names_and_shapes():
    model = small()
    shapes = {name: value.shape for name, value in model.params.items()}
    assert shapes == {
        "weight_ih_l0": (8, 6), "weight_hh_l0": (8, 8), "bias_ih_l0": (8,), "bias_hh_l0": (8,),
        "weight_ih_l1": (8, 8), "weight_hh_l1": (8, 8), "bias_ih_l1": (8,), "bias_hh_l1": (8,),
        "out.weight": (6, 8), "out.bias": (6,),
    }


@pytest.mark.parametrize("kind", ["tokens", "floats"])
def test_float32_stays_float32(kind):
    model = small(dtype="float32")
    rng = np.random.default_rng(1)
    inputs = rng.integers(0, 6, (7, 3)) if kind == "tokens" else rng.normal(size=(7, 3, 6)).astype(np.float32)
    loss, grads, trace = model.loss_and_grads(inputs, rng.integers(0, 6, (7, 3)))
    assert loss.dtype == np.float32
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert all(g.dtype == np.float32 for g in grads.values())
    for array in (trace.hidden, trace.grad_hidden, trace.h_last, trace.outputs, trace.dstate0):
        assert array.dtype == np.float32
    outputs, state = model.forward(inputs)
    assert outputs.dtype == np.float32 and state.dtype == np.float32


def test_trace_shapes():
    model = small()
    loss, grads, trace = model.loss_and_grads(np.zeros((7, 3), dtype=int), np.zeros((7, 3), dtype=int))
    assert trace.hidden.shape == trace.grad_hidden.shape == (7, 2, 3, 8)
    assert trace.h_last.shape == (2, 3, 8)
    assert trace.outputs.shape == (7, 3, 6)
    assert {name: g.shape for name, g in grads.items()} == {name: p.shape for name, p in model.params.items()}


def test_same_seed_same_weights_and_different_seed_different_weights():
    a, b, c = small(seed=3), small(seed=3), small(seed=4)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["weight_hh_l0"], c.params["weight_hh_l0"])


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("init", ["normal", "orthogonal", "identity"])
def test_recurrent_scale_sets_the_largest_singular_value(init, scale):
    model = small(init=init, recurrent_scale=scale)
    for layer in range(2):
        assert np.linalg.norm(model.params[f"weight_hh_l{layer}"], 2) == pytest.approx(scale, rel=1e-12)


def test_inits_have_the_promised_structure():
    np.testing.assert_array_equal(small(init="identity").params["weight_hh_l0"], np.eye(8))
    w = small(init="orthogonal").params["weight_hh_l0"]
    np.testing.assert_allclose(w @ w.T, np.eye(8), atol=1e-12)
    big = RNN(ModelConfig(hidden_size=400, init_scale=1.0)).params["weight_hh_l0"]
    assert np.max(np.abs(np.linalg.eigvals(big))) == pytest.approx(1.0, abs=0.1)  # circular law


@pytest.mark.parametrize("field, value", [
    ("hidden_size", 0), ("hidden_size", 2.5), ("num_layers", 0), ("cell", "sigmoid"),
    ("dtype", "float16"), ("init", "xavier"), ("init_scale", -1.0), ("init_scale", float("nan")),
    ("recurrent_scale", 0.0), ("recurrent_scale", float("inf")), ("input_size", True), ("seed", -1),
])
def test_invalid_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        ModelConfig(**{field: value})


def test_config_round_trips_through_a_dict():
    config = ModelConfig(hidden_size=32, cell="relu", recurrent_scale=1.5)
    assert ModelConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="bogus"):
        ModelConfig.from_dict({**config.to_dict(), "bogus": 1})


@pytest.mark.parametrize("inputs, targets, h0, message", [
    (np.zeros((5,), int), np.zeros((5, 2), int), None, "shape"),
    (np.full((5, 2), 6), np.zeros((5, 2), int), None, "token ids"),
    (np.full((5, 2), -1), np.zeros((5, 2), int), None, "token ids"),
    (np.zeros((5, 2, 3)), np.zeros((5, 2), int), None, "input_size"),
    (np.zeros((5, 2), int), np.zeros((5, 3), int), None, "targets"),
    (np.zeros((5, 2), int), np.zeros((3,), int), None, "targets"),
    (np.zeros((5, 2), int), np.full((5, 2), 9), None, "target classes"),
    (np.zeros((5, 2), int), np.zeros((5, 2, 6), bool), None, "targets"),
    (np.zeros((5, 2), int), np.zeros((5, 2), int), np.zeros((2, 3, 8)), "h0"),
    (np.zeros((5, 2), int), np.zeros((5, 2), int), np.zeros((1, 2, 8)), "h0"),
    (np.array([["a"]]), np.zeros((1, 1), int), None, "inputs"),
    (np.zeros((0, 2), int), np.zeros((0, 2), int), None, "at least one step"),
])
def test_bad_arguments_raise_value_error_naming_the_problem(inputs, targets, h0, message):
    with pytest.raises(ValueError, match=message):
        small().loss_and_grads(inputs, targets, h0)
