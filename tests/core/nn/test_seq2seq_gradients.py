"""The encoder-decoder: every gradient against finite differences in float64, every context mode."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import ModelConfig
from rnnviz.core.nn.shapes import Seq2Seq, make_model
from tests.core.gradcheck import check_model_gradients

S, U, B, V = 4, 3, 2, 5
TOLERANCE = 1e-6


def _case(context, cell="tanh", decoder_cell=None, layers=1, reverse=False, decoder_hidden=None, seed=0):
    rng = np.random.default_rng(seed)
    config = ModelConfig(input_size=V + 1, hidden_size=3, output_size=V, cell=cell, num_layers=layers,
                         init_scale=1.5, arch="seq2seq", context=context, reverse_source=reverse,
                         decoder_hidden_size=decoder_hidden, decoder_cell=decoder_cell, source_length=S,
                         seed=seed)
    model = make_model(config)
    for name, value in model.params.items():
        if "bias" in name:
            value[...] = rng.normal(0, 0.3, value.shape)
    inputs = np.concatenate([rng.integers(0, V, (S, B)), np.full((1, B), V), rng.integers(0, V, (U - 1, B))])
    targets = rng.integers(0, V, (U, B))
    return model, inputs, targets


@pytest.mark.parametrize("context, cell, decoder_cell, layers, reverse, decoder_hidden", [
    ("init", "tanh", None, 1, False, None),
    ("every-step", "tanh", None, 1, False, None),
    ("both", "gru", "lstm", 1, True, 4),  # the two stacks differ in cell and size
    ("both", "lstm", "gru", 2, False, None),  # stacked
    ("init", "relu", "linear", 2, True, 2),
])
def test_encoder_decoder_gradients(context, cell, decoder_cell, layers, reverse, decoder_hidden):
    model, inputs, targets = _case(context, cell, decoder_cell, layers, reverse, decoder_hidden)
    trace = check_model_gradients(model, inputs, targets, TOLERANCE)
    assert set(trace.parts) == {"encoder", "decoder"}
    assert trace.hidden.shape[0] == S + U


def test_pytorch_names_under_prefixes():
    model, _, _ = _case("both", "lstm", "gru", 2)
    plain = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
             "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"}
    expected = ({f"encoder.{n}" for n in plain} | {f"decoder.{n}" for n in plain}
                | {"bridge.weight", "bridge.bias", "out.weight", "out.bias"})
    assert set(model.params) == expected
    assert model.params["decoder.weight_ih_l0"].shape == (3 * 3, V + 1 + 3)  # GRU, [one-hot, context]
    assert model.params["encoder.weight_hh_l0"].shape == (4 * 3, 3)  # LSTM
    assert "bridge.weight" not in _case("every-step")[0].params


def test_greedy_decoding_matches_teacher_forcing_on_its_own_answers():
    model, inputs, _ = _case("both", "gru", "tanh", 2)
    answer = model.greedy(inputs)  # (U, B)
    fed = inputs.copy()
    fed[S + 1:] = answer[:-1]  # the decoder reads its own previous answers
    outputs, _ = model.forward(fed)
    np.testing.assert_array_equal(outputs.argmax(axis=-1), answer)


def test_the_reversed_source_brings_the_first_token_next_to_the_context():
    forward, inputs, targets = _case("init", reverse=False)
    reversed_, _, _ = _case("init", reverse=True)
    _, _, plain = forward.loss_and_grads(inputs, targets)
    _, _, turned = reversed_.loss_and_grads(inputs, targets)
    # source token 0 is processed first without reversal, last (right before the context) with it
    assert turned.parts["encoder"].time_index[-1, 0] == 0
    np.testing.assert_array_equal(turned.parts["encoder"].hidden[::-1], turned.hidden[:S, ..., :3])


def test_params_can_be_replaced_as_one_dict():
    model, inputs, targets = _case("both", "gru")
    copy = Seq2Seq(model.config)
    copy.params = {k: v.copy() for k, v in model.params.items()}
    assert copy.loss(inputs, targets) == model.loss(inputs, targets)
