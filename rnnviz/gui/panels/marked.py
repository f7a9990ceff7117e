"""A line with a marker at each point, redrawn at every view without rebuilding its markers.

``plot.plot(x, y, pen=..., symbol=...)`` makes a PlotDataItem: a line and a scatter of markers.
Its ``setData`` parses and maps the data again, sets every style option again and has the
scatter build each spot anew and look its picture up in pyqtgraph's symbol atlas, at every
view: for the Text dock's two curves of 200 points, 1.1 ms of its 1.5 ms of update. A
``MarkedLine`` draws the same two items itself: a plain curve and a scatter whose positions are
moved in place while the number of points stands (``set_points``). The curve alone ranges the
plot, as PlotDataItem's bounds do. ``log_y`` is fixed when it is made (a plot's log mode is not
followed later, as with ``Line``).

The legend cannot take the two items as one entry, so ``key`` is a PlotDataItem of the same
look, never added to a plot: its sample draws the line with its marker, as before, and clicking
that sample hides or shows both items, as it did the PlotDataItem.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.gui.panels.base import Line, set_points

SPLIT = True  # two items moved in place (off: one PlotDataItem set at every view, to compare pictures and times)


class MarkedLine:
    """A line through (x, y) with a ``symbol`` at each point, added to ``plot`` (above what is there).
    On a log-y plot (``log_y``) both draw log10 of the values, non-finite ones as gaps."""

    def __init__(self, plot: pg.PlotItem, pen, symbol: str, size: float, brush=None, symbol_pen=None,
                 log_y: bool = False) -> None:
        self.key = pg.PlotDataItem(pen=pen, symbol=symbol, symbolSize=size, symbolBrush=brush,
                                   symbolPen=symbol_pen, connect="finite")
        self.split = SPLIT
        if not self.split:
            plot.addItem(self.key)
            return
        self.line = Line(pen=self.key.opts["pen"], connect="finite", log_y=log_y)
        look = self.key.opts  # what PlotDataItem hands its scatter (its defaults where none was given)
        marker = {"symbol": symbol, "size": size, "pen": pg.mkPen(look["symbolPen"]),
                  "brush": pg.mkBrush(look["symbolBrush"])}
        self.key.scatter.setData(x=[], y=[], **marker)  # the legend's sample draws its marker from these
        self.dots = pg.ScatterPlotItem(**marker)
        plot.addItem(self.line)
        plot.addItem(self.dots, ignoreBounds=True)  # the line's bounds are the points' (PlotDataItem's)
        self.key.visibleChanged.connect(self._follow_key)

    def _follow_key(self) -> None:
        """The legend's sample hides or shows the key: the drawn items follow."""
        shown = self.key.isVisible()
        self.line.setVisible(shown)
        self.dots.setVisible(shown)

    def set_data(self, x, y) -> None:
        """Draw the line and markers through (x, y) (NaN: a gap and no marker)."""
        if not self.split:
            self.key.setData(x, y)
            return
        self.line.set_values(np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel())
        set_points(self.dots, self.line.xData, self.line.yData)  # the line's, in view units

    @property
    def xData(self):  # noqa: N802 - PlotDataItem's name, for code reading either
        return self.key.xData if not self.split else self.line.xData

    @property
    def yData(self):  # noqa: N802
        return self.key.yData if not self.split else self.line.values

    def getData(self):  # noqa: N802 - PlotDataItem's: the points as drawn (view units)
        return self.key.getData() if not self.split else (self.line.xData, self.line.yData)

    def isVisible(self) -> bool:  # noqa: N802 - shown or hidden (with its legend sample) through ``key``
        return self.key.isVisible()
