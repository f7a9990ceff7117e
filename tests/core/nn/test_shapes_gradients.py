"""Bidirectional networks and padded batches: every gradient against finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import ModelConfig
from rnnviz.core.nn.model import RNN
from rnnviz.core.nn.shapes import BiRNN, make_model
from rnnviz.core.nn.shapes.bidirectional import gather, reverse_order
from tests.core.gradcheck import check_model_gradients, numerical_grad, relative_error

CELLS = ["tanh", "relu", "linear", "lstm", "gru"]
T, B, X, H, Y = 5, 3, 4, 3, 3
PAD = 0
LENGTHS = np.array([5, 2, 1])  # one full, one short, one of a single token
TOLERANCE = 1e-6


def _case(cell, layers, kind, *, tokens=True, padded=False, bidirectional=True, seed=0):
    rng = np.random.default_rng(seed)
    config = ModelConfig(input_size=X, hidden_size=H, output_size=Y, cell=cell, num_layers=layers, seed=seed,
                         init_scale=1.5, bidirectional=bidirectional, pad_id=PAD if padded else None)
    model = make_model(config)
    for name, value in model.params.items():
        if "bias" in name:
            value[...] = rng.normal(0, 0.3, value.shape)
    if tokens:
        inputs = rng.integers(1, X, (T, B))
        if padded:
            inputs[np.arange(T)[:, None] >= LENGTHS[None, :]] = PAD
    else:
        inputs = rng.normal(0, 1, (T, B, X))
    targets = {"ce_steps": rng.integers(0, Y, (T, B)), "se_steps": rng.normal(0, 1, (T, B, Y)),
               "ce_last": rng.integers(0, Y, (B,)), "se_last": rng.normal(0, 1, (B, Y))}[kind]
    return model, inputs, targets


@pytest.mark.parametrize("layers", [2])  # layer 0 (tokens) and a layer reading [forward, backward]
@pytest.mark.parametrize("kind", ["ce_steps", "se_last"])
@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_gradients(cell, kind, layers):
    model, inputs, targets = _case(cell, layers, kind, tokens=(kind == "ce_steps"))
    trace = check_model_gradients(model, inputs, targets, TOLERANCE)
    # dL/dh_t of each direction, probed in that direction's own processing order
    for name in ("forward", "backward"):
        offsets = {n: np.zeros_like(trace.parts[n].hidden) for n in ("forward", "backward")}

        def f(offsets=offsets):
            return float(model.loss_and_grads(inputs, targets, _hidden_offsets=offsets)[0])

        numeric = numerical_grad(f, offsets[name])
        assert relative_error(trace.parts[name].grad_hidden, numeric) < TOLERANCE, name


@pytest.mark.parametrize("layers", [2])  # layer 0 (tokens) and a layer reading [forward, backward]
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True], ids=["one-way", "two-way"])
def test_padded_last_step_gradients(cell, layers, bidirectional):
    model, inputs, targets = _case(cell, layers, "ce_last", padded=True, bidirectional=bidirectional, seed=1)
    trace = check_model_gradients(model, inputs, targets, TOLERANCE)
    np.testing.assert_array_equal(trace.lengths, LENGTHS)
    # the gradient stops at each sequence's own end: nothing reaches the pads
    pads = np.arange(T)[:, None] >= LENGTHS[None, :]  # (T, B)
    by_step = trace.grad_hidden.transpose(0, 2, 1, 3)  # (T, B, L, 2H or H)
    assert np.all(by_step[pads] == 0)
    assert np.all(np.linalg.norm(by_step[~pads], axis=-1) > 0)


def test_padding_changes_nothing_a_sequence_sees():
    """A padded sequence's loss equals the same sequence run alone, unpadded, in both directions."""
    for bidirectional in (False, True):
        model, inputs, targets = _case("gru", 2, "ce_last", padded=True, bidirectional=bidirectional, seed=2)
        batch_loss = model.loss(inputs, targets) * B
        alone = sum(model.loss(inputs[:n, b:b + 1], targets[b:b + 1]) for b, n in enumerate(LENGTHS))
        assert batch_loss == pytest.approx(alone, rel=1e-12)


def test_pytorch_layout_and_h_n():
    model, inputs, targets = _case("lstm", 2, "ce_last")
    names = set(model.params)
    assert {"weight_ih_l0", "weight_hh_l0_reverse", "bias_ih_l1_reverse", "out.weight"} <= names
    assert model.params["weight_ih_l1"].shape == (4 * H, 2 * H)  # layer 1 reads [forward, backward]
    assert model.params["out.weight"].shape == (Y, 2 * H)
    _, _, trace = model.loss_and_grads(inputs, targets)
    forward, backward = trace.parts["forward"], trace.parts["backward"]
    # outputs are [forward, backward] on the last axis, backward in input order
    np.testing.assert_array_equal(trace.hidden[..., :H], forward.hidden)
    np.testing.assert_array_equal(trace.hidden[::-1, :, :, H:], backward.hidden)


def test_reverse_order_is_its_own_inverse():
    order = reverse_order(T, B, LENGTHS)
    assert order[:, 1].tolist() == [1, 0, 2, 3, 4]
    x = np.arange(T * B).reshape(T, B)
    np.testing.assert_array_equal(gather(gather(x, order), order), x)


def test_bad_padding_and_carried_state_are_refused():
    model, inputs, targets = _case("tanh", 1, "ce_last", padded=True)
    holed = inputs.copy()
    holed[0, 0] = PAD  # a pad inside a sequence
    with pytest.raises(ValueError, match="after a sequence's last real token"):
        model.loss_and_grads(holed, targets)
    with pytest.raises(ValueError, match="h0 must be None"):
        model.loss_and_grads(inputs, targets, h0=np.zeros((2, B, H)))
    assert isinstance(make_model(ModelConfig()), RNN) and not isinstance(make_model(ModelConfig()), BiRNN)
