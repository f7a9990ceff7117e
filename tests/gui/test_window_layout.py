"""The window's layout: docks, the View menu and Reset layout, and settings that persist."""

from __future__ import annotations

import pytest

from tests.gui.conftest import OFFSCREEN_NOISE, latest_step

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_layout_and_settings_persist(make_window, settings):
    window = make_window()
    window.controls.lr.setValue(0.02)
    window.close()
    settings.sync()
    assert settings.value("window_state") is not None and settings.value("geometry") is not None
    assert '"lr": 0.02' in settings.value("last_train")


def test_view_menu_hides_a_dock_and_reset_layout_brings_it_back(make_window, qtbot):
    window = make_window()
    norms = next(p for p in window.panels if p.view_name == "norms")
    window.docks[norms].toggleViewAction().trigger()
    assert not window.docks[norms].isVisible()
    window.train_steps(2)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: window.drawn.get(window.panels[0]) is window.latest_view, timeout=5000)
    assert norms.view.snapshot.step == 0  # a hidden panel is not redrawn
    window.reset_layout()
    assert window.docks[norms].isVisible()
    qtbot.waitUntil(lambda: norms.view.snapshot.step == 2, timeout=5000)  # and catches up when shown
