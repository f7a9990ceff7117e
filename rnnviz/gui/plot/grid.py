"""A plot grid that costs little to draw and to lay out again, and looks as it did.

pyqtgraph draws a plot's grid as the axes' tick lines, stretched across the plot with a
translucent pen, and lays the axis out again (every tick, every label) whenever its range
moves, which for live plots is every redraw. Measured at H = 256, T = 200 before this
module, the axes were two thirds of a redraw's paint time, and two things in them were waste:

- Translucent lines: Qt draws a translucent 1 px line slowly in any direction (35 horizontal
  grid lines 3.9 ms, the same opaque 0.3 ms). So vertical lines are drawn opaque, in the grey
  the translucent line showed over the white paper, and horizontal ones, still translucent,
  as 1 px rectangles, which Qt blends a row at a time (0.1 ms). The vertical lines go first
  (their axis sits lower), so a crossing is blended as before: the picture is the same. The
  grid now lies beneath the view box: it no longer crosses the curves, so an opaque line
  never cuts one.
- Invisible levels: pyqtgraph fades each finer tick level by how crowded it is, down to
  alpha 2 or 3 of 255 (the 2..9 minor ticks of a log axis spanning many decades, a third
  level 6 px apart), yet still builds every one of those ticks each time.

An axis laid out lean (``axes.install``) records each level's lines or rows in one call
(``drawLines``; ``drawRects`` with the pen and brush ``fillRect`` sets on a picture's painter):
the picture holds the same lines and rows and plays back the same pixels.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from rnnviz.gui.plot import axis_layout

GRID_Z = -200  # below the view box (z -100) and its curves; vertical lines one lower still
AXIS_Z = 0.5  # pyqtgraph's own place for axes: above the view box
MIN_VISIBLE_ALPHA = 5  # of 255: a grid line fainter than ~2 % grey on white cannot be seen


def cheap_grid(axis: pg.AxisItem) -> None:
    """Give ``axis`` a grid that is cheap to draw, beneath the curves, without its invisible
    tick levels; the same picture otherwise."""
    if getattr(axis, "_rnnviz_cheap_grid", False):
        return
    draw = type(axis).drawPicture
    values = type(axis).tickValues
    set_grid = type(axis).setGrid
    paper = pg.mkColor(pg.getConfigOption("background"))

    def draw_picture(painter, axis_spec, tick_specs, text_specs):
        lean = getattr(axis, "_rnnviz_lean", False)  # one call per level, not per tick
        if axis.grid is False:
            if lean and draw is pg.AxisItem.drawPicture:
                return axis_layout.draw_picture(axis, painter, axis_spec, tick_specs, text_specs)
            return draw(axis, painter, axis_spec, tick_specs, text_specs)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        runs = axis_layout.pen_runs(tick_specs) if lean else [(pen, [(a, b)]) for pen, a, b in tick_specs]
        if axis.orientation in ("left", "right"):
            for pen, ends in runs:  # horizontal: a translucent row of pixels
                width = max(pen.widthF(), 1.0)
                rects = [QtCore.QRectF(min(a.x(), b.x()), a.y() - width / 2, abs(b.x() - a.x()), width)
                         for a, b in ends]
                fill_rects(painter, rects, pen.color())
        else:
            opaque = {}  # one pen per tick level: the levels differ in alpha
            for pen, ends in runs:
                key = pen.color().rgba()
                if key not in opaque:
                    opaque[key] = QtGui.QPen(pen)
                    opaque[key].setColor(over_paper(pen.color(), paper))
                painter.setPen(opaque[key])
                painter.drawLines([QtCore.QLineF(a, b) for a, b in ends])
        if lean and draw is pg.AxisItem.drawPicture:
            return axis_layout.draw_picture(axis, painter, axis_spec, [], text_specs)
        return draw(axis, painter, axis_spec, [], text_specs)  # axis line and labels as pyqtgraph

    def tick_values(low, high, size):
        lean = values is pg.AxisItem.tickValues and getattr(axis, "_rnnviz_lean", False)
        levels = (axis_layout.tick_values if lean else values)(axis, low, high, size)  # lean: pyqtgraph's, cheaper
        if axis.grid is False or axis.style.get("tickAlpha") is not None:
            return levels
        return visible_levels(levels, axis.grid, size)

    def set_grid_and_layer(value):
        set_grid(axis, value)
        layer(axis)

    axis.drawPicture = draw_picture
    axis.tickValues = tick_values
    axis.setGrid = set_grid_and_layer  # PlotItem.showGrid calls it
    axis._rnnviz_cheap_grid = True
    layer(axis)
    axis.picture = None


def fill_rects(painter: QtGui.QPainter, rects: list, color: QtGui.QColor) -> None:
    """``painter.fillRect(rect, color)`` for each rect, in one call: what ``fillRect`` does on a
    picture's painter (no pen, a solid brush, the rect), with the pen and brush set once."""
    if len(rects) == 1:
        painter.fillRect(rects[0], color)
        return
    pen, brush = painter.pen(), painter.brush()
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRects(rects)
    painter.setBrush(brush)
    painter.setPen(pen)


def layer(axis: pg.AxisItem) -> None:
    """Beneath the view while the axis draws a grid (vertical lines lowest, so the translucent
    horizontal ones blend over them); above it otherwise, where pyqtgraph puts it, so inward
    tick marks stay visible over a heatmap's image."""
    if axis.grid is False:
        axis.setZValue(AXIS_Z)
    else:
        axis.setZValue(GRID_Z if axis.orientation in ("left", "right") else GRID_Z - 1)


def visible_levels(levels: list, grid: float, size: float) -> list:
    """``levels`` ((spacing, values) per tick level, coarsest first) without the finer levels
    whose grid lines pyqtgraph would draw fainter than MIN_VISIBLE_ALPHA. The coarsest level
    always stays. Such crowded ticks (< 8 px apart) never carry a label either: it would not fit."""
    kept = list(levels[:1])
    for i, (spacing, ticks) in enumerate(levels[1:], start=1):
        if grid_alpha(grid, i, size, len(ticks)) >= MIN_VISIBLE_ALPHA:
            kept.append((spacing, ticks))
    return kept


def grid_alpha(grid: float, level: int, size: float, count: int) -> float:
    """The alpha (0-255) pyqtgraph 0.14 gives grid lines of tick ``level`` (0 = coarsest) when
    ``count`` of them share ``size`` pixels (AxisItem.generateDrawSpecs)."""
    crowding = min(max(0.05 * size / (count + 1), 0.0), 1.0)
    return 255 / (level + 1) * grid / 255 * crowding


def over_paper(color: QtGui.QColor, paper: QtGui.QColor) -> QtGui.QColor:
    """The opaque colour that ``color`` (with its alpha) shows as over ``paper``."""
    a = color.alphaF()
    mix = [round(a * c + (1 - a) * b) for c, b in zip(color.getRgb()[:3], paper.getRgb()[:3])]
    return QtGui.QColor(*mix)
