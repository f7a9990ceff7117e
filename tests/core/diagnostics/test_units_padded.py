"""Switching units off on padded labelled text: the ranking scores each sequence at its own last
real step (checked against holding each unit alone in the model), a unit's mean is taken over
real steps only, and the with/without chain of a sample ends at its last word."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.config import ModelConfig
from rnnviz.core.diagnostics.ablation import compare_clamp, hidden_means, rank_units
from rnnviz.core.nn.clamp import UnitClamp
from rnnviz.core.nn.model import RNN
from rnnviz.core.train.views import build, clamp_for

LENGTHS = (6, 3, 1, 4)


def _case(cell):
    model = RNN(ModelConfig(input_size=5, hidden_size=4, output_size=3, cell=cell, num_layers=2, pad_id=0,
                            seed=2, init_scale=1.5))
    rng = np.random.default_rng(0)
    inputs = rng.integers(1, 5, (6, len(LENGTHS)))
    for b, n in enumerate(LENGTHS):
        inputs[n:, b] = 0
    targets = rng.integers(0, 3, len(LENGTHS))
    return model, inputs, targets


@pytest.mark.parametrize("cell", ["tanh", "lstm", "gru"])
@pytest.mark.parametrize("mode", ["zero", "mean"])
def test_ranking_on_padded_text_matches_one_unit_at_a_time(cell, mode):
    model, inputs, targets = _case(cell)
    ranking = rank_units(model, inputs, targets, mode=mode)
    base = model.loss(inputs, targets)
    assert ranking.base_loss == pytest.approx(base, rel=1e-12)
    keep = np.ones((len(LENGTHS), 2, 4), dtype=bool)
    means = hidden_means(model, inputs, keep, np.zeros(keep.shape), None)
    _, _, trace = model.loss_and_grads(inputs, targets)
    real = np.arange(6)[:, None] < np.array(LENGTHS)[None, :]  # (T, B)
    np.testing.assert_allclose(means, trace.hidden.transpose(0, 2, 1, 3)[real].mean(axis=0))  # real steps only
    for i, (layer, unit) in enumerate(zip(ranking.layers, ranking.units)):
        value = 0.0 if mode == "zero" else float(means[layer, unit])
        model.clamp = UnitClamp(((int(layer), int(unit)),), (value,), mode)
        assert ranking.delta[i] == pytest.approx(model.loss(inputs, targets) - base, rel=1e-9, abs=1e-12)
        model.clamp = None


def test_with_and_without_on_padded_text_ends_at_the_last_word():
    model, inputs, targets = _case("tanh")
    model.clamp = UnitClamp(((0, 1),), (0.0,))
    result = compare_clamp(model, inputs, targets, None, sample=1)
    assert result.chain_with.shape == (2, LENGTHS[1] + 1)
    assert result.loss_with == pytest.approx(model.loss(inputs, targets), rel=1e-12)


def test_the_units_view_of_padded_text_is_there():
    model, inputs, targets = _case("lstm")
    details = build(model, inputs, targets, None, step=3, sample=2, ranking="always", mode="zero")
    assert details.units.ranking is not None and details.units.ranking_note == ""
    assert details.connectivity.matrix.shape == (LENGTHS[2], LENGTHS[2])
    clamp = clamp_for(model, (inputs, targets, None), [(1, 2)], "mean")
    assert clamp.units == ((1, 2),) and np.isfinite(clamp.values).all()
