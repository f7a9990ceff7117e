"""The window's keyboard: Space trains and pauses, S and Right step, and input widgets keep
their own keys."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

from tests.gui.conftest import OFFSCREEN_NOISE, latest_step

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_space_toggles_training(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.running, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.running, timeout=5000)


def test_s_and_right_arrow_step_once(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: latest_step(window) == 1, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: latest_step(window) == 2, timeout=5000)


def test_single_key_shortcuts_leave_input_widgets_their_keys(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    fired = []  # a shortcut triggers its action synchronously, inside the key event
    window.train_action.triggered.connect(lambda *_: fired.append("train"))
    window.step_action.triggered.connect(lambda *_: fired.append("step"))
    slider = window.text_panel.temperature
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus, timeout=5000)
    value = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Right)  # moves the slider, takes no training step
    assert slider.value() > value and fired == []
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_S)  # away from input widgets, S still steps
    assert fired == ["step"]


def test_space_trains_after_choosing_a_cell_and_after_typing_a_rate(make_window, qtbot):
    """A chosen combo box does not keep Space; a text field keeps it until Enter or Escape."""
    window = make_window()
    window.show()
    window.activateWindow()
    fired = []
    window.train_action.triggered.connect(lambda *_: fired.append("train"))
    combo = window.controls.cell
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=5000)
    qtbot.keyClick(combo, Qt.Key.Key_Space)  # a chosen cell: Space trains, the chooser stays shut
    assert fired == ["train"] and not combo.view().isVisible()
    field = window.controls.lr
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    qtbot.keyClick(field, Qt.Key.Key_Space)  # typing in a field: the key is the field's
    assert fired == ["train"]
    qtbot.keyClick(field, Qt.Key.Key_Return)  # commits, and gives the keys back
    qtbot.waitUntil(lambda: not field.hasFocus(), timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert fired == ["train", "train"]
    assert window.controls.key_hint.isVisible() and "Enter or Esc" in window.controls.key_hint.text()


def test_only_the_focused_widget_is_watched_for_keys(make_window, qtbot):
    """The keys' filter follows the focus: no Python runs for the other widgets' events (the
    plots' paints among them)."""
    window = make_window()
    window.show()
    window.activateWindow()
    keys = window._keys_first
    field = window.controls.lr
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    focused = window.focusWidget()
    assert focused in keys._watched and all(w is focused or w is focused.parent() for w in keys._watched)
    combo = window.controls.cell
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=5000)
    assert focused not in keys._watched and window.focusWidget() in keys._watched
