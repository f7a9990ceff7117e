"""An axis laid out with pyqtgraph's own algorithm, without its per-tick overhead.

Whenever an axis's range moves, pyqtgraph lays it out again (``AxisItem.generateDrawSpecs``):
~400 µs of Python per axis at H = 256, most of it bookkeeping around a few dozen numbers: a
``Point`` (a Python subclass of QPointF) built per tick end, the axis's Python ``boundingRect``
asked again for every tick text, ``np.isclose`` on arrays of a few values to drop ticks a
coarser level already has, a debug profiler, the text sizes measured per text.

``draw_specs`` and ``tick_values`` are the same two methods, step for step, on the same
numbers in the same order, so they return the same specs value for value (tested against
pyqtgraph 0.14's methods over many ranges, sizes, orientations, log modes, grids and styles):
the axis draws the same picture. What changed is only how: plain QPointF, one bounding rect per
layout, the duplicate ticks found by bisection in the sorted coarser ticks (the same
``|a - v| <= atol`` test), the text sizes kept per font and resolution (``SIZES``).
"""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

MAX_SIZES = 4096  # remembered text sizes: a few hundred distinct tick texts in a session, tokens included
SIZES: OrderedDict = OrderedDict()  # (font key, dpi x, dpi y, text) -> (width, height), least recent first

MEASURE_BOX = QtCore.QRectF(0, 0, 100, 100)  # the box pyqtgraph measures every tick text in
CENTER = QtCore.Qt.AlignmentFlag.AlignCenter
SOLID = QtCore.Qt.BrushStyle.SolidPattern
TEXT_FLAGS = {  # orientation -> the flags pyqtgraph draws its tick texts with
    "left": QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter,
    "right": QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
    "top": QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.AlignmentFlag.AlignBottom,
    "bottom": QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.AlignmentFlag.AlignTop,
}
TEXT_FLAGS = {key: flags | QtCore.Qt.TextFlag.TextDontClip for key, flags in TEXT_FLAGS.items()}


def text_size(painter: QtGui.QPainter, font_key: str, dpi: tuple, text: str) -> tuple[float, float]:
    """(width, height) of the rect ``painter`` gives ``text`` centred in MEASURE_BOX, kept per font."""
    key = (font_key, *dpi, text)
    size = SIZES.get(key)
    if size is None:
        rect = painter.boundingRect(MEASURE_BOX, CENTER, text)
        size = SIZES[key] = (rect.width(), rect.height())
        if len(SIZES) > MAX_SIZES:
            SIZES.popitem(last=False)
    else:
        SIZES.move_to_end(key)
    return size


def tick_values(axis: pg.AxisItem, minVal: float, maxVal: float, size: float) -> list:  # noqa: N803 - pyqtgraph's names
    """``pg.AxisItem.tickValues`` for ``axis``: (spacing, values) per tick level, coarsest first."""
    minVal, maxVal = sorted((minVal, maxVal))
    minVal *= axis.scale
    maxVal *= axis.scale
    scale = axis.scale
    ticks = []
    seen: list[float] = []  # every tick kept so far, sorted
    for spacing, offset in axis.tickSpacing(minVal, maxVal, size):
        start = (math.ceil((minVal - offset) / spacing) * spacing) + offset
        num = int((maxVal - start) / spacing) + 1
        values = [(k * spacing + start) / scale for k in range(num)]  # numpy's arange * spacing + start, / scale
        atol = spacing / scale * 0.01
        if seen:
            values = [v for v in values if not near(seen, v, atol)]
        seen = sorted(seen + values)
        ticks.append((spacing / scale, values))
    if axis.logMode:
        return axis.logTickValues(minVal, maxVal, size, ticks)
    return ticks


def near(sorted_values: list[float], v: float, atol: float) -> bool:
    """Whether some ``a`` of ``sorted_values`` has ``abs(a - v) <= atol``: ``np.isclose(a, v,
    rtol=0, atol=atol)`` for finite numbers. The closest ``a`` on either side decides, since
    rounded differences are monotonic."""
    i = bisect.bisect_left(sorted_values, v)
    if i < len(sorted_values) and abs(sorted_values[i] - v) <= atol:
        return True
    return i > 0 and abs(sorted_values[i - 1] - v) <= atol


def _stop_at(end, along: int, tick: float, keep) -> None:
    """Move the axis line's ``end`` (a QPointF) along the axis (y when ``along`` is 0, else x) to
    ``tick`` if ``keep`` (max at the start, min at the end) says the tick lies within the line."""
    if along == 0:
        end.setY(keep(end.y(), tick))
    else:
        end.setX(keep(end.x(), tick))


