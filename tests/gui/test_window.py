"""The main window as a user drives it: it opens with every panel drawn, trains, steps, exports,
and stops its thread when closed."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog

from tests.gui.conftest import OFFSCREEN_NOISE, latest_step

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_window_opens_with_every_panel_drawn(make_window):
    from rnnviz.gui.panels import PANEL_CLASSES

    window = make_window()
    names = [panel.view_name for panel in window.panels]
    assert names == [cls.view_name for cls in PANEL_CLASSES] + ["text"]
    tabs = {name: {d.objectName() for d in window.tabifiedDockWidgets(window.docks[window.panels[names.index(name)]])}
            for name in ("gates", "connectivity", "distributions", "units")}
    assert tabs == {"gates": {"dock-hidden"}, "connectivity": {"dock-chain"},  # tabs: nine plots
                    "distributions": {"dock-flow"}, "units": {"dock-gradients"}}  # fit 1600 x 1000
    for panel in window.panels:
        assert window.docks[panel].isVisible(), panel.title
        assert panel.view is window.latest_view  # the first view reached every panel
    assert window.latest_view.snapshot.step == 0
    assert "adding" in window.windowTitle()
    assert window.controls.pending_changes() == []  # the form shows the settings in use


def test_train_button_trains_and_the_panels_change(make_window, qtbot):
    window = make_window()
    loss_panel = window.panels[0]
    assert loss_panel.view.series["loss"][0].size == 0  # nothing trained yet
    first_hidden = np.array(window.panels[1].view.snapshot.hidden)
    qtbot.mouseClick(window.controls.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.running, timeout=5000)
    from rnnviz.gui.window.main import in_sight

    qtbot.waitUntil(lambda: all(p.view is not None and p.view.snapshot.step >= 5 for p in window.panels
                                if in_sight(p)), timeout=20_000)  # the tabbed-away ones wait to be shown
    qtbot.mouseClick(window.controls.train_button, Qt.MouseButton.LeftButton)  # Pause
    qtbot.waitUntil(lambda: not window.running, timeout=5000)
    assert loss_panel.view.series["loss"][0].size >= 5
    assert not np.array_equal(np.array(window.panels[1].view.snapshot.hidden), first_hidden)
    assert window.status.labels["step"].text().startswith("step ")
    assert int(window.status.labels["step"].text().split()[1]) >= 5


def test_step_applies_exactly_one_update(make_window, qtbot):
    window = make_window()
    window.controls.step_button.click()
    qtbot.waitUntil(lambda: latest_step(window) == 1, timeout=5000)
    window.controls.step_button.click()
    qtbot.waitUntil(lambda: latest_step(window) == 2, timeout=5000)


def test_export_all_and_this_panel_write_files(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window()
    window.train_steps(2)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 2, timeout=10_000)
    folder = tmp_path / "plots"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    window.choose_export_all()
    qtbot.waitUntil(lambda: (folder / "history.npz").exists(), timeout=30_000)
    for view in ("loss", "hidden", "gradients", "chain", "flow", "weights", "spectrum", "norms", "gates"):
        for suffix in (".png", ".svg", ".csv"):
            assert (folder / f"{view}{suffix}").stat().st_size > 0, view + suffix
    assert '"steps_done": 2' in (folder / "metadata.json").read_text()  # the command line's keys

    qtbot.mouseClick(window.panels[3].canvas.viewport(), Qt.MouseButton.LeftButton)  # the chain panel
    assert window.current_panel is window.panels[3]
    assert window.panels[3].title in window.export_panel_action.text()
    target = tmp_path / "one" / "chain.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "SVG drawing (*.svg)")))
    window.choose_export_panel()
    root = ET.parse(target).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 10  # a real drawing, not an empty file


def test_closing_while_training_stops_the_thread_within_a_second(make_window, qtbot):
    window = make_window()
    window.start_training()
    qtbot.waitUntil(lambda: latest_step(window) >= 2, timeout=10_000)
    began = time.perf_counter()
    window.close()
    elapsed = time.perf_counter() - began
    assert not window.worker_thread.isRunning()
    assert elapsed < 1.0, f"closing took {elapsed:.2f} s"
