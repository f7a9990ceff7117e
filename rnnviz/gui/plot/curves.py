"""Wide antialiased curves drawn in pixels, where Qt draws them fast.

Qt's raster engine draws an antialiased line wider than 1 px quickly only while the painter
does no more than translate: it then rasterises each segment directly. Under a plot's scaling
transform it runs its general path stroker instead, which is slow for a jagged curve
(QTBUG-27545): one 200-point, 2 px gradient profile took 12 ms as a path, 2.5 ms as separate
segments (pyqtgraph's segmentedLineMode) and 0.35 ms as segments in pixels; its dashed twin
2.3 ms as a path and 0.14 ms as dashes in pixels. That curve was the most expensive item in a
redraw. ``install`` gives a curve a paint that maps its points to pixels with numpy and draws
the same segments (or dashes) there. Anything else (thin, translucent or dotted pens, fills,
steps, non-raster painters such as the SVG export) keeps pyqtgraph's own paint.

A curve is repainted more often than its data changes (a window repaint, a neighbour's new
range, a legend above it): the segments in pixels are kept per curve with what they were cut
from (the data arrays themselves, the painter's scale and shift, the pen), so such a repaint
draws the kept segments without any numpy.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from rnnviz.gui.plot.segments import dashed_segments, solid_segments

PenStyle = QtCore.Qt.PenStyle
KEEP = True  # keep each curve's segments between paints (off only to compare pictures)
FAR = 1e5  # pixels: points further off than this (a plot zoomed in on a huge value) go the slow way


def install(curve: pg.PlotCurveItem) -> None:
    """Let ``curve`` draw itself in pixels whenever that gives the same picture faster."""
    if getattr(curve, "_rnnviz_pixels", False):
        return
    generic = type(curve).paint

    def paint(painter, option, widget=None):
        try:
            drawn = draw_in_pixels(curve, painter)
        except Exception:  # noqa: BLE001 - a redraw must never fail: pyqtgraph's paint draws it
            drawn = False
        if not drawn:
            generic(curve, painter, option, widget)

    curve.paint = paint
    curve._rnnviz_pixels = True


class Cut:
    """One curve's segments in pixels and what they were cut from."""

    __slots__ = ("x", "y", "place", "pen", "solid", "lines", "count")

    def __init__(self) -> None:
        self.x = self.y = self.place = self.pen = None
        self.solid = QtGui.QPen()
        self.lines = pg.Qt.internals.PrimitiveArray(QtCore.QLineF, 4)  # re-used: grows, never shrinks
        self.count = -1  # segments held; -1: too far out to draw in pixels

    def holds(self, x, y, place, pen: QtGui.QPen) -> bool:
        return x is self.x and y is self.y and place == self.place and pen == self.pen


def draw_in_pixels(curve: pg.PlotCurveItem, painter: QtGui.QPainter) -> bool:
    """Draw ``curve`` with an untransformed painter; False (nothing drawn) when it cannot."""
    pen = curve.opts["pen"]
    if not _eligible(curve, pen, painter):
        return False
    x, y = curve.getData()
    if x is None or len(x) < 2:
        return False
    t = painter.transform()
    place = (t.m11(), t.m22(), t.dx(), t.dy(), curve.opts["connect"])  # scale and shift only (checked)
    cut = curve.__dict__.get("_rnnviz_cut")
    if cut is None or not KEEP or not cut.holds(x, y, place, pen):
        cut = _cut(curve, x, y, place, pen)
    if cut.count < 0:
        return False  # zoomed far in: pyqtgraph's own path clips such points safely
    painter.save()
    try:
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.setPen(cut.solid)
        if cut.count:
            painter.drawLines(*cut.lines.drawargs())
    finally:
        painter.restore()
    return True


def _cut(curve: pg.PlotCurveItem, x, y, place, pen: QtGui.QPen) -> Cut:
    """Cut the curve into segments in pixels for ``place`` and keep them on the curve."""
    cut = curve.__dict__.get("_rnnviz_cut") or Cut()
    cut.x = cut.y = None  # nothing held while cutting: an exception leaves no stale segments
    m11, m22, dx, dy, _ = place
    px = np.asarray(x, dtype=float) * m11 + dx  # (n,)
    py = np.asarray(y, dtype=float) * m22 + dy  # (n,)
    if (np.abs(px) > FAR).any() or (np.abs(py) > FAR).any():  # a NaN compares False: a gap
        cut.count = -1
    else:
        if pen.style() == PenStyle.SolidLine:
            lines = solid_segments(px, py)  # (k, 4)
        else:
            pattern = np.asarray(pen.dashPattern(), dtype=float) * pen.widthF()  # Qt: in pen widths
            lines = dashed_segments(px, py, pattern, pen.dashOffset() * pen.widthF())
        cut.lines.resize(len(lines))
        if len(lines):
            cut.lines.ndarray()[:] = lines
        cut.count = len(lines)
    cut.solid = QtGui.QPen(pen)
    cut.solid.setStyle(PenStyle.SolidLine)  # the dashes are cut already
    cut.pen = QtGui.QPen(pen)  # a copy: a pen changed in place is a new pen
    cut.x, cut.y, cut.place = x, y, place
    curve._rnnviz_cut = cut
    return cut


def _eligible(curve: pg.PlotCurveItem, pen: QtGui.QPen, painter: QtGui.QPainter) -> bool:
    opts = curve.opts
    engine = painter.paintEngine()
    return (pen is not None and pen.widthF() > 1 and pen.isCosmetic() and pen.isSolid()
            and pen.color().alpha() == 255
            and pen.style() in (PenStyle.SolidLine, PenStyle.DashLine)
            and opts["antialias"] and opts["fillLevel"] is None and not opts["stepMode"]
            and opts["shadowPen"] is None and opts["compositionMode"] is None
            and isinstance(opts["connect"], str) and opts["connect"] in ("all", "finite")
            and engine is not None and engine.type() == QtGui.QPaintEngine.Type.Raster
            and painter.transform().type().value <= QtGui.QTransform.TransformationType.TxScale.value)
