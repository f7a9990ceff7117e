"""The connectivity map ||∂ŷ_t/∂x_s|| against finite differences, for every cell and shape."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.diagnostics.connectivity import connectivity, input_gradients, mean_by_distance
from rnnviz.core.nn.clamp import UnitClamp
from tests.core.gradcheck import numerical_grad, relative_error
from tests.core.nn.test_gradients import CELLS, make_case

TOLERANCE = 1e-6


def one_sample(model, inputs, h0):
    """Sample 1 of the batch, as floats (one-hot for tokens), and its initial state (L, H)."""
    x = np.asarray(inputs)[:, 1]
    if np.issubdtype(x.dtype, np.integer):
        floats = np.eye(model.config.input_size)[x]  # (T, X) one-hot
    else:
        floats = x.copy()
    state = tuple(part[:, 1] for part in h0) if isinstance(h0, tuple) else h0[:, 1]
    return x, floats, state


def numeric_gradients(model, floats, state, out_step, direction):
    """(T_s, R, X) by central differences on the float input vector."""
    h0 = tuple(part[:, None] for part in state) if isinstance(state, tuple) else state[:, None]
    x = floats[:, None, :].copy()  # (T, 1, X)
    out = np.empty((x.shape[0], out_step.size, x.shape[2]))
    for r, (t, k) in enumerate(zip(out_step, direction)):
        out[:, r] = numerical_grad(lambda: float(model.forward(x, h0)[0][t, 0, k]), x)[:, 0]
    return out


@pytest.mark.parametrize("held", [False, True], ids=["free", "held"])
@pytest.mark.parametrize("classify", [True, False], ids=["logit", "frobenius"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_input_gradients_match_finite_differences(cell, layers, classify, held):
    model, inputs, _, h0 = make_case(cell, layers, "ce_steps", token_inputs=classify)
    if held:
        model.clamp = UnitClamp(((layers - 1, 2),), (0.3,), "mean")
    x, floats, state = one_sample(model, inputs, h0)
    grads, out_step, direction = input_gradients(model, x, state, classify)
    steps, outputs = x.shape[0], model.config.output_size
    assert grads.shape == (steps, steps * (1 if classify else outputs), model.config.input_size)
    if classify:  # the predicted class of every step
        logits, _ = model.forward(floats[:, None, :], tuple(p[:, None] for p in state)
                                  if isinstance(state, tuple) else state[:, None])
        np.testing.assert_array_equal(direction, logits[:, 0].argmax(axis=1))
    numeric = numeric_gradients(model, floats, state, out_step, direction)
    assert relative_error(grads, numeric) < TOLERANCE
    for r, t in enumerate(out_step):  # causality: no gradient from inputs after the output
        assert np.abs(grads[t + 1:, r]).max(initial=0.0) == 0.0


@pytest.mark.parametrize("classify", [True, False])
def test_map_is_the_norm_of_those_gradients(classify):
    model, inputs, _, h0 = make_case("gru", 2, "ce_steps", token_inputs=False, seed=3)
    x, _, state = one_sample(model, inputs, h0)
    grads, out_step, _ = input_gradients(model, x, state, classify)
    result = connectivity(model, x, state, classify)
    steps = x.shape[0]
    expected = np.zeros((steps, steps))
    for r, t in enumerate(out_step):
        expected[t] += (grads[:, r] ** 2).sum(axis=1)
    np.testing.assert_allclose(result.matrix, np.sqrt(expected), rtol=1e-12)
    assert np.all(np.triu(result.matrix, 1) == 0)
    assert np.all(result.matrix.diagonal() > 0)
    np.testing.assert_allclose(np.nansum(result.share, axis=1), 1.0)
    np.testing.assert_allclose(result.by_distance[0], result.matrix.diagonal().mean())
    np.testing.assert_allclose(result.by_distance[steps - 1], result.matrix[steps - 1, 0])
    assert result.readout == ("predicted logit" if classify else "Frobenius")


def test_mean_by_distance_ignores_nan():
    matrix = np.array([[1.0, 0, 0], [2.0, 3.0, 0], [np.nan, 4.0, 5.0]])
    np.testing.assert_allclose(mean_by_distance(matrix), [3.0, 3.0, np.nan])


def test_vanishing_network_has_a_narrow_band():
    """A tanh network with sigma_max 0.5 forgets: connectivity falls by decades with distance."""
    from rnnviz.core import RNN, ModelConfig

    model = RNN(ModelConfig(input_size=6, hidden_size=16, output_size=6, recurrent_scale=0.5, seed=1))
    x = np.random.default_rng(0).integers(0, 6, 30)
    result = connectivity(model, x)
    assert result.by_distance[20] < 1e-4 * result.by_distance[0]


def test_presets_tell_their_story_in_the_connectivity():
    """At the presets' start (T = 50, the IRNN's 30): Vanishing looks back a few steps, the sigma_max 2
    network of Exploding, clipped is swamped by early inputs and Exploding's (1.1 per step) leans on
    them, IRNN looks back across its window (0.92 per step), the LSTM fades slowly."""
    from rnnviz.core.train import presets

    def by_distance(name):
        preset = presets.get_preset(name)
        trainer = presets.make_trainer(preset.model, preset.train, preset.data)
        return trainer.view_data(ranking="never").connectivity.by_distance

    vanishing, exploding = by_distance("Vanishing"), by_distance("Exploding, clipped")
    leaning = by_distance("Exploding")
    irnn, lstm = by_distance("IRNN"), by_distance("LSTM")
    assert vanishing[10] < 1e-4 * vanishing[0] and vanishing[40] < 1e-18 * vanishing[0]
    assert exploding[40] > 1e3 * exploding[0]
    assert leaning[40] > 5 * leaning[0]  # measured 13: ~1.1^40 less what the inputs' own scale takes
    assert 0.03 < irnn[29] / irnn[0] < 2 and irnn[29] > 1e8 * vanishing[29]  # measured 0.066
    assert 1e-4 * lstm[0] < lstm[40] < lstm[0] and lstm[40] > 1e12 * vanishing[40]


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
def test_grouped_sweeps_of_a_longer_window_match_finite_differences(cell):
    """T = 26: the outputs are swept back in two groups, each from its own last step."""
    from rnnviz.core import RNN, ModelConfig
    from rnnviz.core.diagnostics import connectivity as module

    model = RNN(ModelConfig(input_size=3, hidden_size=4, output_size=3, cell=cell, num_layers=2, seed=2))
    x = np.random.default_rng(1).normal(size=(26, 3))
    assert min(module.GROUPS, 26 // module.STEPS_PER_GROUP) == 2
    grads, out_step, direction = input_gradients(model, x, None, classify=True)
    rows = [0, 12, 13, 25]  # the ends of both groups
    numeric = numeric_gradients(model, x, np.zeros((2, 4)) if cell == "tanh" else (np.zeros((2, 4)),) * 2,
                                out_step[rows], direction[rows])
    assert relative_error(grads[:, rows], numeric) < TOLERANCE
