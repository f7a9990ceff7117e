"""Connectivity of the other shapes against finite differences in float64: every cell, stacked,
bidirectional (tokens, floats, padded), padded one-stack text, encoder-decoder (each context
mode, reversed source, a decoder of another size and cell) and vector-to-sequence.

The finite differences go through each model's own forward pass fed float inputs (a one-hot
vector for a token, which the token path computes as a row gather), not through the code
under test.
"""

from dataclasses import replace

import numpy as np
import pytest

from rnnviz.core.config import ModelConfig
from rnnviz.core.diagnostics.connectivity_shapes import shaped_connectivity
from rnnviz.core.nn.model import RNN
from rnnviz.core.nn.shapes import make_model

CELLS = ("tanh", "relu", "lstm", "gru")
EPS = 1e-6


def _jacobian(outputs_of, x):
    """J[t, y, s, j] = ∂ŷ[t, y]/∂x[s, j] by central differences; x (S, X) floats."""
    base = outputs_of(x)
    jac = np.zeros((*base.shape, *x.shape))
    for s in range(x.shape[0]):
        for j in range(x.shape[1]):
            up, down = x.copy(), x.copy()
            up[s, j] += EPS
            down[s, j] -= EPS
            jac[:, :, s, j] = (outputs_of(up) - outputs_of(down)) / (2 * EPS)
    return base, jac


def _expected(base, jac, classify: bool):
    """(T, S) the map from the Jacobian: the predicted logit's row, or the Frobenius norm."""
    if classify:
        k = base.argmax(axis=1)  # (T,)
        return np.linalg.norm(jac[np.arange(base.shape[0]), k], axis=-1)  # (T, S)
    return np.sqrt((jac ** 2).sum(axis=(1, 3)))


def _one_hot(ids, vocab):
    x = np.zeros((ids.size, vocab))
    x[np.arange(ids.size), ids] = 1.0
    return x


def _config(**kwargs):
    base = dict(input_size=5, hidden_size=3, output_size=4, num_layers=2, dtype="float64", seed=3,
                init_scale=1.5)
    base.update(kwargs)
    return ModelConfig(**base)


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_tokens(cell):
    model = make_model(_config(cell=cell, bidirectional=True))
    ids = np.array([1, 4, 0, 2, 3, 1])
    conn = shaped_connectivity(model, ids, None, classify=True)
    base, jac = _jacobian(lambda x: model.forward(x[:, None])[0][:, 0], _one_hot(ids, 5))
    np.testing.assert_allclose(conn.matrix, _expected(base, jac, True), rtol=1e-6, atol=1e-9)
    assert not conn.causal and conn.matrix[0, -1] > 0  # the first output reads the last input
    assert np.array_equal(conn.predicted, base.argmax(axis=1))


@pytest.mark.parametrize("cell", ("tanh", "lstm"))
def test_bidirectional_floats_regression(cell):
    model = make_model(_config(cell=cell, bidirectional=True, input_size=2, output_size=2))
    x = np.random.default_rng(0).normal(size=(5, 2))
    conn = shaped_connectivity(model, x, None, classify=False)
    base, jac = _jacobian(lambda v: model.forward(v[:, None])[0][:, 0], x)
    np.testing.assert_allclose(conn.matrix, _expected(base, jac, False), rtol=1e-6, atol=1e-9)
    # distance |t - s|: the mean over the pairs at that distance
    d = 3
    pairs = [conn.matrix[t, s] for t in range(5) for s in range(5) if abs(t - s) == d]
    assert conn.by_distance[d] == pytest.approx(np.mean(pairs))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", (False, True))
def test_padded_text_respects_the_length(cell, bidirectional):
    model = make_model(_config(cell=cell, bidirectional=bidirectional, pad_id=0, num_layers=1 + bidirectional))
    ids = np.array([3, 1, 4, 2, 0, 0, 0])  # four real tokens, then pads
    conn = shaped_connectivity(model, ids, None, classify=True)
    assert conn.matrix.shape == (4, 4) and "real steps only" in conn.note
    plain = make_model(replace(model.config, pad_id=None))
    plain.params = model.params
    base, jac = _jacobian(lambda x: plain.forward(x[:, None])[0][:, 0], _one_hot(ids[:4], 5))
    np.testing.assert_allclose(conn.matrix, _expected(base, jac, True), rtol=1e-6, atol=1e-9)
    # the last real step's prediction is the one the classifier is scored on
    scored = model.forward(ids[:, None])[0] if bidirectional else None
    if scored is not None:
        np.testing.assert_allclose(scored[:4, 0], base, rtol=1e-12)


