"""The lean axis layout (``rnnviz.gui.plot.axis_layout``) returns pyqtgraph's own specs and tick
values, value for value, over many ranges, sizes, orientations, log modes, grids and styles."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtGui

from rnnviz.gui.plot import axes, axis_layout, grid, style

ORIENTATIONS = ("left", "bottom", "right", "top")


def exact(specs):
    """Specs as plain numbers and pens: nothing compared fuzzily (QPointF == is fuzzy)."""
    if specs is None:
        return None
    (pen, a, b), ticks, texts = specs
    return ((pen, a.x(), a.y(), b.x(), b.y()),
            [(pen, p.x(), p.y(), q.x(), q.y()) for pen, p, q in ticks],
            [(r.x(), r.y(), r.width(), r.height(), int(f.value), t) for r, f, t in texts])


def both_layouts(axis):
    """(lean, pyqtgraph's) specs of ``axis`` on a picture's painter, as pyqtgraph's paint makes them."""
    out = []
    for generate in (axis_layout.draw_specs, pg.AxisItem.generateDrawSpecs):
        picture = QtGui.QPicture()
        painter = QtGui.QPainter(picture)
        if axis.style["tickFont"]:
            painter.setFont(axis.style["tickFont"])
        specs = generate(axis, painter)
        painter.end()
        out.append(exact(specs))
    return out


def random_range(rng, log: bool) -> tuple[float, float]:
    if log:
        low = rng.uniform(-14, 6)
        return low, low + 10 ** rng.uniform(-2.5, 1.5)
    span = 10 ** rng.uniform(-9, 12)
    centre = rng.choice([0.0, rng.normal() * span, rng.normal() * span * 10 ** rng.uniform(0, 5)])
    return centre - span * rng.uniform(0.05, 1), centre + span * rng.uniform(0.05, 1)


STYLES = [
    {},
    {"tickAlpha": 0.4, "maxTickLevel": 1},
    {"tickAlpha": 90, "tickLength": -7},
    {"maxTickLevel": 0, "tickLength": 8, "maxTextLevel": 1},
    {"textFillLimits": [(0, 0.8), (2, 0.35), (4, 0.2), (6, 0.1)], "hideOverlappingLabels": False},
    {"showValues": False},
]


@pytest.mark.parametrize("case", range(len(STYLES)))
def test_specs_are_pyqtgraphs_value_for_value(qtbot, case):
    rng = np.random.default_rng(case)
    window = pg.GraphicsLayoutWidget()
    qtbot.addWidget(window)
    axis_items = {"left": style.LogAxis("left"), "bottom": style.CompactAxis("bottom")} if case % 2 else None
    plot = window.addPlot(axisItems=axis_items)
    for name in ORIENTATIONS:
        plot.showAxis(name)
        plot.getAxis(name).setStyle(**STYLES[case])
    if case in (1, 4):
        plot.getAxis("left").setTickFont(style.tick_font())
    window.show()
    compared = texts = 0
    for trial in range(14):
        window.resize(int(rng.integers(160, 900)), int(rng.integers(120, 700)))
        log = trial % 3 == 1
        plot.setLogMode(x=log, y=log)
        plot.showGrid(x=trial % 2 == 0, y=trial % 4 < 2, alpha=float(rng.uniform(0.05, 1)))
        plot.setXRange(*random_range(rng, log), padding=0)
        plot.setYRange(*random_range(rng, log), padding=0)
        if trial == 5:
            plot.getAxis("bottom").setTicks([[(0.5, "half"), (1, "one")], [(0.75, "3/4")]])
            plot.setXRange(0, 2, padding=0)
        if trial == 7:
            plot.getAxis("bottom").setTicks(None)
            plot.getAxis("left").setTickSpacing(major=10, minor=1)
            plot.getAxis("right").setScale(1e-3)
            plot.setYRange(-20, 130, padding=0)
        if trial == 8:
            plot.getAxis("left").setTickSpacing()
        window.grab()
        for name in ORIENTATIONS:
            lean, own = both_layouts(plot.getAxis(name))
            assert lean == own, (case, trial, name)
            compared += own is not None
            texts += 0 if own is None else len(own[2])
    assert compared > 40 and (texts > 100 or STYLES[case].get("showValues") is False)


def test_tick_values_are_pyqtgraphs_value_for_value():
    rng = np.random.default_rng(7)
    for orientation in ORIENTATIONS:
        axis = pg.AxisItem(orientation)
        for trial in range(300):
            log = trial % 4 == 3
            axis.setLogMode(log)
            axis.setScale([1.0, 1e-3, 7.0][trial % 3])
            axis.setStyle(maxTickLevel=trial % 3)
            low, high = random_range(rng, log)
            if trial % 5 == 0:
                low, high = high, low
            size = float(rng.uniform(20, 2000))
            lean = axis_layout.tick_values(axis, low, high, size)
            own = pg.AxisItem.tickValues(axis, low, high, size)
            assert [(s, list(v)) for s, v in lean] == [(s, list(v)) for s, v in own], (low, high, size)
        axis.setTickSpacing(levels=[(10, 0), (2, 1), (1, 0)])  # integer spacings, an offset
        axis.setLogMode(False)
        axis.setScale(1.0)
        for low, high in [(0, 100), (-37.5, 12.25), (3, 3.5)]:
            assert axis_layout.tick_values(axis, low, high, 300) == pg.AxisItem.tickValues(axis, low, high, 300)


def test_the_duplicate_test_is_numpys_isclose():
    rng = np.random.default_rng(3)
    for _ in range(500):
        values = sorted(rng.normal(size=int(rng.integers(1, 12))).round(int(rng.integers(0, 4))).tolist())
        v = float(rng.choice([rng.normal(), rng.choice(values) + rng.normal() * 1e-3]))
        atol = float(10 ** rng.uniform(-5, 0))
        assert axis_layout.near(values, v, atol) == bool(np.any(np.isclose(values, v, rtol=0, atol=atol)))


def test_installed_on_axes_that_keep_pyqtgraphs_layout_and_composes_with_the_grid(qtbot):
    plot = pg.PlotItem(axisItems={"left": style.LogAxis("left")})
    style.style_plot(plot, "t", "y", "x")
    for name in ("left", "bottom"):
        axes.install(plot.getAxis(name))
    left, bottom = plot.getAxis("left"), plot.getAxis("bottom")
    assert "generateDrawSpecs" in vars(left) and "generateDrawSpecs" in vars(bottom)
    assert "cheap_grid" in bottom.tickValues.__qualname__  # the grid's, which calls the lean one
    assert grid.visible_levels  # the grid still thins its levels
    plain = pg.AxisItem("top")
    axes.install(plain)
    assert "tickValues" in vars(plain)


def test_remembered_sizes_stay_bounded(qtbot):
    axis_layout.SIZES.clear()
    picture = QtGui.QPicture()
    painter = QtGui.QPainter(picture)
    for k in range(axis_layout.MAX_SIZES + 50):
        axis_layout.text_size(painter, "font", (96, 96), str(k))
    assert axis_layout.text_size(painter, "font", (96, 96), "12") == \
        (painter.boundingRect(axis_layout.MEASURE_BOX, axis_layout.CENTER, "12").width(),
         painter.boundingRect(axis_layout.MEASURE_BOX, axis_layout.CENTER, "12").height())
    painter.end()
    assert len(axis_layout.SIZES) == axis_layout.MAX_SIZES
    kept = {key[-1] for key in axis_layout.SIZES}
    assert "0" not in kept and str(axis_layout.MAX_SIZES + 49) in kept


@pytest.mark.parametrize("stop_at", [(True, True), (True, False), (False, True)])
def test_an_axis_stopped_at_its_ticks_is_pyqtgraphs(qtbot, stop_at):
    """``stopAxisAtTick``: the axis line runs from the first tick and/or to the last, along either
    direction (a range whose every tick level has ticks: pyqtgraph fails on an empty level)."""
    window = pg.GraphicsLayoutWidget()
    qtbot.addWidget(window)
    plot = window.addPlot()
    for name in ORIENTATIONS:
        plot.showAxis(name)
    window.resize(500, 400)
    window.show()
    plot.setXRange(-0.37, 9.61, padding=0)
    plot.setYRange(0.23, 87.4, padding=0)
    window.grab()
    free = {name: both_layouts(plot.getAxis(name))[1][0] for name in ORIENTATIONS}  # the whole line
    for name in ORIENTATIONS:
        plot.getAxis(name).setStyle(stopAxisAtTick=stop_at)
    window.grab()
    for name in ORIENTATIONS:
        lean, own = both_layouts(plot.getAxis(name))
        assert own is not None and lean == own, name
        start, end = (own[0][1:3], own[0][3:5])
        whole_start, whole_end = (free[name][1:3], free[name][3:5])
        assert (start != whole_start) == stop_at[0] and (end != whole_end) == stop_at[1], name
