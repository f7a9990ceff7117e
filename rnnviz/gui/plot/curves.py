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
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

PenStyle = QtCore.Qt.PenStyle
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


def draw_in_pixels(curve: pg.PlotCurveItem, painter: QtGui.QPainter) -> bool:
    """Draw ``curve`` with an untransformed painter; False (nothing drawn) when it cannot."""
    pen = curve.opts["pen"]
    if not _eligible(curve, pen, painter):
        return False
    x, y = curve.getData()
    if x is None or len(x) < 2:
        return False
    t = painter.transform()
    px = np.asarray(x, dtype=float) * t.m11() + t.dx()  # scale and shift only (checked above)
    py = np.asarray(y, dtype=float) * t.m22() + t.dy()
    with np.errstate(invalid="ignore"):
        if np.nanmax(np.abs(np.r_[px, py]), initial=0.0) > FAR:
            return False  # zoomed far in: pyqtgraph's own path clips such points safely
    if pen.style() == PenStyle.SolidLine:
        lines = solid_segments(px, py)
    else:
        pattern = np.asarray(pen.dashPattern(), dtype=float) * pen.widthF()  # Qt: in pen widths
        lines = dashed_segments(px, py, pattern, pen.dashOffset() * pen.widthF())
    solid = QtGui.QPen(pen)
    solid.setStyle(PenStyle.SolidLine)  # the dashes are cut already
    painter.save()
    try:
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.setPen(solid)
        if len(lines):
            array = pg.Qt.internals.PrimitiveArray(QtCore.QLineF, 4)
            array.resize(len(lines))
            array.ndarray()[:] = lines
            painter.drawLines(*array.drawargs())
    finally:
        painter.restore()
    return True


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


def solid_segments(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """(n, 4) lines x0, y0, x1, y1 joining neighbours that are both finite (a NaN is a gap)."""
    points = np.column_stack([px, py])
    lines = np.concatenate([points[:-1], points[1:]], axis=1)
    return lines[np.isfinite(lines).all(axis=1)]


def dashed_segments(px: np.ndarray, py: np.ndarray, pattern: np.ndarray, offset: float = 0.0) -> np.ndarray:
    """(n, 4) lines covering the 'on' stretches of ``pattern`` (on, off, on, off ... in pixels)
    along the polyline, restarting the pattern after each gap, as Qt does per subpath."""
    if pattern.size < 2 or pattern.sum() <= 0:
        return solid_segments(px, py)
    finite = np.isfinite(px) & np.isfinite(py)
    edges = np.flatnonzero(np.diff(np.r_[0, finite.astype(np.int8), 0]))  # run starts and ends
    pieces = [_dash_run(px[a:b], py[a:b], pattern, offset) for a, b in zip(edges[::2], edges[1::2])]
    pieces = [p for p in pieces if len(p)]
    return np.concatenate(pieces) if pieces else np.zeros((0, 4))


def _dash_run(px: np.ndarray, py: np.ndarray, pattern: np.ndarray, offset: float) -> np.ndarray:
    """Dashes along one finite polyline."""
    if px.size < 2:
        return np.zeros((0, 4))
    along = np.r_[0.0, np.cumsum(np.hypot(np.diff(px), np.diff(py)))]  # arc length at each point
    total, period = along[-1], pattern.sum()
    bounds = np.cumsum(np.r_[0.0, pattern])  # where each on/off stretch starts within a period
    first = np.floor(offset / period)
    repeats = np.arange(first, first + np.ceil(total / period) + 2) * period - offset
    cuts = (repeats[:, None] + bounds[None, :]).ravel()
    breaks = np.unique(np.r_[along, cuts[(cuts > 0) & (cuts < total)]])
    middle = (breaks[:-1] + breaks[1:]) / 2
    stretch = np.searchsorted(bounds, np.mod(middle + offset, period), side="right") - 1
    on = (stretch % 2 == 0) & (np.diff(breaks) > 0)
    bx, by = np.interp(breaks, along, px), np.interp(breaks, along, py)
    lines = np.column_stack([bx[:-1], by[:-1], bx[1:], by[1:]])
    return lines[on]
