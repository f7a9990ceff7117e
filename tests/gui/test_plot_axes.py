"""Axes laid out lean with remembered tick-text sizes (``rnnviz.gui.plot.axes``) and log tick texts
computed once per exponent lay out and draw exactly what pyqtgraph's own measuring gives, and
a new font is measured anew."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtGui, QtWidgets

from rnnviz.gui.panels import ChainPanel, ConnectivityPanel, GradientsPanel, LossPanel, NormsPanel
from rnnviz.gui.plot import axes, axis_layout, style
from tests.gui.pictures import assert_same_pictures, items_with_own, three_views


@pytest.fixture(scope="module")
def views():
    return three_views()


def measuring_axes(panel) -> list:
    return items_with_own(panel, "generateDrawSpecs")


def layouts(axis) -> tuple:
    """The axis laid out on a picture's painter, with remembered sizes and with pyqtgraph's own."""
    out = []
    for generate in (axis.generateDrawSpecs, lambda p: pg.AxisItem.generateDrawSpecs(axis, p)):
        picture = QtGui.QPicture()
        painter = QtGui.QPainter(picture)
        painter.setFont(axis.style["tickFont"] or painter.font())
        specs = generate(painter)
        painter.end()
        out.append(None if specs is None else (specs[1], [(r, int(f.value), t) for r, f, t in specs[2]]))
    return tuple(out)


def test_every_axis_of_a_panel_measures_with_remembered_sizes(qtbot, views):
    panel = LossPanel()
    qtbot.addWidget(panel)
    found = measuring_axes(panel)
    assert found and all(isinstance(axis, pg.AxisItem) for axis in found)


def test_layouts_are_pyqtgraphs_own_for_every_view_and_after_a_font_change(qtbot, views):
    axis_layout.SIZES.clear()
    panel = GradientsPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    panel.show()
    compared = 0
    for view in views:
        panel.update_view(view)
        panel.grab()
        for axis in measuring_axes(panel):
            remembered, own = layouts(axis)
            assert remembered == own
            compared += own is not None and len(own[1]) > 0
    assert compared > 0 and len(axis_layout.SIZES) > 0
    for axis in measuring_axes(panel):  # the same texts, twice the size: each measured anew
        font = QtGui.QFont(axis.style["tickFont"] or QtGui.QFont())
        font.setPointSize(2 * max(font.pointSize(), 9))
        axis.setTickFont(font)
        remembered, own = layouts(axis)
        assert remembered == own


@pytest.mark.parametrize("panel_class", [LossPanel, ChainPanel, NormsPanel, ConnectivityPanel])
def test_the_picture_is_the_same_bit_for_bit(qtbot, views, panel_class):
    def measuring_again(panel):
        assert measuring_axes(panel)
        for axis in measuring_axes(panel):
            axes.uninstall(axis)  # pyqtgraph's layout and measuring again
        assert not measuring_axes(panel)

    assert_same_pictures(qtbot, panel_class, views, measuring_again)


def test_log_tick_texts_are_the_uncached_ones():
    axis = style.LogAxis("left")
    exponents = [float(e) for e in np.log10(np.outer(10.0 ** np.arange(-12, 8), np.arange(1, 10)).ravel())]
    exponents += [0.3, -7.25, 1e-9]
    for exponent in exponents:
        for scale in (1.0, 0.5):
            assert style.log_tick_text(exponent, scale) == style.log_tick_text.__wrapped__(exponent, scale)
        assert style.one_two_five(exponent) == style.one_two_five.__wrapped__(exponent)
    texts = axis.logTickStrings(exponents[:27], 1.0, None)  # 1e-12 .. 9e-10: 1, 2 and 5 keep their text
    assert [t for t in texts if t] == ["10\u207b\u00b9\u00b2", "2\u00b710\u207b\u00b9\u00b2", "5\u00b710\u207b\u00b9\u00b2",
                                       "10\u207b\u00b9\u00b9", "2\u00b710\u207b\u00b9\u00b9", "5\u00b710\u207b\u00b9\u00b9",
                                       "10\u207b\u00b9\u2070", "2\u00b710\u207b\u00b9\u2070", "5\u00b710\u207b\u00b9\u2070"]


def test_the_room_for_tick_texts_only_grows(qtbot):
    """Labels narrower at one view than at the one before leave the plot where it was: a plot
    resized at every view is found out while painting and painted twice."""
    canvas = pg.GraphicsLayoutWidget()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    plot = canvas.addPlot()
    for item in canvas.scene().items():
        style.prepare_item(item)
    canvas.show()
    qtbot.waitExposed(canvas)
    places = []
    for low, high in ((0.0, 1.0), (-123456.0, 123456.0), (0.0, 1.0), (-123456.0, 123456.0)):
        plot.setYRange(low, high, padding=0)
        canvas.grab()  # painted: the left axis measures its texts and asks for the room they need
        QtWidgets.QApplication.processEvents()  # laid out again for that room
        places.append(plot.vb.geometry().left())
    narrow, wide = places[0], places[1]
    assert wide > narrow + 10  # "-100000" takes more room than "0.5"
    assert places[2:] == [wide, wide]  # and keeps it when the texts narrow again
    plot.setYRange(0.0, 1.0, padding=0)
    canvas.resize(400, 280)  # a plot resized: the room is measured afresh
    QtWidgets.QApplication.processEvents()
    for _ in range(2):
        canvas.grab()
        QtWidgets.QApplication.processEvents()
    assert plot.vb.geometry().left() == narrow
