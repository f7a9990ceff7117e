"""Units switched off in a training run, the distributions it records, and both in a session."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import SessionError
from rnnviz.core.train import session
from rnnviz.core.train.distributions import NAN, POSINF
from rnnviz.core.train.trainer import Trainer
from tests.core.fake_sources import ExplodingSource, FakeText

TRAIN = TrainConfig(batch_size=4, seq_len=8, val_every=3, diag_every=2, checkpoint_every=4)


def trainer(cell="tanh"):
    return Trainer(FakeText(), ModelConfig(hidden_size=10, cell=cell), TRAIN)


@pytest.mark.parametrize("mode", ["zero", "mean"])
def test_training_goes_on_with_units_held(mode):
    run = trainer("gru")
    run.run(3)
    clamp = run.switch_units_off([(0, 2), (0, 7)], mode)
    if mode == "mean":  # the mean over the last batch as the network computed it
        last = run.last_batch
        inputs, targets, h0 = last.inputs, last.targets, last.h0
        run.model.clamp = None
        _, _, trace = run.model.loss_and_grads(inputs, targets, h0)
        run.model.clamp = clamp
        np.testing.assert_allclose(clamp.values, trace.hidden[:, 0][..., [2, 7]].mean(axis=(0, 1)))
    else:
        assert clamp.values == (0.0, 0.0)
    run.run(4)
    view = run.view_data()
    assert np.all(view.snapshot.hidden[:, 0, [2, 7]] == np.array(clamp.values))
    assert np.all(view.snapshot.grad_hidden[:, 0, [2, 7]] == 0)
    units = view.units
    assert units.clamp == clamp and units.comparison.units == clamp.units
    assert units.comparison.loss_with != units.comparison.loss_without
    assert units.ranking is not None and (0, 2) not in zip(units.ranking.layers, units.ranking.units)
    assert run.switch_units_off([]) is None and run.units_off is None
    with pytest.raises(ValueError, match="does not exist"):
        run.switch_units_off([(0, 10)])


def test_held_units_keep_their_value_when_more_are_held():
    run = trainer()
    run.run(2)
    first = run.switch_units_off([(0, 1)], "mean")
    second = run.switch_units_off([(0, 1), (0, 4)], "mean")
    assert second.values[0] == first.values[0]


def test_view_has_connectivity_and_distributions():
    run = trainer()
    run.run(4)
    view = run.view_data(sample=2)
    assert view.connectivity.matrix.shape == (8, 8)
    assert "grad/weight_hh_l0" in view.distributions and "hidden/l0" in view.distributions
    steps, rows = view.distributions["weight_hh_l0"]
    np.testing.assert_array_equal(steps, [1, 2, 4])  # diag_every = 2, and step 1
    np.testing.assert_array_equal(rows[-1, :9], np.percentile(run.model.params["weight_hh_l0"],
                                                              (0, 7, 16, 31, 50, 69, 84, 93, 100)))
    assert run.view_data(ranking="never").units.ranking is None


def test_a_blow_up_is_recorded_as_non_finite_counts():
    run = Trainer(ExplodingSource(), ModelConfig(hidden_size=8, cell="relu", recurrent_scale=3.0),
                  TrainConfig(batch_size=2, seq_len=40, lr=1.0, optimizer="sgd", diag_every=1))
    result = run.run(50)
    assert result.diverged
    steps, rows = run.view_data().distributions["hidden/l0"]
    assert steps[-1] == result.step
    bad = rows[-1, NAN] + rows[-1, POSINF]
    grad_rows = run.view_data().distributions["grad/weight_hh_l0"][1]
    assert bad > 0 or grad_rows[-1, NAN] + grad_rows[-1, POSINF] > 0
    assert np.isfinite(rows[:-1, :9]).all()


def test_session_keeps_units_and_distributions(tmp_path):
    path = tmp_path / "run.npz"
    run = trainer("lstm")
    run.run(4)
    run.switch_units_off([(0, 3)], "mean")
    run.run(2)
    session.save(run, path)
    saved = run.distributions.data()
    expected = [run.step().loss for _ in range(3)]
    loaded = session.load(path, source=FakeText())
    assert loaded.units_off == run.units_off and loaded.units_mode == "mean"
    assert set(loaded.distributions.data()) == set(saved)
    for name, (steps, rows) in saved.items():
        np.testing.assert_array_equal(loaded.distributions.data()[name][0], steps)
        np.testing.assert_array_equal(loaded.distributions.data()[name][1], rows)
    assert [loaded.step().loss for _ in range(3)] == expected


@pytest.mark.parametrize("units_off, message", [
    ({"units": [[0, 99]], "values": [0.0], "mode": "zero"}, "does not exist"),
    ({"units": [[0, 1]], "values": ["x"], "mode": "zero"}, "damaged"),
    ({"units": [[0, 1]], "values": [0.0], "mode": "half"}, "mode"),
    ({"units": [[0, 1], [0, 1]], "values": [0.0, 1.0], "mode": "zero"}, "twice"),
    ([1, 2], "damaged"),
])
def test_damaged_units_are_refused(tmp_path, units_off, message):
    path = tmp_path / "run.npz"
    run = trainer()
    run.run(2)
    session.save(run, path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    metadata = json.loads(str(arrays["metadata"]))
    metadata["units_off"] = units_off
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(path, **arrays)
    with pytest.raises(SessionError, match=message):
        session.load(path, source=FakeText())


def test_a_mean_that_overflowed_is_refused_with_the_reason():
    from rnnviz.core.train import presets

    # the sigma_max 2 ReLU network of Exploding, clipped, trained by plain SGD unclipped: diverges at step 2
    run = presets.make_trainer(presets.EXPLODING_MODEL, {**presets.EXPLODING_TRAINING, "clip_mode": "none"},
                               presets.get_preset("Exploding, clipped").data)
    assert run.run(40).diverged
    view = run.view_data()  # a diverged run still gives every view
    assert view.connectivity is not None and view.units.ranking is not None
    assert np.isfinite(view.snapshot.hidden).all() and view.snapshot.note  # the last finite state, marked
    with pytest.raises(ValueError, match="hold it at zero"):
        run.switch_units_off([(0, 1)], "mean")
    assert run.units_off is None
    assert run.switch_units_off([(0, 1)], "zero").values == (0.0,)


def test_snapshot_diagnostics_describe_the_network_with_its_units_held():
    run = trainer()
    run.run(3)
    run.switch_units_off([(0, 0), (0, 5)])
    view = run.view_data(ranking="never")
    np.testing.assert_allclose(view.snapshot.diagnostics.chain_log10[0], view.units.comparison.chain_with[0],
                               atol=1e-9)


def test_auto_views_reuse_a_recent_ranking_of_the_same_units():
    run = trainer()
    run.run(2)
    first = run.view_data().units.ranking
    assert first.step == 2
    run.run(1)
    assert run.view_data().units.ranking is first  # younger than RANKING_SECONDS: shown again
    assert run.view_data(ranking="always").units.ranking.step == 3
    run.switch_units_off([(0, 1)])
    assert run.view_data().units.ranking.step == 3 and (0, 1) not in zip(*[run.view_data().units.ranking.layers,
                                                                          run.view_data().units.ranking.units])
    run.RANKING_SECONDS = 0.0
    run.run(1)
    assert run.view_data().units.ranking.step == 4
    run.reset()
    assert run.view_data().units.ranking.step == 0


def test_damaged_distributions_are_refused(tmp_path):
    path = tmp_path / "run.npz"
    run = trainer()
    run.run(4)
    session.save(run, path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["dist/0/rows"] = arrays["dist/0/rows"][:, :5]
    np.savez(path, **arrays)
    with pytest.raises(SessionError, match="'dist/0/rows' has shape"):  # refused from its header, unread
        session.load(path, source=FakeText())


def test_runs_compared_with_units_held_draw_the_held_chain():
    from rnnviz.core.diagnostics.ablation import compare_clamp
    from rnnviz.core.train.group import RunGroup, shared_batch

    run = trainer()
    run.run(3)
    run.switch_units_off([(0, unit) for unit in range(6)])
    group = RunGroup(run)
    member = group.members[0].trainer
    batch = member.source.validation_batch(TRAIN.batch_size, TRAIN.seq_len) or shared_batch(member)
    held = compare_clamp(member.model, *batch)
    np.testing.assert_allclose(group.overlays()[0].chain_log10, held.chain_with[0], atol=1e-9)


def test_the_exploding_preset_blows_up_in_the_distributions_without_spoiling_earlier_steps():
    """The story of the distributions view on the Exploding preset: the recurrent gradient's bands
    climb by decades (measured 0.29 at step 1, 7.5e7 at step 30), then the step that overflows is a
    mark of its own (every value of dL/dW_hh NaN at step 38) and the earlier bands stay finite."""
    from rnnviz.core.train import presets
    from rnnviz.core.train.distributions import NEGINF, SIZE

    preset = presets.get_preset("Exploding")
    run = presets.make_trainer(preset.model, preset.train, preset.data)
    result = run.run(60)
    assert result.diverged
    recorded = run.view_data(ranking="never").distributions
    steps, rows = recorded["grad/weight_hh_l0"]
    assert steps[-1] == result.step and rows[-1, NAN] == rows[-1, SIZE]  # all of it NaN: the mark
    assert np.isfinite(rows[:-1, :9]).all() and rows[-2, 8] > 1e6 * rows[0, 8]  # decades, then the blow-up
    out_steps, out_rows = recorded["grad/out.weight"]
    assert out_steps[-1] == result.step and out_rows[-1, POSINF] > 0 and out_rows[-1, NEGINF] > 0
