"""What makes a panel's update cheaper must not change its picture: a range it already shows is
not set again, the scene's items are prepared once (curves in pixels, text from a pixmap), a
token axis given the same tokens keeps its texts, markers move in place and a band's fill is
traced once per view. Each panel is drawn twice over the same
views, resizes and zooms, once with that work skipped and once with it done every time, and the
two pictures must be the same, pixel for pixel. Speed itself is shown by ``rnnviz bench --only
window-redraw``, never asserted here."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtGui, QtWidgets

from rnnviz.gui.panels import PANEL_CLASSES, SpectrumPanel, base
from rnnviz.gui.plot import steady
from tests.gui.factories import make_view


@pytest.fixture(scope="module")
def views():
    """Successive views of a run (new numbers, a longer history) and one with a second layer,
    whose curves and legend entries _redraw makes when it arrives."""
    return [make_view(steps=14, hidden=8, layers=1, history=12, seed=0),
            make_view(steps=14, hidden=8, layers=1, history=16, seed=1),
            make_view(steps=14, hidden=8, layers=2, history=21, seed=2),
            make_view(steps=14, hidden=8, layers=2, history=26, seed=3)]


def pixels(panel) -> np.ndarray:
    image = panel.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    raw = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    return raw.reshape(image.height(), image.bytesPerLine()).copy()


def with_skipping(skip: bool, action) -> None:
    """Run ``action`` with the skipped work on (the window's way) or off (done every time)."""
    saved = steady.SKIP_SAME_RANGE, base.SKIP_REPEATED_WORK
    steady.SKIP_SAME_RANGE = base.SKIP_REPEATED_WORK = skip
    try:
        action()
    finally:
        steady.SKIP_SAME_RANGE, base.SKIP_REPEATED_WORK = saved


def zoom(panel) -> None:
    """What the mouse's wheel does: every plot of the panel shows the middle half of its range."""
    for item in panel.canvas.scene().items():
        if isinstance(item, pg.ViewBox):
            (x0, x1), (y0, y1) = item.viewRange()
            item.setRange(xRange=(x0 + (x1 - x0) / 4, x1 - (x1 - x0) / 4),
                          yRange=(y0 + (y1 - y0) / 4, y1 - (y1 - y0) / 4), padding=0)


@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda cls: cls.__name__)
def test_skipped_work_draws_the_same_picture(qtbot, views, panel_class):
    fast, full = panel_class(), panel_class()
    steps = [("view", views[0]), ("view", views[1]), ("resize", (560, 380)), ("view", views[1]),
             ("zoom", None), ("view", views[2]), ("view", views[2]), ("resize", (640, 420)),
             ("zoom", None), ("view", views[3]), ("view", views[3])]
    for panel in (fast, full):
        qtbot.addWidget(panel)
        panel.resize(640, 420)
    for what, value in steps:
        for panel, skip in ((fast, True), (full, False)):
            def act(panel=panel):
                if what == "view":
                    panel.update_view(value)
                elif what == "resize":
                    panel.resize(*value)
                else:
                    zoom(panel)
            with_skipping(skip, act)
        np.testing.assert_array_equal(pixels(fast), pixels(full), err_msg=f"after {what}")


def test_items_made_by_a_later_view_are_prepared_too(qtbot, views):
    panel = SpectrumPanel()
    qtbot.addWidget(panel)
    panel.update_view(views[0])
    panel.update_view(views[2])  # two layers: a new scatter, a new curve and their legend entries
    scene = panel.canvas.scene().items()
    curves = [item for item in scene if isinstance(item, pg.PlotCurveItem)]
    texts = [item for item in scene if isinstance(item, QtWidgets.QGraphicsTextItem)]
    assert len(panel.sv_curves) == 2 and all(getattr(curve, "_rnnviz_pixels", False) for curve in curves)
    assert texts and all(text.cacheMode() != QtWidgets.QGraphicsItem.CacheMode.NoCache for text in texts)
    assert panel.legend.isVisible()  # the legend that now has entries is shown