def draw_specs(axis: pg.AxisItem, p: QtGui.QPainter):
    """``pg.AxisItem.generateDrawSpecs`` for ``axis``: (axis spec, tick specs, text specs), or None."""
    style = axis.style
    if style["tickFont"] is not None:
        p.setFont(style["tickFont"])
    bounds = axis.mapRectFromParent(axis.geometry())
    linked = axis.linkedView()
    if linked is None or axis.grid is False:
        tick_bounds = bounds
    else:
        tick_bounds = linked.mapRectToItem(axis, linked.boundingRect())

    orientation = axis.orientation
    if orientation == "left":
        span = (bounds.topRight() + pg.Point(-1.0, -1.0), bounds.bottomRight() + pg.Point(-1.0, 1.0))
        tick_start, tick_stop, tick_dir, along = tick_bounds.right(), bounds.right(), -1, 0
    elif orientation == "right":
        span = (bounds.topLeft() + pg.Point(1.0, -1.0), bounds.bottomLeft() + pg.Point(1.0, 1.0))
        tick_start, tick_stop, tick_dir, along = tick_bounds.left(), bounds.left(), 1, 0
    elif orientation == "top":
        span = (bounds.bottomLeft() + pg.Point(-1.0, -1.0), bounds.bottomRight() + pg.Point(1.0, -1.0))
        tick_start, tick_stop, tick_dir, along = tick_bounds.bottom(), bounds.bottom(), -1, 1
    elif orientation == "bottom":
        span = (bounds.topLeft() + pg.Point(-1.0, 1.0), bounds.topRight() + pg.Point(1.0, 1.0))
        tick_start, tick_stop, tick_dir, along = tick_bounds.top(), bounds.top(), 1, 1
    else:
        raise ValueError("self.orientation must be in {'left', 'right', 'top', 'bottom'}")
    device = axis.deviceTransform_()
    if device is None:
        return None
    first, last = device.map(span[0]), device.map(span[1])
    length = math.hypot(last.x() - first.x(), last.y() - first.y())  # pixels along the axis
    if length == 0:
        return None

    if axis._tickLevels is None:
        tick_levels = axis.tickValues(axis.range[0], axis.range[1], length)
        tick_strings = None
    else:
        tick_levels = [(None, [value for value, _ in level]) for level in axis._tickLevels]
        tick_strings = [[text for _, text in level] for level in axis._tickLevels]

    low, high = axis.range[0], axis.range[1]
    dif = high - low
    if dif == 0:
        x_scale, offset = 1, 0
    elif along == 0:
        x_scale = -bounds.height() / dif
        offset = low * x_scale - bounds.height()
    else:
        x_scale = bounds.width() / dif
        offset = low * x_scale
    x_ends = (low * x_scale - offset, high * x_scale - offset)
    x_min, x_max = min(x_ends), max(x_ends)

    positions = []  # per level, per tick: its pixel along the axis, None when out of bounds
    tick_specs = []
    tick_length, tick_alpha, grid = style["tickLength"], style["tickAlpha"], axis.grid
    base_pen = None
    qpoint = QtCore.QPointF
    for i, (_, ticks) in enumerate(tick_levels):
        alpha = level_alpha(tick_alpha, grid, i, length, len(ticks))
        if base_pen is None:
            base_pen = axis.tickPen()
        pen = QtGui.QPen(base_pen)
        if pen.brush().style() == SOLID:  # only a plain colour's alpha is adjusted
            color = QtGui.QColor(pen.color())
            color.setAlpha(int(alpha))
            pen.setColor(color)
        stop = tick_stop if grid is not False else tick_stop + tick_length / (i * 0.5 + 1.0) * tick_dir
        level = []
        for v in ticks:
            x = (v * x_scale) - offset
            if x < x_min or x > x_max:
                level.append(None)
                continue
            level.append(x)
            x = float(x)
            if along == 0:
                tick_specs.append((pen, qpoint(tick_start, x), qpoint(stop, x)))
            else:
                tick_specs.append((pen, qpoint(x, tick_start), qpoint(x, stop)))
        positions.append(level)

    stop_at = style["stopAxisAtTick"]  # the axis line from the first tick, to the last
    if stop_at[0] is True:
        _stop_at(span[0], along, min(map(min, positions)), max)
    if stop_at[1] is True:
        _stop_at(span[1], along, max(map(max, positions)), min)
    axis_spec = (axis.pen(), span[0], span[1])

    text_specs = []
    if not style["showValues"]:
        return axis_spec, tick_specs, text_specs
    text_offset = style["tickTextOffset"][along] + max(0, tick_length)
    font_key = p.font().key()
    dev = p.device()
    dpi = (dev.logicalDpiX(), dev.logicalDpiY()) if dev is not None else (0, 0)
    flags = TEXT_FLAGS[orientation]
    own_rect = None  # the axis's bounding rect: the same for every text of this layout
    widths: list[float] = []  # of every text measured so far, all levels
    heights: list[float] = []
    last_size2 = 0
    for i in range(min(len(tick_levels), style["maxTextLevel"] + 1)):
        if tick_strings is None:
            spacing, values = tick_levels[i]
            strings = axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
        else:
            strings = tick_strings[i]
        if len(strings) == 0:
            continue
        level = positions[i]
        for j in range(len(strings)):
            if level[j] is None:
                strings[j] = None
        sizes = []
        for s in strings:
            if s is None:
                sizes.append(None)
                continue
            width, height = text_size(p, font_key, dpi, s)
            height = height * 0.8  # pyqtgraph: "boundingRect is usually just a bit too large"
            sizes.append((width, height))
            widths.append(width)
            heights.append(height)
        if widths:
            across, along_sizes = (widths, heights) if along == 0 else (heights, widths)
            size2 = max(across)
        else:
            along_sizes, size2 = None, 0
        if i > 0:  # always draw the top level; stop when the texts would be too crowded
            text_size_sum = np.sum(along_sizes) if along_sizes else 0  # numpy's summation order
            fill = float(text_size_sum) / length
            if any(len(text_specs) >= count and fill >= limit for count, limit in style["textFillLimits"]):
                break
        last_size2 = np.float64(size2) if widths else 0  # the type np.max gave pyqtgraph
        for j, s in enumerate(strings):
            if s is None:
                continue
            x = level[j]
            width, height = sizes[j]
            if orientation == "left":
                rect = QtCore.QRectF(tick_stop - text_offset - width, x - (height / 2), width, height)
            elif orientation == "right":
                rect = QtCore.QRectF(tick_stop + text_offset, x - (height / 2), width, height)
            elif orientation == "top":
                rect = QtCore.QRectF(x - width / 2., tick_stop - text_offset - height, width, height)
            else:
                rect = QtCore.QRectF(x - width / 2., tick_stop + text_offset, width, height)
            if own_rect is None:
                own_rect = axis.boundingRect()
            if own_rect & rect != rect:  # outside the axis (Qt's fuzzy comparison, as pyqtgraph's)
                continue
            text_specs.append((rect, flags, s))
    axis._updateMaxTextSize(last_size2)
    return axis_spec, tick_specs, text_specs


