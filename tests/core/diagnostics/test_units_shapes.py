"""Units switched off in a bidirectional, an encoder-decoder and a vector-to-sequence network:
the held network's gradients against finite differences in float64, the held parameters against
per-row holds written step by step, the batched ranking against holding one unit at a time, the
with/without comparison and the units' names."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.diagnostics.ablation import compare_clamp, per_sample_loss, rank_units
from rnnviz.core.diagnostics.held import held_pass
from rnnviz.core.nn.clamp import UnitClamp, effective_model
from rnnviz.core.nn.units import locate, parse_unit, unit_name, units_per_layer
from tests.core.gradcheck import numerical_grad, relative_error
from tests.core.nn.test_seq2seq_gradients import _case as seq2seq_case
from tests.core.nn.test_shapes_gradients import _case as bidirectional_case
from tests.core.nn.test_vec2seq_gradients import _case as vec2seq_case

TOLERANCE = 1e-6

# name: (the network, its batch and targets; held units and values). Small sizes: H = 3 per
# direction, He = 3 and Hd = 4; the cells rotate over the cases to keep the suite fast.
CASES = {
    "bidirectional gru, 2 layers, every step": (lambda: bidirectional_case("gru", 2, "ce_steps"),
                                                [((0, 1), 0.3), ((0, 4), -0.5), ((1, 2), 0.2)]),
    "bidirectional lstm, padded, last step": (lambda: bidirectional_case("lstm", 1, "se_last", padded=True),
                                              [((0, 5), 0.4), ((0, 0), -0.2)]),
    "bidirectional tanh, floats, last step": (lambda: bidirectional_case("tanh", 1, "ce_last", tokens=False),
                                              [((0, 2), 0.6)]),
    "encoder tanh, decoder gru of 4, both contexts, 2 layers": (
        lambda: seq2seq_case("both", "tanh", "gru", 2, True, 4),
        [((0, 1), 0.3), ((1, 2), -0.5), ((1, 4), 0.2), ((0, 6), 0.1)]),
    "encoder-decoder tanh, start state only": (lambda: seq2seq_case("init", "tanh"), [((0, 2), -0.4), ((0, 3), 0.3)]),
    "encoder-decoder gru, context at every step": (lambda: seq2seq_case("every-step", "gru"), [((0, 0), 0.5)]),
    "vector-to-sequence lstm, 2 layers": (lambda: vec2seq_case("both", "lstm", 2), [((0, 1), 0.3), ((1, 3), -0.5)]),
}


def _hold(model, held):
    model.clamp = UnitClamp(tuple(u for u, _ in held), tuple(v for _, v in held))
    return model


@pytest.mark.parametrize("case", list(CASES))
def test_held_gradients_match_finite_differences(case):
    build, held = CASES[case]
    model, inputs, targets = build()
    _hold(model, held)
    loss, grads, trace = model.loss_and_grads(inputs, targets)

    def f():
        return float(model.loss_and_grads(inputs, targets)[0])

    for name, value in model.params.items():
        assert relative_error(grads[name], numerical_grad(f, value)) < TOLERANCE, name
    # every stack's trace shows the held values, and no gradient reaches a held unit
    for (layer, unit), value in held:
        name, index, _ = locate(model.config, unit)
        part = trace.parts[name]
        np.testing.assert_array_equal(part.hidden[:, layer, :, index], value)
        assert np.abs(part.grad_hidden[:, layer, :, index]).max() == 0.0
        if name in ("forward", "backward"):  # side by side in the units of the joined trace
            np.testing.assert_array_equal(trace.hidden[:, layer, :, unit], value)


@pytest.mark.parametrize("case", list(CASES))
def test_held_parameters_match_holds_written_step_by_step(case):
    """Two independent implementations of the same held network: the effective parameters of
    rnnviz.core.nn.clamp, and the per-row holds of rnnviz.core.diagnostics.held."""
    build, held = CASES[case]
    model, inputs, targets = build()
    free_loss = float(model.loss_and_grads(inputs, targets)[0])
    _hold(model, held)
    loss = float(model.loss_and_grads(inputs, targets)[0])
    assert loss != pytest.approx(free_loss)  # the holds change something
    width, layers = units_per_layer(model.config), model.config.num_layers
    keep, values = model.clamp.masks(layers, width)
    rows = inputs.shape[1]
    last_step = targets.ndim != (2 if targets.dtype.kind in "iu" else 3)
    run = held_pass(model, inputs, np.broadcast_to(keep, (rows, layers, width)),
                    np.broadcast_to(values, (rows, layers, width)), last_step=last_step)
    assert per_sample_loss(run.outputs, targets).mean() == pytest.approx(loss, rel=1e-12)
    outputs, state = model.forward(inputs)
    if not last_step:
        np.testing.assert_allclose(run.outputs, outputs, rtol=1e-12, atol=1e-12)
    assert state is None


@pytest.mark.parametrize("mode", ["zero", "mean"])
@pytest.mark.parametrize("case", list(CASES))
def test_ranking_matches_one_unit_at_a_time(case, mode):
    build, held = CASES[case]
    model, inputs, targets = build()
    _hold(model, held[:1])  # one unit already held stays held in every row
    ranking = rank_units(model, inputs, targets, mode=mode)
    width, layers = units_per_layer(model.config), model.config.num_layers
    assert ranking.delta.size == layers * width - 1 and (held[0][0] not in zip(ranking.layers, ranking.units))
    base = float(model.loss_and_grads(inputs, targets)[0])
    assert ranking.base_loss == pytest.approx(base, rel=1e-12)
    hold_at = None
    if mode == "mean":  # each unit's mean over a pass with the first unit held, from the held parameters
        hold_at = _means_from_trace(model, inputs, targets)
    for j, (layer, unit) in enumerate(zip(ranking.layers, ranking.units)):
        value = 0.0 if hold_at is None else hold_at[layer, unit]
        _hold(model, [held[0], ((int(layer), int(unit)), value)])
        loss = float(model.loss_and_grads(inputs, targets)[0])
        assert ranking.delta[j] == pytest.approx(loss - base, abs=1e-11), ranking.names[j]
    assert ranking.names[0] == unit_name(model.config, int(ranking.layers[0]), int(ranking.units[0]))


def _means_from_trace(model, inputs, targets) -> np.ndarray:
    """(L, W) every unit's mean over its stack's steps and the batch, read off the held trace."""
    trace = model.loss_and_grads(inputs, targets)[2]
    if not trace.parts or "forward" in trace.parts:  # side by side in the units, in input order
        if trace.lengths is None:
            return trace.hidden.mean(axis=(0, 2))
        real = np.arange(trace.hidden.shape[0])[:, None] < trace.lengths[None, :]  # (T, B)
        return (trace.hidden * real[:, None, :, None]).sum(axis=(0, 2)) / real.sum()
    return np.concatenate([part.hidden.mean(axis=(0, 2)) for part in trace.parts.values()], axis=-1)


@pytest.mark.parametrize("case", list(CASES))
def test_comparison_with_and_without_for_every_stack(case):
    build, held = CASES[case]
    model, inputs, targets = build()
    free = float(model.loss_and_grads(inputs, targets)[0])
    _hold(model, held)
    result = compare_clamp(model, inputs, targets)
    assert result.loss_without == pytest.approx(free, rel=1e-12)
    assert result.loss_with == pytest.approx(float(model.loss_and_grads(inputs, targets)[0]), rel=1e-12)
    parts = list(model.loss_and_grads(inputs, targets)[2].parts)
    assert list(result.part_chains) == parts
    for name, (chain_with, chain_without) in result.part_chains.items():
        assert chain_with.shape == chain_without.shape and chain_with.shape[0] == model.config.num_layers
        assert np.isfinite(chain_without).all()
    assert result.names == tuple(unit_name(model.config, *unit) for unit, _ in sorted(held))


def test_a_held_unit_cuts_its_stack_chain_where_it_is_the_only_path():
    """With every forward unit of a one-layer bidirectional net held, the forward chain is cut
    to 0 after its first step, and the backward one is untouched."""
    model, inputs, targets = bidirectional_case("tanh", 1, "ce_steps")
    _hold(model, [((0, 0), 0.0), ((0, 1), 0.0), ((0, 2), 0.0)])
    result = compare_clamp(model, inputs, targets)
    forward_with, forward_without = result.part_chains["forward"]
    backward_with, backward_without = result.part_chains["backward"]
    assert np.all(forward_with[0, 1:] == -np.inf) and np.isfinite(forward_without[0]).all()
    np.testing.assert_allclose(backward_with, backward_without, rtol=1e-6)  # products in float32


def test_effective_model_leaves_the_stacks_of_the_model_alone():
    model, inputs, targets = seq2seq_case("both", "lstm", "gru", 1, False, 4)
    before = {name: value.copy() for name, value in model.params.items()}
    _hold(model, [((0, 1), 0.5), ((0, 5), -0.5)])
    twin = effective_model(model)
    assert twin.encoder is not model.encoder and twin.decoder is not model.decoder
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, before[name])
    assert model.encoder.params["weight_hh_l0"] is model.params["encoder.weight_hh_l0"]
    assert twin.encoder.params["weight_hh_l0"] is twin.params["encoder.weight_hh_l0"]
    assert np.all(twin.params["encoder.weight_hh_l0"][:, 1] == 0)
    assert np.all(twin.params["bridge.weight"][:, 1] == 0) and np.all(twin.params["decoder.weight_ih_l0"][:, 6 + 1] == 0)


def test_names_and_numbers():
    bi = bidirectional_case("tanh", 2, "ce_steps")[0].config
    s2s = seq2seq_case("init", "tanh", None, 1, False, 4)[0].config
    v2s = vec2seq_case("init")[0].config
    assert units_per_layer(bi) == 6 and units_per_layer(s2s) == 7 and units_per_layer(v2s) == 4
    assert [unit_name(bi, 1, u) for u in (0, 2, 3, 5)] == ["1:fwd 0", "1:fwd 2", "1:bwd 0", "1:bwd 2"]
    assert [unit_name(s2s, 0, u) for u in (2, 3, 6)] == ["enc 2", "dec 0", "dec 3"]
    assert unit_name(v2s, 0, 3) == "dec 3"
    assert parse_unit(bi, "1:bwd 2") == (1, 5) and parse_unit(bi, "0:bwd0") == (0, 3) and parse_unit(bi, "0:4") == (0, 4)
    assert parse_unit(s2s, "dec 1") == (0, 4) and parse_unit(s2s, "enc 2") == (0, 2)
    with pytest.raises(ValueError, match="4 units"):
        parse_unit(s2s, "dec 4")
    with pytest.raises(ValueError, match="not a unit"):
        parse_unit(s2s, "fwd 1")
    with pytest.raises(ValueError, match="does not exist"):
        UnitClamp(((0, 7),), (0.0,)).check(1, units_per_layer(s2s))