def test_a_range_already_shown_is_not_set_again_but_a_zoom_is_undone(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    assert steady.set_range(plot, x=(0, 10), y=(-1, 1))
    assert not steady.set_range(plot, x=(0, 10), y=(-1, 1))  # shown already: left alone
    plot.vb.setRange(xRange=(2, 3), padding=0)  # the mouse zoomed in
    assert steady.set_range(plot, x=(0, 10), y=(-1, 1))
    assert plot.vb.viewRange() == [[0, 10], [-1, 1]]
    plot.vb.enableAutoRange()  # pyqtgraph's "A" button: the plot's own range again
    assert steady.set_range(plot, x=(0, 10), y=(-1, 1))
    assert not any(plot.vb.state["autoRange"])


def test_a_line_and_its_dots_draw_what_a_curve_with_symbols_drew(qtbot):
    """The spectrum's singular values: a PlotCurveItem and a ScatterPlotItem that does not range
    the plot, in place of one PlotDataItem with symbols (gaps included)."""
    x = np.arange(1, 41, dtype=float)
    y = np.linspace(2.0, 0.1, 40)
    y[[3, 17]] = np.nan
    pictures = []
    for split in (False, True):
        widget = pg.PlotWidget()
        qtbot.addWidget(widget)
        widget.resize(400, 300)
        plot = widget.getPlotItem()
        if split:
            line = pg.PlotCurveItem(x, y, pen=pg.mkPen("#1f77b4"), connect="finite")
            plot.addItem(line)
            dots = pg.ScatterPlotItem(symbol="o", size=4, pen=pg.mkPen(None), brush=pg.mkBrush("#1f77b4"))
            plot.addItem(dots, ignoreBounds=True)
            base.set_points(dots, x, y)
            line.setData(x, y * 0.9)
            base.set_points(dots, x, y * 0.9)  # the second time, positions only
        else:
            curve = plot.plot(x, y, pen=pg.mkPen("#1f77b4"), symbol="o", symbolSize=4, symbolBrush="#1f77b4",
                              symbolPen=None, connect="finite")
            curve.setData(x, y * 0.9)
        steady.hold_items(plot)
        pictures.append(pixels(widget))
    np.testing.assert_array_equal(*pictures)


@pytest.mark.parametrize("log_y", [True, False])
def test_a_line_draws_what_a_plot_data_item_drew(qtbot, log_y):
    """base.Line in place of ``plot.plot(pen=..., connect="finite")``: the same picture on a log
    or linear plot, gaps (NaN, Inf, a zero on the log axis) and a second setData included."""
    x = np.arange(60, dtype=float)
    first = np.exp(-x / 9.0) + 1e-3
    second = first * 1.7
    second[[5, 30]] = np.nan
    second[12], second[40] = np.inf, 0.0
    pictures = []
    for lean in (False, True):
        widget = pg.PlotWidget()
        qtbot.addWidget(widget)
        widget.resize(400, 300)
        plot = widget.getPlotItem()
        plot.setLogMode(x=False, y=log_y)
        pen = pg.mkPen("#d62728", width=2)
        if lean:
            curve = base.line(plot, pen, log_y=log_y)
            curve.set_values(x, first)
            curve.set_values(x, second)
        else:
            curve = plot.plot(pen=pen, connect="finite")
            curve.setData(x, first)
            curve.setData(x, second)
        steady.hold_items(plot)
        pictures.append(pixels(widget))
    np.testing.assert_array_equal(*pictures)


def test_symmetric_levels_end_at_the_largest_finite_magnitude():
    """One pass over the values when all are finite; NaN and Inf are still left out."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 40))
    assert base.symmetric_levels(values) == (-np.abs(values).max(), np.abs(values).max())
    assert base.symmetric_levels(np.array([np.nan, 1.0, -3.0, np.inf])) == (-3.0, 3.0)
    assert base.symmetric_levels(np.array([-np.inf, np.nan])) == (-1.0, 1.0)  # nothing finite: any scale
    assert base.symmetric_levels(np.zeros(4)) == (-1.0, 1.0)  # all zero: white
    assert base.symmetric_levels(None) == base.symmetric_levels([]) == (-1.0, 1.0)
    assert base.symmetric_levels([1.0, -2.5]) == (-2.5, 2.5)


def test_marks_with_nothing_to_mark_are_left_alone(qtbot):
    """Empty before and after: set_points tells no one (no setData, no signal, no repaint);
    points arriving, moving and leaving are all drawn."""
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    dots = pg.ScatterPlotItem(symbol="x", size=10, brush=pg.mkBrush("#000000"))
    widget.getPlotItem().addItem(dots)
    changed = []
    dots.sigPlotChanged.connect(changed.append)
    base.set_points(dots, [], [])
    assert changed == [] and len(dots.data) == 0
    base.set_points(dots, [1.0, 2.0], [3.0, 4.0])
    base.set_points(dots, [1.5, 2.5], [3.0, 4.0])
    base.set_points(dots, [], [])
    assert len(changed) == 3 and len(dots.data) == 0
