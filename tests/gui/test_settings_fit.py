"""The Settings form fits its dock at 1600 x 1000 without scrolling, also while a banner shows,
and the fields folded under "More settings" stay reachable from the keyboard."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QScrollArea

from rnnviz.core.train.presets import get_preset
from rnnviz.gui.window.layout import WINDOW_SIZE
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def settings_scroll(window) -> QScrollArea:
    return window.controls_dock.findChild(QScrollArea)


def settle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: (window.width(), window.height()) == WINDOW_SIZE, timeout=5000)
    for _ in range(5):
        QApplication.processEvents()


@pytest.fixture
def irnn_window(make_window, qtbot):
    preset = get_preset("IRNN")
    window = make_window(preset.model, preset.train, preset.data)
    window.reset_layout()
    window.resize(*WINDOW_SIZE)
    settle(qtbot, window)
    return window


def test_the_form_needs_no_vertical_scroll_at_1600_by_1000(irnn_window, qtbot):
    assert WINDOW_SIZE == (1600, 1000)
    scroll = settings_scroll(irnn_window)
    assert scroll.widget() is irnn_window.controls
    assert scroll.verticalScrollBar().maximum() == 0
    assert irnn_window.controls.minimumSizeHint().height() <= scroll.viewport().height()
    irnn_window.banner.show_warning("the run diverged at step 12: roll back, or continue with clipping")
    settle(qtbot, irnn_window)
    assert irnn_window.banner.isVisible()
    assert scroll.verticalScrollBar().maximum() == 0  # the banner takes height from the dock


def test_more_settings_opens_with_enter_and_its_fields_take_focus(irnn_window, qtbot):
    controls = irnn_window.controls
    assert not controls.more.is_open() and not controls.model_seed.isVisible()
    controls.more.button.setFocus()
    qtbot.keyClick(controls.more.button, Qt.Key.Key_Return)
    assert controls.more.is_open() and controls.model_seed.isVisible() and controls.train_seed.isVisible()
    controls.model_seed.setFocus()
    controls.model_seed.selectAll()
    qtbot.keyClicks(controls.model_seed, "7")  # typed into the folded field, not lost to a shortcut
    qtbot.keyClick(controls.model_seed, Qt.Key.Key_Return)
    assert controls.model_seed.value() == 7
    assert "model seed" in controls.pending_changes()
    qtbot.keyClick(controls.more.button, Qt.Key.Key_Return)
    assert not controls.more.is_open() and not controls.model_seed.isVisible()


def test_every_label_says_more_in_its_tooltip_and_the_decoder_fields_are_flagged(irnn_window):
    from PyQt6.QtWidgets import QLabel

    controls = irnn_window.controls
    labels = [label for label in controls.findChildren(QLabel) if label.buddy() is not None]
    assert len(labels) >= 18  # every settings row, folded ones included
    assert all(label.toolTip() for label in labels)
    assert controls.more.button.text() == "More settings"
    index = next(i for i in range(controls.data_combo.count())
                 if (controls.data_combo.itemData(i) or {}).get("name") == "reverse")
    controls.data_combo.setCurrentIndex(index)
    assert controls.more.button.text() == "More settings (decoder)"
    assert controls.decoder_cell.isEnabled()


def test_tab_reaches_more_settings_after_the_clipping_fields_and_the_labels_agree_in_number(irnn_window):
    controls = irnn_window.controls

    def next_tab_stop(start):
        """The next widget Tab would focus, past ``start``'s own parts (a spin box's line edit)."""
        widget = start.nextInFocusChain()
        while (start.isAncestorOf(widget) or widget.parent() is start
               or not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisible() and widget.isEnabled())):
            widget = widget.nextInFocusChain()
        return widget

    assert next_tab_stop(controls.clip_threshold) is controls.more.button
    controls.more.set_open(True)
    # the adding task needs no decoder: its fields are disabled, and Tab goes on to the seeds
    assert next_tab_stop(controls.more.button) is controls.model_seed
    assert next_tab_stop(controls.model_seed) is controls.train_seed
    assert controls.num_layers.text().endswith("1 layer")
    controls.num_layers.setValue(2)
    assert controls.num_layers.text().endswith("2 layers")
