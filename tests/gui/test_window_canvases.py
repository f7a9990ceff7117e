"""The window skips the viewports' own background fill under opaque plots, and the picture on
screen (the window's backing store, not a fresh render) stays the same pixel for pixel."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from rnnviz.gui.panels import PANEL_CLASSES
from rnnviz.gui.window.canvases import paints_every_pixel, skip_viewport_fills
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.factories import make_view

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

OPAQUE = Qt.WidgetAttribute.WA_OpaquePaintEvent
SIZE = (420, 300)


def _panel_class(name: str):
    return next(c for c in PANEL_CLASSES if c.view_name == name)


def _shown(qtbot, panel_class, view):
    panel = panel_class()
    qtbot.addWidget(panel)
    panel.resize(*SIZE)
    panel.show()
    panel.update_view(view)
    return panel


def _on_screen(panel):
    """What the window system holds for ``panel``'s window once its pending repaints are done."""
    for _ in range(5):
        QApplication.processEvents()
    return panel.screen().grabWindow(panel.winId()).toImage()


def _zoom(panel) -> None:
    panel.canvas.ci.getItem(0, 0).getViewBox().scaleBy((0.5, 0.5))


@pytest.mark.parametrize("name", ["loss", "hidden"])
def test_skipping_the_fill_draws_the_same_picture_over_views_resizes_and_zooms(qtbot, name):
    views = [make_view(seed=seed, history=30 + 5 * seed, steps=10 + seed) for seed in range(3)]
    plain, skipping = _shown(qtbot, _panel_class(name), views[0]), _shown(qtbot, _panel_class(name), views[0])
    assert skip_viewport_fills(skipping) == 1 and skipping.canvas.viewport().testAttribute(OPAQUE)
    assert not plain.canvas.viewport().testAttribute(OPAQUE)
    changes = [lambda p, v=v: p.update_view(v) for v in views[1:]]
    changes += [lambda p: p.resize(SIZE[0] + 60, SIZE[1] - 40), lambda p: p.update_view(views[0]), _zoom,
                lambda p: p.update_view(views[2])]
    for change in changes:
        for panel in (plain, skipping):
            change(panel)
        assert _on_screen(plain) == _on_screen(skipping)


def test_the_comparison_reads_the_screen_not_a_fresh_render(qtbot):
    """A picture left unpainted is seen as it was on screen: the test above would see stale pixels."""
    views = [make_view(seed=seed, history=30 + 10 * seed) for seed in range(2)]
    panel = _shown(qtbot, _panel_class("loss"), views[0])
    before = _on_screen(panel)
    panel.setUpdatesEnabled(False)
    panel.update_view(views[1])
    assert _on_screen(panel) == before and panel.grab().toImage() != before
    panel.setUpdatesEnabled(True)
    assert _on_screen(panel) != before


def test_a_translucent_plot_keeps_its_fill(qtbot):
    panel = _shown(qtbot, _panel_class("loss"), make_view())
    panel.canvas.setBackground(None)
    assert not paints_every_pixel(panel.canvas)
    assert skip_viewport_fills(panel) == 0 and not panel.canvas.viewport().testAttribute(OPAQUE)


def test_the_window_marks_every_plot_canvas(make_window):
    window = make_window()
    plots = [panel for panel in window.panels if panel is not window.text_panel]
    assert plots and all(panel.canvas.viewport().testAttribute(OPAQUE) for panel in plots)
