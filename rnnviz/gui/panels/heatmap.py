"""A heatmap as the panels draw one: a PlotItem holding one row-major image and its colour bar.

Built once per panel; each new matrix is set with ``Heatmap.set`` (the image converted once per
new map, the bar's levels and the whole map's range set only when they change), with ticks on
whole cell indices.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from rnnviz.core.tables.cells import as_float
from rnnviz.gui.plot import steady, style
from rnnviz.gui.plot.image import Image


TICK_GAP_PIXELS = 10  # between two tick labels of a map's axis, besides the labels themselves


class Heatmap:
    """A PlotItem holding one row-major ImageItem and a (non-interactive) colour bar."""

    def __init__(self, layout: pg.GraphicsLayout, title: str, left: str, bottom: str,
                 colormap: pg.ColorMap, bar_label: str, row: int | None = None, col: int | None = None,
                 axis_items: dict | None = None, rowspan: int = 1) -> None:
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=col, rowspan=rowspan, axisItems=axis_items)
        style.style_plot(self.plot, title, left, bottom)
        self.plot.showGrid(x=False, y=False)
        self.image = Image(axisOrder="row-major")  # converted once per new map, not at every paint
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=colormap, label=bar_label,
                                   interactive=False, width=style.COLORBAR_WIDTH, colorMapMenu=False)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.bar.getAxis("right").setTickFont(style.tick_font())
        self._frame = None  # (shape, rect) the image was last placed for
        self._ticks: dict[str, tuple[int, int]] = {}  # axis -> (major, minor) tick spacing
        self._asked: dict[str, tuple[int, int | None]] = {}  # axis -> (cells, target) last asked for
        self._rooms: dict[tuple[str, int], float] = {}  # (axis, cells) -> pixels one label needs
        self.tick_targets = {"bottom": 8, "left": 8}  # labelled ticks wanted along each axis
        self.plot.vb.sigResized.connect(self._fit_ticks)  # a narrower map: fewer labels

    def set(self, matrix: np.ndarray, levels: tuple[float, float], rect: tuple[float, float, float, float]) -> None:
        """Show ``matrix`` (rows = y, cols = x) over ``rect`` = (x, y, width, height)."""
        matrix = as_float(matrix)
        if matrix.ndim != 2 or matrix.size == 0:
            self.clear()
            return
        matrix[~np.isfinite(matrix)] = np.nan  # drawn transparent, never stretches the levels
        self.image.setImage(matrix, autoLevels=False)  # keeps the image's levels, the bar's
        levels = (float(levels[0]), float(levels[1]))
        if tuple(self.bar.levels()) != levels:  # unchanged levels: the bar's axis keeps its drawing
            self.bar.setLevels(levels)
        frame = (matrix.shape, tuple(float(v) for v in rect))
        if frame != self._frame:  # new numbers in the same frame: nothing to place again
            self._frame = frame
            self.image.setRect(QtCore.QRectF(*rect))
        rows, cols = matrix.shape
        self.set_ticks("bottom", cols)
        self.set_ticks("left", rows)
        # the whole map again after a zoom; the range it already shows is left alone
        steady.set_range(self.plot, x=(rect[0], rect[0] + rect[2]), y=(rect[1], rect[1] + rect[3]))

    def set_ticks(self, axis: str, count: int, target: int | None = None) -> None:
        """Ticks on whole indices only, about ``target`` of them (default: ``tick_targets``)
        labelled across ``count`` cells, and no more than the map's length has room for, two at
        least (pyqtgraph labels every major tick, overlapping or not: "51015" on a narrow map).
        Setting them makes pyqtgraph draw the axis again, so only when they change."""
        self._asked[axis] = (count, target)
        wanted = target or self.tick_targets.get(axis, 8)
        length = self.plot.vb.width() if axis in ("bottom", "top") else self.plot.vb.height()
        if length > 0:  # 0 before the first layout
            wanted = max(2, min(wanted, int(length // self._label_room(axis, count))))
        major = style.nice_step(count, wanted)
        spacing = (major, style.minor_step(major))
        if self._ticks.get(axis) != spacing:
            self._ticks[axis] = spacing
            self.plot.getAxis(axis).setTickSpacing(*spacing)

    def _label_room(self, axis: str, count: int) -> float:
        """Pixels one label needs along ``axis``: the widest (the last index) and a gap, or a
        line of text and a gap on a vertical axis; measured once per axis and cell count."""
        key = (axis, count)
        if key not in self._rooms:
            item = self.plot.getAxis(axis)
            metrics = QtGui.QFontMetricsF(item.style.get("tickFont") or item.font())
            along = axis in ("bottom", "top")
            text = metrics.horizontalAdvance(str(max(count - 1, 0))) if along else metrics.height()
            self._rooms[key] = text + TICK_GAP_PIXELS
        return self._rooms[key]

    def _fit_ticks(self, *_args) -> None:
        for axis, (count, target) in list(self._asked.items()):
            self.set_ticks(axis, count, target)

    def clear(self) -> None:
        self.image.clear()
        self._frame = None

    def cell_at(self, scene_pos) -> tuple[float, float] | None:
        """The (x, y) data coordinates under a scene position, or None outside the plot."""
        if not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.plot.vb.mapSceneToView(scene_pos)
        return point.x(), point.y()
