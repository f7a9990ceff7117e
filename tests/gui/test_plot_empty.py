"""A scatter plot with no points is not painted by pyqtgraph at all, and the picture is the same:
empty, then filled (its points drawn), then emptied again (nothing left behind)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg

from rnnviz.gui.plot import empty, style
from tests.gui.pictures import pixels


def scatter_plot(qtbot, prepared: bool):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 200)
    plot = widget.addPlot()
    scatter = pg.ScatterPlotItem(symbol="x", size=11, brush=pg.mkBrush("#CC0000"), pen=pg.mkPen("#CC0000"))
    plot.addItem(scatter)
    plot.setRange(xRange=(0, 4), yRange=(0, 4), padding=0)
    if prepared:
        style.prepare_item(scatter)
    return widget, scatter


def test_an_empty_scatter_is_not_painted_and_looks_the_same(qtbot, monkeypatch):
    painted = []
    real = pg.ScatterPlotItem.paint

    def counted(self, *args) -> None:
        painted.append(self)
        real(self, *args)

    monkeypatch.setattr(pg.ScatterPlotItem, "paint", counted)
    shown, scatter = scatter_plot(qtbot, prepared=True)
    plain, reference = scatter_plot(qtbot, prepared=False)
    assert scatter._rnnviz_skips_empty
    for points in ([], [[1, 2, 3], [1, 3, 2]], []):  # empty, filled, emptied again
        for item in (scatter, reference):
            item.setData(*points) if points else item.setData([], [])
        painted.clear()
        picture = pixels(shown.grab().toImage())
        assert (scatter in painted) == bool(points)  # pyqtgraph's paint only with points to draw
        np.testing.assert_array_equal(picture, pixels(plain.grab().toImage()))


def test_installed_once(qtbot):
    _, scatter = scatter_plot(qtbot, prepared=True)
    wrapped = scatter.paint
    empty.skip_when_empty(scatter)
    style.prepare_item(scatter)
    assert scatter.paint is wrapped
