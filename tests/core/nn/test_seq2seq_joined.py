"""The encoder-decoder writes both stacks' states and gradients straight into the trace's joined
arrays when encoder and decoder have the same width: the same numbers as the parts, in source
order, and exact gradients, for every cell, stacked, with and without the reversed source."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import ModelConfig
from rnnviz.core.nn.shapes import make_model
from tests.core.gradcheck import numerical_grad, relative_error

S, U, B, V, H = 4, 3, 2, 5, 3
TOLERANCE = 1e-6


def _case(cell, context, layers, reverse):
    rng = np.random.default_rng(3)
    model = make_model(ModelConfig(input_size=V + 1, hidden_size=H, output_size=V, cell=cell, num_layers=layers,
                                   init_scale=1.5, arch="seq2seq", context=context, reverse_source=reverse,
                                   source_length=S, seed=3))
    for name, value in model.params.items():
        if "bias" in name:
            value[...] = rng.normal(0, 0.3, value.shape)
    inputs = np.concatenate([rng.integers(0, V, (S, B)), np.full((1, B), V), rng.integers(0, V, (U - 1, B))])
    return model, inputs, rng.integers(0, V, (U, B))


@pytest.mark.parametrize("cell, context, layers, reverse", [
    ("tanh", "init", 1, True),
    ("lstm", "every-step", 1, True),
    ("gru", "both", 2, True),
    ("lstm", "init", 2, False),
])
def test_joined_states_are_the_parts_in_source_order_and_gradients_stay_exact(cell, context, layers, reverse):
    model, inputs, targets = _case(cell, context, layers, reverse)
    loss, grads, trace = model.loss_and_grads(inputs, targets)
    encoder, decoder = trace.parts["encoder"], trace.parts["decoder"]
    in_source_order = (lambda a: a[::-1]) if reverse else (lambda a: a)
    assert trace.hidden.shape == trace.grad_hidden.shape == (S + U, layers, B, H)
    for part in (encoder, decoder):  # written in place, not copied (the parts of one layer are views)
        assert np.shares_memory(trace.grad_hidden, part.grad_hidden)
        assert np.shares_memory(trace.hidden, part.hidden) == (layers == 1)  # more layers: the part stacks them
    np.testing.assert_array_equal(trace.hidden[:S], in_source_order(encoder.hidden))
    np.testing.assert_array_equal(trace.hidden[S:], decoder.hidden)
    np.testing.assert_array_equal(trace.grad_hidden[:S], in_source_order(encoder.grad_hidden))
    np.testing.assert_array_equal(trace.grad_hidden[S:], decoder.grad_hidden)
    # the context is the encoder's last processed top state, whichever order the source was read in
    np.testing.assert_array_equal(encoder.hidden[-1, -1], trace.hidden[0 if reverse else S - 1, -1])
    assert np.isfinite(trace.grad_hidden).all() and np.abs(trace.grad_hidden[:S]).sum() > 0

    def f():
        return float(model.loss_and_grads(inputs, targets)[0])

    assert loss == pytest.approx(model.loss(inputs, targets), rel=1e-12)
    for name, value in model.params.items():
        assert relative_error(grads[name], numerical_grad(f, value)) < TOLERANCE, name


def test_a_second_step_leaves_the_first_trace_alone():
    model, inputs, targets = _case("tanh", "init", 1, False)
    _, _, first = model.loss_and_grads(inputs, targets)
    kept = first.hidden.copy(), first.grad_hidden.copy()
    model.params["encoder.weight_hh_l0"] *= 1.1
    model.loss_and_grads(inputs, targets)
    np.testing.assert_array_equal(first.hidden, kept[0])
    np.testing.assert_array_equal(first.grad_hidden, kept[1])