def level_alpha(tick_alpha, grid, level: int, length: float, count: int):
    """The alpha pyqtgraph gives the tick lines of ``level`` (``count`` ticks on ``length`` px)."""
    if tick_alpha is None:
        alpha = 255 / (level + 1)
        if grid is not False:
            alpha *= grid / 255. * pg.functions.clip_scalar((0.05 * length / (count + 1)), 0., 1.)
        return alpha
    if isinstance(tick_alpha, float):
        alpha = tick_alpha * 255
        alpha = max(0, int(round(alpha)))
        return min(255, int(round(alpha)))
    if isinstance(tick_alpha, int):
        if tick_alpha > 255 or tick_alpha < 0:
            raise ValueError("lineAlpha should be [0..255]")
        return tick_alpha
    raise TypeError("Line Alpha should be of type None, float or int")


def pen_runs(tick_specs: list) -> list:
    """The tick specs as runs of consecutive ticks drawn with the same pen, in their order:
    [(pen, [(start, stop), ...]), ...] (a level's ticks share one pen)."""
    runs = []
    last = None
    for pen, start, stop in tick_specs:
        if pen is not last:
            runs.append((pen, []))
            last = pen
        runs[-1][1].append((start, stop))
    return runs


def draw_picture(axis: pg.AxisItem, p: QtGui.QPainter, axis_spec, tick_specs, text_specs) -> None:
    """``pg.AxisItem.drawPicture``, each run of ticks with one pen in one ``drawLines`` call: a
    picture records one line per line either way, so it plays back the same."""
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
    p.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
    pen, start, stop = axis_spec
    p.setPen(pen)
    p.drawLine(start, stop)
    line = QtCore.QLineF
    for pen, ends in pen_runs(tick_specs):
        p.setPen(pen)
        p.drawLines([line(a, b) for a, b in ends])
    draw_texts(axis, p, text_specs)


def draw_texts(axis: pg.AxisItem, p: QtGui.QPainter, text_specs) -> None:
    """The tick texts as ``pg.AxisItem.drawPicture`` draws them."""
    if axis.style["tickFont"] is not None:
        p.setFont(axis.style["tickFont"])
    p.setPen(axis.textPen())
    p.setClipRect(axis.boundingRect().toAlignedRect())
    for rect, flags, text in text_specs:
        p.drawText(rect, int(flags), text)
