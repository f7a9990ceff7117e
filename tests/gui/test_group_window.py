"""Fork and compare inside the main window: the Runs dock forks the window's run, the window's own
thread trains every run on the same batches, the overlaid panel's legend names what differs, the
run selector chooses what the other panels show, and File > Save / Open keep the whole group."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.errors import UserError
from rnnviz.core.train.group_settings import fork_changes
from rnnviz.gui.window.group import show_runs


def test_fork_changes_from_the_form():
    assert fork_changes("clip_norm", "1") == {"clip_mode": "norm", "clip_threshold": 1.0}
    assert fork_changes("clip_norm", "none") == {"clip_mode": "none"}
    assert fork_changes("hidden", "16") == {"hidden_size": 16}
    assert fork_changes("cell", "irnn") == {"cell": "relu", "init": "identity"}
    with pytest.raises(UserError, match="must be a number"):
        fork_changes("lr", "fast")


def _group_of(window, count):
    view = window.latest_view
    return view is not None and view.group is not None and len(view.group.labels) == count


def test_fork_and_compare_in_the_window(make_window, qtbot, tmp_path, dialogs):
    window = make_window()
    dock = show_runs(window)
    assert window.runs_dock.isVisible() and not dock.selector.isEnabled()
    dock.setting.setCurrentText("lr")
    dock.value.setText("0.001")
    dock.fork()  # the first fork turns the window's run into a group
    qtbot.waitUntil(lambda: _group_of(window, 2), timeout=10_000)
    dock.tanh_button.click()
    dock.setting.setCurrentText("cell")
    dock.value.setText("lstm")
    dock.fork()
    qtbot.waitUntil(lambda: _group_of(window, 4), timeout=10_000)
    assert not dock.fork_button.isEnabled() and dock.selector.count() == 4
    start = [m.trainer.step_count for m in window.grouped.group.members]
    window.train_steps(6)  # the window's own Train N steps trains every run
    qtbot.waitUntil(lambda: all(m.trainer.step_count >= s + 6 for m, s in
                                zip(window.grouped.group.members, start)) and not window.worker.running,
                    timeout=30_000)
    assert all(window.grouped.group.same_batches()[:2])
    qtbot.waitUntil(lambda: dock.panel.plots["loss"].legend is not None
                    and len(dock.panel.plots["loss"].legend.items) == 4, timeout=10_000)
    legend = [label.text for _, label in dock.panel.plots["loss"].legend.items]
    assert legend[0].startswith("this run") and legend[1].startswith("lr=0.001")
    assert any(text.startswith("cell=lstm (fresh weights)") for text in legend)
    # the window's loss, gradient and chain panels overlay the other runs, named by what differs
    assert window.latest_view.group.selected == 0  # forking keeps the run shown
    for name in ("loss", "gradients", "chain"):
        panel = next(p for p in window.panels if p.view_name == name)
        qtbot.waitUntil(lambda: panel.view is not None and panel.view.group is not None
                        and [c.isVisible() for c in panel.runs.curves] == [False, True, True, True], timeout=10_000)
        names = [label.text for _, label in panel.plot.legend.items]
        assert any(n.startswith("run 1: lr=0.001") for n in names), (name, names)
        assert not any(n.startswith("run 0") for n in names)  # the shown run is the panel's own curves
    # the run selector: the other panels show the chosen run's own snapshot, the form its settings
    dock.selector.setCurrentIndex(1)
    dock.select(1)
    qtbot.waitUntil(lambda: window.latest_view is not None and window.latest_view.train_config["lr"] == 0.001
                    and window.latest_view.group.selected == 1, timeout=10_000)
    assert window.controls.train_settings()["lr"] == pytest.approx(0.001)
    # File > Save saves the group beside the session; opening the session restores every run
    path = tmp_path / "runs.npz"
    window.request_save.emit(str(path))
    qtbot.waitUntil(lambda: (tmp_path / "runs.group" / "group.json").exists() and path.exists(), timeout=10_000)
    labels = [m.label for m in window.grouped.group.members]
    steps = [m.trainer.step_count for m in window.grouped.group.members]
    window.start_with(None or {"hidden_size": 4}, {"batch_size": 4, "seq_len": 12},
                      {"kind": "task", "name": "adding", "length": 12})  # a new run replaces the group
    qtbot.waitUntil(lambda: window.latest_view is not None and window.latest_view.group is None
                    and window.grouped is None, timeout=10_000)
    assert not dock.selector.isEnabled()
    loss_panel = next(p for p in window.panels if p.view_name == "loss")
    qtbot.waitUntil(lambda: loss_panel.view is not None and loss_panel.view.group is None, timeout=10_000)
    assert not any(curve.isVisible() for curve in loss_panel.runs.curves)  # one run again: no overlays
    assert window.open_session(str(path))
    qtbot.waitUntil(lambda: _group_of(window, 4), timeout=10_000)
    assert [m.label for m in window.grouped.group.members] == labels
    assert [m.trainer.step_count for m in window.grouped.group.members] == steps
    assert not dialogs


def test_train_menu_compare_with_tanh_is_a_tanh_fork_in_the_runs_dock(make_window, qtbot, dialogs):
    from tests.gui.conftest import FAST_MODEL

    window = make_window(model={**FAST_MODEL, "cell": "gru"})
    window.train_steps(3)
    qtbot.waitUntil(lambda: not window.running and window.latest_view.snapshot.step == 3, timeout=10_000)
    window.compare_action.trigger()
    assert window.runs_dock.isVisible()  # the comparison is shown where every fork is
    qtbot.waitUntil(lambda: _group_of(window, 2), timeout=10_000)
    assert [m.label for m in window.grouped.group.members] == ["this run", "cell=tanh (fresh weights)"]
    gru, tanh = (m.trainer for m in window.grouped.group.members)
    assert gru.model_config.cell == "gru" and tanh.model_config.cell == "tanh" and gru.step_count == 3
    # both profiles with their horizons: the dock's overlay and the window's gradient panel
    dock = window.runs_dock.widget()
    qtbot.waitUntil(lambda: len(dock.panel.overlays) == 2, timeout=10_000)
    overlays = dock.panel.overlays
    names = [label.text for _, label in dock.panel.plots["loss"].legend.items]
    for overlay, name in zip(overlays, names):
        assert name.startswith(overlay.label) and f"horizon {overlay.horizons[0]}" in name
    gradients = next(p for p in window.panels if p.view_name == "gradients")
    qtbot.waitUntil(lambda: gradients.view is not None and gradients.view.group is not None, timeout=10_000)
    curve = gradients.runs.curves[1]
    assert curve.isVisible()
    np.testing.assert_allclose(curve.yData, overlays[1].profile)  # the tanh run's batch-mean ||dL/dh_t||
    window.compare_action.trigger()  # again: another tanh fork of the shown run, beside the first
    qtbot.waitUntil(lambda: _group_of(window, 3), timeout=10_000)
    assert not dialogs
