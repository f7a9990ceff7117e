"""Runs compared in the window: the group trains as one run, on the same batches; the view is the
selected run's with every run's overlay; the session saves and restores the whole group."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from rnnviz.core.errors import UserError
from rnnviz.core.train import presets, session
from rnnviz.core.train.group import RunGroup
from rnnviz.core.train.group_trainer import GroupedTrainer, group_folder, load_group_beside


def _run():
    run = presets.make_trainer({"hidden_size": 6}, {"batch_size": 4, "seq_len": 8},
                               {"kind": "task", "name": "adding", "length": 8})
    run.run(3)
    return run


def test_every_run_steps_on_the_same_batches_and_the_view_is_the_selected_runs():
    grouped = GroupedTrainer(RunGroup(_run()))
    grouped.fork({"lr": 0.03})
    grouped.fork({"clip_mode": "norm", "clip_threshold": 0.5}, index=0)
    assert grouped.selected == 0 and len(grouped.group.members) == 3
    grouped.run(4)
    steps = [m.trainer.step_count for m in grouped.group.members]
    assert steps == [7, 7, 7] and grouped.step_count == 7
    assert all(grouped.group.same_batches())
    grouped.select(1)
    view = grouped.view_data()
    assert view.train_config["lr"] == pytest.approx(0.03)  # the selected run's own snapshot
    g = view.group
    assert g.selected == 1 and g.labels[0] == "this run" and "lr" in g.labels[1] and "clip" in g.labels[2]
    assert len(g.overlays) == 3 and g.steps == (7, 7, 7)
    # the overlay of the selected run is its own loss history
    s, values = grouped.current.history.series("loss_smooth")
    np.testing.assert_allclose(g.overlays[1].loss, values)
    with pytest.raises(UserError):
        grouped.select(5)


def test_seeds_give_bands():
    grouped = GroupedTrainer(RunGroup(_run()))
    grouped.with_seeds(3)
    grouped.run(2)
    o = grouped.group_view(force=True).overlays[0]
    assert len(o.final_losses) == 3 and np.all(o.loss_low <= o.loss_high)
    assert (o.loss_high - o.loss_low).max() > 0


def test_a_copy_is_the_selected_run():
    grouped = GroupedTrainer(RunGroup(_run()))
    grouped.fork({"lr": 0.01})
    twin = copy.deepcopy(grouped)
    assert type(twin).__name__ == "Trainer" and twin.train_config.lr == pytest.approx(0.01)


def test_the_session_saves_and_restores_the_whole_group(tmp_path):
    grouped = GroupedTrainer(RunGroup(_run()))
    grouped.fork({"lr": 0.02})
    grouped.run(2)
    path = tmp_path / "run.npz"
    grouped.save_session(path)
    assert (group_folder(path) / "group.json").is_file()
    first = session.load(path)  # the session alone is the first run
    assert first.step_count == 5
    restored = load_group_beside(path, first)
    assert [m.label for m in restored.group.members] == [m.label for m in grouped.group.members]
    for a, b in zip(restored.group.members, grouped.group.members):
        for name, value in b.trainer.model.params.items():
            np.testing.assert_array_equal(a.trainer.model.params[name], value)
    assert load_group_beside(tmp_path / "other.npz") is None
