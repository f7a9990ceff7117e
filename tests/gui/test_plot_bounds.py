"""Cheap bounding rects (``rnnviz.gui.plot.bounds``) answer what pyqtgraph answers, after every
change that moves a rect (new views, resizes, zooms, grid and tick-length changes), and the
panels draw the same picture, bit for bit, with them and without them."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtCore, QtGui

from rnnviz.gui.panels import PANEL_CLASSES, ChainPanel, GradientsPanel, LossPanel, SpectrumPanel
from rnnviz.gui.plot import bounds
from tests.gui.pictures import SIZES, assert_same_pictures, grabs, items_with_own, three_views



@pytest.fixture(scope="module")
def views():
    return three_views()


def installed(panel) -> list:
    return items_with_own(panel, "boundingRect")


def pyqtgraphs(item) -> QtCore.QRectF:
    return type(item).boundingRect(item)


def assert_same_rects(panel) -> int:
    items = installed(panel)
    for item in items:
        assert item.boundingRect() == pyqtgraphs(item), type(item).__name__
    return len(items)


def test_every_panel_installs_them_on_its_axes_views_and_widgets(qtbot, views):
    for panel_class in PANEL_CLASSES:
        panel = panel_class()
        qtbot.addWidget(panel)
        kinds = {type(item) for item in installed(panel)}
        assert any(issubclass(kind, pg.AxisItem) for kind in kinds), panel_class.__name__
        assert any(issubclass(kind, pg.ViewBox) for kind in kinds), panel_class.__name__
        assert any(issubclass(kind, pg.PlotItem) for kind in kinds), panel_class.__name__


def test_rects_follow_views_resizes_zooms_grids_and_ticks(qtbot, views):
    for panel_class in PANEL_CLASSES:
        panel = panel_class()
        qtbot.addWidget(panel)
        panel.show()
        for view, size in zip(views, SIZES):
            panel.resize(*size)
            panel.update_view(view)
            qtbot.waitUntil(lambda: panel.canvas.size() != QtCore.QSize(0, 0))
            panel.grab()  # a paint asks for every rect: they are kept from here on
            assert assert_same_rects(panel) > 0, panel_class.__name__
        for item in panel.canvas.scene().items():
            if isinstance(item, pg.ViewBox) and item.isVisible():
                x, y = item.viewRange()
                item.setRange(xRange=(x[0], x[0] + (x[1] - x[0]) / 3), padding=0)  # a zoom re-lays the axes
        panel.grab()
        assert_same_rects(panel)


def test_an_axis_rect_follows_its_own_and_its_views_geometry(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot()
    widget.resize(400, 300)
    widget.show()
    left = plot.getAxis("left")
    bounds.install(left)
    plot.showGrid(x=True, y=True)
    before = left.boundingRect()
    assert before == pyqtgraphs(left) and before.width() > left.width()  # the grid spans the view
    widget.resize(500, 200)
    qtbot.waitUntil(lambda: pyqtgraphs(left) != before)
    assert left.boundingRect() == pyqtgraphs(left)
    plot.vb.setGeometry(plot.vb.geometry().adjusted(0, 0, -40, 0))  # the view alone narrower
    assert left.boundingRect() == pyqtgraphs(left)
    left.setPos(left.pos() + QtCore.QPointF(3, 5))  # the axis alone moved
    assert left.boundingRect() == pyqtgraphs(left)
    left.setStyle(tickLength=8, hideOverlappingLabels=False)  # ticks outward, labels may overflow
    assert left.boundingRect() == pyqtgraphs(left)
    plot.showGrid(x=False, y=False)
    assert left.boundingRect() == pyqtgraphs(left)
    rect = left.boundingRect()
    rect.adjust(0, 0, 100, 100)  # a caller's change stays its own
    assert left.boundingRect() == pyqtgraphs(left)


def test_a_transformed_widget_keeps_pyqtgraphs_rect(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    label = widget.addLabel("turned")
    label.setRotation(30)
    bounds.install(label)
    assert "boundingRect" not in vars(label)  # Qt's rect() would not be pyqtgraph's mapped geometry


@pytest.mark.parametrize("panel_class", [LossPanel, GradientsPanel, ChainPanel, SpectrumPanel])
def test_the_picture_is_the_same_bit_for_bit(qtbot, views, panel_class):
    def plain(panel):
        assert installed(panel)
        for item in installed(panel):
            del item.boundingRect  # pyqtgraph's own again
        assert not installed(panel)

    assert_same_pictures(qtbot, panel_class, views, plain)


def test_the_pixel_test_sees_a_stale_rect(qtbot, views):
    """An axis whose cached rect is never made again (a broken cache) is clipped to its old,
    smaller size after a resize: the comparison above would catch it."""
    cheap = GradientsPanel()
    plain = GradientsPanel()
    for panel in (cheap, plain):
        qtbot.addWidget(panel)
        panel.show()
        panel.resize(*SIZES[2])
        panel.update_view(views[0])
        panel.grab()
    for item in installed(cheap):
        if isinstance(item, pg.AxisItem):
            frozen = item.boundingRect()
            item.boundingRect = lambda frozen=frozen: QtCore.QRectF(frozen)
    images = []
    for panel in (cheap, plain):
        panel.resize(900, 700)
        panel.update_view(views[1])
        images.append(panel.grab().toImage())
    assert images[0] != images[1]


def test_a_scatter_rect_follows_its_data_symbols_zoom_and_view(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot()
    scatter = pg.ScatterPlotItem(x=[0.0, 1.0, 2.0], y=[0.0, 3.0, 1.0], size=10)
    plot.addItem(scatter)
    bounds.install(scatter)
    assert "boundingRect" in vars(scatter)
    assert scatter.boundingRect() == pyqtgraphs(scatter)  # no view shown yet: no pixel padding
    widget.resize(400, 300)
    widget.show()
    qtbot.waitUntil(lambda: pyqtgraphs(scatter).width() > 2.0)  # shown: padded by the symbols
    changes = [lambda: scatter.setData(x=[0.0, 5.0], y=[1.0, 2.0], size=10),
               lambda: scatter.setSize(30),
               lambda: plot.setXRange(-10, 20, padding=0),
               lambda: widget.resize(600, 200),
               lambda: scatter.setTransform(QtGui.QTransform.fromScale(2.0, 0.5)),
               lambda: scatter.clear()]
    for change in changes:
        before = scatter.boundingRect()
        change()
        app_events(qtbot)
        after = pyqtgraphs(scatter)
        assert after != before  # each change moves the rect ...
        assert scatter.boundingRect() == after  # ... and the kept one follows
    scatter.setData(x=[0.0, 5.0], y=[1.0, 2.0], size=10)
    scatter.setPos(1.0, 2.0)  # moved, not scaled: the same rect in its own coordinates
    assert scatter.boundingRect() == pyqtgraphs(scatter)


def app_events(qtbot) -> None:
    qtbot.wait(1)