def _seq2seq_outputs(model, source_x, read):
    """Teacher-forced outputs (U, Y) of an encoder-decoder whose source is given as float vectors
    (S, V) in source order: the encoder and decoder stacks' own forward passes."""
    c = model.config
    src = source_x[::-1] if c.reverse_source else source_x
    encoder = RNN(model.encoder.config)  # the encoder's stack with a readout it never uses
    encoder.params = {**model.encoder.params, "out.weight": np.zeros((1, c.hidden_size)), "out.bias": np.zeros(1)}
    _, state = encoder.forward(src[:, None])
    context = (state[0] if isinstance(state, tuple) else state)[-1]  # (1, He) top layer's last h
    h0 = None
    if c.context in ("init", "both"):
        start = np.tanh(context @ model.params["bridge.weight"].T + model.params["bridge.bias"])
        first = np.repeat(start[None], c.num_layers, axis=0)
        h0 = (first, np.zeros_like(first)) if len(model.decoder.cell.state_names) > 1 else first
    if c.context in ("every-step", "both"):
        x = np.concatenate([_one_hot(read, c.input_size), np.repeat(context, read.size, axis=0)], axis=1)[:, None]
    else:
        x = read[:, None]
    return model.decoder.forward(x, h0)[0][:, 0]


@pytest.mark.parametrize("cell,decoder_cell", [("tanh", None), ("lstm", None), ("gru", "tanh"), ("relu", "lstm")])
@pytest.mark.parametrize("context", ("init", "every-step", "both"))
@pytest.mark.parametrize("reverse", (False, True))
def test_encoder_decoder_source_map(cell, decoder_cell, context, reverse):
    config = _config(cell=cell, arch="seq2seq", context=context, reverse_source=reverse, source_length=4,
                     decoder_hidden_size=4, decoder_cell=decoder_cell, output_size=5)
    model = make_model(config)
    ids = np.array([1, 2, 3, 4, 0, 2, 1])  # 4 source tokens, 3 decoder inputs
    conn = shaped_connectivity(model, ids, None, classify=True)
    source, read = ids[:4], ids[4:]
    np.testing.assert_allclose(_seq2seq_outputs(model, _one_hot(source, 5), read),
                               model.forward(ids[:, None])[0][:, 0], rtol=1e-12)  # the test's path is the model's
    base, jac = _jacobian(lambda x: _seq2seq_outputs(model, x, read), _one_hot(source, 5))
    assert conn.matrix.shape == (3, 4) and not conn.causal
    np.testing.assert_allclose(conn.matrix, _expected(base, jac, True), rtol=1e-6, atol=1e-9)
    # distance: the encoder steps after token s, then u + 1 decoder steps
    s_last_read = 0 if reverse else 3
    assert conn.by_distance[1] == pytest.approx(conn.matrix[0, s_last_read])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("context", ("init", "every-step", "both"))
def test_vector_to_sequence(cell, context):
    model = make_model(_config(cell=cell, arch="vec2seq", context=context, input_size=3, output_size=2))
    v = np.random.default_rng(1).normal(size=3)
    steps = 6
    inputs = np.repeat(v[None], steps, axis=0)  # (U, D): v at every step, step 0 read
    conn = shaped_connectivity(model, inputs, None, classify=False)

    def outputs_of(x):
        return model.forward(np.repeat(x, steps, axis=0)[:, None])[0][:, 0]

    base, jac = _jacobian(outputs_of, v[None])
    assert conn.matrix.shape == (steps, 1)
    np.testing.assert_allclose(conn.matrix, _expected(base, jac, False), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(conn.by_distance[1:], conn.matrix[:, 0])


@pytest.mark.parametrize("arch", ("bidirectional", "seq2seq", "vec2seq"))
def test_units_held_are_held_in_the_map(arch):
    """With units switched off, the map is the held network's: finite differences through the
    model's own forward pass, which holds them."""
    from rnnviz.core.nn.clamp import UnitClamp

    shape = {"bidirectional": dict(bidirectional=True), "seq2seq": dict(arch="seq2seq", source_length=3),
             "vec2seq": dict(arch="vec2seq")}[arch]
    tokens = arch == "seq2seq"  # a source of tokens; the others read floats here
    sizes = {} if tokens else dict(input_size=2, output_size=2)
    model = make_model(_config(cell="tanh", num_layers=1, **sizes, **shape))
    x = np.array([1, 4, 2, 0, 3]) if tokens else np.random.default_rng(1).normal(size=(5, 2))
    free = shaped_connectivity(model, x, None, classify=tokens).matrix
    model.clamp = UnitClamp(((0, 0), (0, 1)), (0.3, -0.2))
    held = shaped_connectivity(model, x, None, classify=tokens).matrix
    assert not np.allclose(held, free)  # holding two of three units changes what reaches the outputs
    if arch == "bidirectional":  # the one shape whose map is a plain input x output Jacobian
        base, jac = _jacobian(lambda v: model.forward(v[:, None])[0][:, 0], x)
        np.testing.assert_allclose(held, _expected(base, jac, False), rtol=1e-6, atol=1e-9)
