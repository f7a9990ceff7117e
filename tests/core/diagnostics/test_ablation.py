"""Units switched off: the held network's gradients against finite differences, the batched
ranking against holding one unit at a time, and the with/without comparison."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.diagnostics.ablation import (compare_clamp, held_forward, per_sample_loss, rank_units)
from rnnviz.core.nn.clamp import UnitClamp
from tests.core.gradcheck import numerical_grad, relative_error
from tests.core.nn.test_gradients import CELLS, make_case

TOLERANCE = 1e-6


def held(model, units, values, mode="zero"):
    model.clamp = UnitClamp(tuple(units), tuple(values), mode)
    return model


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_held_network_gradients_match_finite_differences(cell, layers):
    model, inputs, targets, h0 = make_case(cell, layers, "ce_steps", token_inputs=layers == 1)
    units = [(0, 1), (layers - 1, 3)] if layers == 2 else [(0, 1), (0, 3)]
    held(model, units, [0.4, -0.7], "mean")
    loss, grads, trace = model.loss_and_grads(inputs, targets, h0)

    def f():
        return float(model.loss_and_grads(inputs, targets, h0)[0])

    for name, value in model.params.items():
        assert relative_error(grads[name], numerical_grad(f, value)) < TOLERANCE, name
    for layer, unit in units:  # the trace shows the held value, and no gradient reaches it
        expected = 0.4 if (layer, unit) == units[0] else -0.7
        np.testing.assert_array_equal(trace.hidden[:, layer, :, unit], expected)
    assert np.abs(trace.grad_hidden[:, 0, :, 1]).max() == 0.0


@pytest.mark.parametrize("cell", CELLS)
def test_held_forward_per_row_matches_the_held_parameters(cell):
    """Two independent implementations: holds written into the states step by step, and the
    effective parameters of rnnviz.core.nn.clamp."""
    model, inputs, targets, h0 = make_case(cell, 2, "se_steps", token_inputs=False)
    held(model, [(0, 2), (1, 0)], [0.3, -0.2])
    expected, _ = model.forward(inputs, h0)
    keep = np.ones((inputs.shape[1], 2, 5), dtype=bool)
    values = np.zeros((inputs.shape[1], 2, 5))
    keep[:, 0, 2] = keep[:, 1, 0] = False
    values[:, 0, 2], values[:, 1, 0] = 0.3, -0.2
    parts = h0 if isinstance(h0, tuple) else (h0,)
    got = held_forward(model, inputs, keep, values, parts)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    loss = per_sample_loss(got, targets).mean()
    assert loss == pytest.approx(float(model.loss_and_grads(inputs, targets, h0)[0]), rel=1e-12)


@pytest.mark.parametrize("mode", ["zero", "mean"])
@pytest.mark.parametrize("kind", ["ce_steps", "se_last"])
@pytest.mark.parametrize("cell", ["tanh", "lstm", "gru"])
def test_ranking_matches_one_unit_at_a_time(cell, kind, mode):
    model, inputs, targets, h0 = make_case(cell, 2, kind, token_inputs=True)
    held(model, [(1, 4)], [0.0])  # one unit already off stays off in every row
    ranking = rank_units(model, inputs, targets, h0, mode=mode)
    assert ranking.samples == inputs.shape[1]
    base = float(model.loss_and_grads(inputs, targets, h0)[0])
    assert ranking.base_loss == pytest.approx(base, rel=1e-12)
    assert (1, 4) not in set(zip(ranking.layers.tolist(), ranking.units.tolist()))
    if mode == "mean":  # the mean of each unit with the base hold, over steps and samples
        _, _, trace = model.loss_and_grads(inputs, targets, h0)
        means = trace.hidden.mean(axis=(0, 2))  # (L, H)
    for i, (layer, unit) in enumerate(zip(ranking.layers, ranking.units)):
        value = 0.0 if mode == "zero" else float(means[layer, unit])
        held(model, [(1, 4), (int(layer), int(unit))], [0.0, value], mode)
        one = float(model.loss_and_grads(inputs, targets, h0)[0])
        assert ranking.delta[i] == pytest.approx(one - base, rel=1e-9, abs=1e-12)
        held(model, [(1, 4)], [0.0])
    order = ranking.order()
    assert np.all(np.diff(ranking.delta[order]) <= 0)


def test_ranking_uses_fewer_samples_for_big_networks():
    model, inputs, targets, h0 = make_case("tanh", 1, "ce_steps", token_inputs=True)
    ranking = rank_units(model, inputs, targets, h0, max_rows=12)  # 6 blocks of 2 samples
    assert ranking.samples == 2
    base = float(model.loss_and_grads(inputs[:, :2], targets[:, :2], h0[:, :2])[0])
    assert ranking.base_loss == pytest.approx(base, rel=1e-12)


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
def test_comparison_with_and_without(cell):
    model, inputs, targets, h0 = make_case(cell, 1, "ce_steps", token_inputs=True)
    assert compare_clamp(model, inputs, targets, h0) is None
    free_loss, _, free_trace = model.loss_and_grads(inputs, targets, h0)
    held(model, [(0, 0), (0, 2)], [0.0, 0.0])
    result = compare_clamp(model, inputs, targets, h0)
    assert result.loss_without == pytest.approx(float(free_loss), rel=1e-12)
    assert result.loss_with == pytest.approx(float(model.loss_and_grads(inputs, targets, h0)[0]), rel=1e-12)
    np.testing.assert_allclose(result.profile_without[:, 0],
                               np.linalg.norm(free_trace.grad_hidden[:, 0], axis=-1).mean(axis=1))
    assert result.chain_with.shape == result.chain_without.shape == (1, inputs.shape[0] + 1)
    assert model.clamp is not None and model.clamp.units == ((0, 0), (0, 2))


def test_held_chain_matches_explicit_products():
    """The held network's Jacobian chain equals products of Jacobians with the held rows and
    columns removed (the held units neither read nor are read)."""
    from rnnviz.core.diagnostics.chain import chain_log_norms_explicit, layer_sample
    from rnnviz.core.nn.clamp import effective_model

    for cell in ("tanh", "gru"):
        model, inputs, targets, h0 = make_case(cell, 1, "ce_steps", token_inputs=True)
        held(model, [(0, 1)], [0.5])
        _, _, trace = model.loss_and_grads(inputs, targets, h0)
        twin = effective_model(model)
        w_hh, hidden, state0, extras = layer_sample(twin, trace, 0, 0)
        jac = twin.cell.step_jacobians(w_hh, hidden, state0, extras)  # (T, H, H)
        assert np.all(jac[:, 1, :] == 0) and np.all(jac[:, :, 1] == 0)
        got = compare_clamp(model, inputs, targets, h0).chain_with[0]
        explicit = chain_log_norms_explicit(twin, trace) / np.log(10.0)
        np.testing.assert_allclose(got, explicit, atol=1e-3)


def test_clamp_validation():
    with pytest.raises(ValueError, match="twice"):
        UnitClamp(((0, 1), (0, 1)), (0.0, 0.0))
    with pytest.raises(ValueError, match="finite"):
        UnitClamp(((0, 1),), (float("nan"),))
    with pytest.raises(ValueError, match="mode"):
        UnitClamp(((0, 1),), (0.0,), "half")
    with pytest.raises(ValueError, match="does not exist"):
        UnitClamp(((1, 0),), (0.0,)).check(1, 8)


def test_holding_half_the_exploding_units_pulls_the_chain_down():
    """The exploding ReLU network (sigma_max 2, T = 50, Exploding, clipped's) at its start: with half
    its units held at 0 the chain over the window falls by more than five decades and the loss by about ten."""
    from rnnviz.core.train import presets

    preset = presets.get_preset("Exploding, clipped")
    trainer = presets.make_trainer(preset.model, preset.train, preset.data)
    hidden = trainer.model_config.hidden_size
    trainer.switch_units_off([(0, unit) for unit in range(hidden // 2)], "zero")
    result = trainer.view_data(ranking="never").units.comparison
    assert result.chain_without[0, -1] - result.chain_with[0, -1] > 5
    assert result.loss_with < 1e-8 * result.loss_without
