"""Fork and compare without a window: forks share weights and batches, seeds give bands, groups save."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.errors import UserError
from rnnviz.core.train.group import RunGroup, band
from rnnviz.core.train.sweep import build_trainer

TINY = {"task": "adding", "length": 8, "hidden": 6, "batch": 4, "steps": 1000}


def trained(steps=5):
    trainer = build_trainer(TINY, 0)
    trainer.run(steps)
    return trainer


def test_a_fork_starts_from_the_same_weights_and_sees_the_same_batches():
    group = RunGroup(trained())
    fork = group.fork(lr=0.001).trainer
    first = group.members[0].trainer
    for name, value in first.model.params.items():
        np.testing.assert_array_equal(fork.model.params[name], value)
    assert fork.step_count == first.step_count == 5 and fork.train_config.lr == 0.001
    scaled = group.fork(recurrent_scale=0.5).trainer
    assert np.linalg.norm(scaled.model.params["weight_hh_l0"], 2) == pytest.approx(0.5)
    fresh = group.fork(cell="lstm")
    assert fresh.fresh and fresh.label == "cell=lstm (fresh weights)" and fresh.offset == 5
    assert group.same_batches() == [True] * 4
    batches = []
    for trainer in group.trainers:  # the next batch each run would draw
        state = (trainer.rng.bit_generator.state, trainer.source.get_state())
        batches.append(trainer.source.train_batch(4, 8, trainer.rng)[0])
        trainer.rng.bit_generator.state, _ = state
    assert all(np.array_equal(b, batches[0]) for b in batches)
    group.step_all(3)
    assert [t.step_count for t in group.trainers] == [8, 8, 8, 3]
    with pytest.raises(UserError, match="at most 4"):
        group.fork(lr=0.1)
    with pytest.raises(UserError, match="reference"):
        group.remove(0)


def test_seeds_give_a_median_and_a_band():
    median, low, high = band([np.array([1.0, 5.0]), np.array([3.0, np.nan]), np.array([2.0, 7.0])])
    np.testing.assert_array_equal(median, [2.0, 6.0])
    np.testing.assert_array_equal(low, [1.0, 5.0])
    np.testing.assert_array_equal(high, [3.0, 7.0])
    group = RunGroup(trained())
    group.fork(lr=0.05)
    group.with_seeds(3)
    group.step_all(2)
    for overlay in group.overlays():
        assert len(overlay.horizons) == 3 and len(overlay.final_losses) == 3
        assert (overlay.loss_low <= overlay.loss + 1e-12).all() and (overlay.loss <= overlay.loss_high + 1e-12).all()
        assert (overlay.profile_low < overlay.profile_high).any()  # seeds differ: a real band


def test_the_group_saves_and_loads(tmp_path):
    group = RunGroup(trained())
    group.fork(clip_mode="norm", clip_threshold=0.5)
    group.save(tmp_path / "g")
    again = RunGroup.load(tmp_path / "g")
    assert [m.label for m in again.members] == ["this run", "clip norm 0.5"]
    assert again.members[1].trainer.train_config.clip_mode == "norm"
    np.testing.assert_array_equal(again.members[1].trainer.model.params["weight_hh_l0"],
                                  group.members[1].trainer.model.params["weight_hh_l0"])
    (tmp_path / "g" / "group.json").write_text('{"format": "other"}')
    with pytest.raises(UserError, match="not an rnnviz group"):
        RunGroup.load(tmp_path / "g")


def test_a_tanh_fork_of_a_tanh_run_is_the_same_network():
    """Compare with tanh is the fork cell=tanh: on a tanh run nothing changes, so the fork keeps the
    weights and retraces the run exactly (its curves are the run's own)."""
    group = RunGroup(trained())
    fork = group.fork(cell="tanh")
    assert not fork.fresh and fork.label == "cell=tanh"
    group.step_all(4)
    first, second = group.trainers
    for name, value in first.model.params.items():
        np.testing.assert_array_equal(second.model.params[name], value, err_msg=name)
    ours, theirs = group.overlays()
    np.testing.assert_array_equal(theirs.profile, ours.profile)
    assert theirs.horizons == ours.horizons


def test_an_lstm_keeps_a_longer_horizon_than_its_tanh_fork_on_adding_t50():
    """The tanh comparison's lesson, on the LSTM preset (adding, T = 50): the LSTM after 60 steps
    and its tanh fork (fresh weights from the same position) trained 60 steps on the same batches."""
    from rnnviz.core.train.presets import preset_trainer

    trainer = preset_trainer("LSTM")
    group = RunGroup(trainer)
    group.fork(cell="tanh")
    group.step_all(60)
    lstm, tanh = group.overlays()
    assert lstm.profile.shape == tanh.profile.shape == (50,)
    assert tanh.label == "cell=tanh (fresh weights)"
    assert lstm.horizons[0] > tanh.horizons[0], (lstm.horizons, tanh.horizons)


def test_units_held_in_the_run_stay_held_in_a_fresh_fork_and_in_seed_companions():
    first = trained()
    first.switch_units_off([(0, 2), (0, 4)], "zero")
    group = RunGroup(first)
    lstm = group.fork(cell="lstm")
    assert lstm.label == "cell=lstm (fresh weights)"
    assert lstm.trainer.model.clamp.units == ((0, 2), (0, 4)) and lstm.trainer.model.clamp.values == (0.0, 0.0)
    lstm.trainer.run(2)
    hidden = lstm.trainer.view_data().snapshot.hidden  # (T, L, H) of the last batch's first sequence
    assert np.all(hidden[:, 0, [2, 4]] == 0.0) and np.any(hidden[:, 0, 3] != 0.0)
    both_ways = group.fork(bidirectional=True)  # its units are "fwd 2", "bwd 2": other stacks
    assert both_ways.label == "bidirectional (fresh weights; units freed)"
    assert both_ways.trainer.model.clamp is None
    group.with_seeds(2)
    companion = group.members[1].seeds[0]
    assert companion.model.clamp == lstm.trainer.model.clamp
    assert group.members[2].seeds[0].model.clamp is None
    smaller = RunGroup(first).fork(hidden_size=3)  # no unit 0:4 any more
    assert smaller.label.endswith("(fresh weights; units freed)") and smaller.trainer.model.clamp is None
