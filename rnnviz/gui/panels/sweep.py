"""A sweep's two figures: the phase diagram and the success-rate curves.

Both draw tables computed in the core (``rnnviz.core.train.sweep_table``) from a sweep's
rows, so the window's live diagram and the files ``rnnviz sweep`` writes are the same picture.
Like the comparison panel they draw something other than a ViewData, so they are not in
PANEL_CLASSES; they export through the same PNG/SVG/CSV path as every other panel.

The phase diagram is one heatmap per facet value (a third setting), cells centred on the grid
indices with the setting's values as tick labels: an uneven grid (lengths 10, 20, 50, 100)
still gets square cells. Cells no seed has finished yet are left blank. Clicking a cell emits
``cell_clicked(settings)`` with that cell's settings, so the window can open that run.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore

from rnnviz.core.train.sweep_table import RATE_METRICS, PhaseTable, SuccessCurves
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import Heatmap, Panel, as_float, finite_range, symmetric_levels

LOG_METRICS = ("chain_start_log10", "chain_end_log10")  # signed logs: a diverging map centred on 0
LOG_LEVEL_CAP = 30.0
MAX_FACETS = 6  # more side-by-side maps than this are too narrow to read: the rest are left out


def _value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _ticks(values, target: int = 10) -> list:
    every = style.nice_step(len(values), target) if len(values) > target else 1
    return [[(float(i), _value_text(v)) for i, v in enumerate(values) if i % every == 0]]


class PhasePanel(Panel):
    view_name = "phase"
    title = "Phase diagram"
    cell_clicked = QtCore.pyqtSignal(dict)

    def _build(self) -> None:
        self.table: PhaseTable | None = None
        self.maps: list[Heatmap] = []
        self.canvas.scene().sigMouseClicked.connect(self._clicked)

    def show_table(self, table: PhaseTable) -> None:
        self.table = table
        self.view = table  # the base class redraws only when it has something to show
        self._refresh()

    def _ensure_maps(self, count: int) -> None:
        if len(self.maps) == count:
            return
        self.canvas.ci.clear()
        self.maps = []
        for i in range(count):
            colormap = style.sequential_colormap()
            self.maps.append(Heatmap(self.canvas.ci, "", "", "", colormap, "", row=0, col=i))

    def _redraw(self) -> None:
        t = self.table
        facets = min(len(t.facet_values), MAX_FACETS)
        self._ensure_maps(facets)
        finite = t.values[np.isfinite(t.values)]
        diverging = t.metric in LOG_METRICS  # 0 (a chain of norm 1) is the edge: white, between blue and red
        if t.metric in RATE_METRICS:
            levels = (0.0, 1.0)
        elif diverging:  # beyond 30 decades a chain is gone (or huge) whatever its exact size
            levels = tuple(max(-LOG_LEVEL_CAP, min(LOG_LEVEL_CAP, v)) for v in symmetric_levels(finite))
        else:
            levels = finite_range(finite) or (0.0, 1.0)
        colormap = style.diverging_colormap() if diverging else style.sequential_colormap()
        for f, heat in enumerate(self.maps):
            facet = t.facet_values[f]
            title = f"{t.facet_name} = {_value_text(facet)}" if t.facet_name else t.label
            style.set_title(heat.plot, title)
            style.set_label(heat.plot, "bottom", t.x_name or "")
            style.set_label(heat.plot, "left", t.y_name or "" if f == 0 else "")
            if getattr(heat, "diverging", None) != diverging:
                heat.bar.setColorMap(colormap)
                heat.diverging = diverging
            heat.bar.setVisible(f == facets - 1)
            if f == facets - 1:
                heat.bar.axis.setLabel(t.label)
            rows, cols = len(t.y_values), len(t.x_values)
            heat.set(t.values[f], levels, (-0.5, -0.5, cols, rows))
            heat.plot.getAxis("bottom").setTicks(_ticks(t.x_values))
            heat.plot.getAxis("left").setTicks(_ticks(t.y_values))

    def _clicked(self, event) -> None:
        if self.table is None:
            return
        for f, heat in enumerate(self.maps):
            where = heat.cell_at(event.scenePos())
            if where is None:
                continue
            settings = self.settings_at(f, where[0], where[1])
            if settings is not None:
                self.cell_clicked.emit(settings)
            return

    def settings_at(self, facet: int, x: float, y: float) -> dict | None:
        """The settings of the cell at data coordinates (x, y) of facet ``facet``, or None."""
        t = self.table
        i, j = int(round(x)), int(round(y))
        if not (0 <= i < len(t.x_values) and 0 <= j < len(t.y_values)):
            return None
        chosen = {}
        for name, values, index in ((t.x_name, t.x_values, i), (t.y_name, t.y_values, j),
                                    (t.facet_name, t.facet_values, facet)):
            if name is not None:
                chosen[name] = values[index]
        return chosen

    def table_data(self):
        return self.table


class SuccessPanel(Panel):
    view_name = "success"
    title = "Success rate"

    def _build(self) -> None:
        self.curves_table: SuccessCurves | None = None
        self.plot: pg.PlotItem = self.canvas.addPlot(row=0, col=0)
        style.style_plot(self.plot, "Success rate", "share of seeds that succeeded", "")
        self.plot.setYRange(-0.02, 1.02, padding=0)
        style.add_legend(self.plot, self.canvas.ci, row=1, columns=2)
        self.items: list = []

    def show_curves(self, curves: SuccessCurves) -> None:
        self.curves_table = curves
        self.view = curves
        self._refresh()

    def _redraw(self) -> None:
        c = self.curves_table
        for item in self.items:
            self.plot.removeItem(item)
        self.items = []
        style.set_label(self.plot, "bottom", c.x_name or "")
        numeric = all(isinstance(v, (int, float)) for v in c.x_values)
        xs = np.array(c.x_values, dtype=float) if numeric else np.arange(len(c.x_values), dtype=float)
        self.plot.getAxis("bottom").setTicks(None if numeric else _ticks(c.x_values))
        for k, label in enumerate(c.labels):
            color = style.layer_color(k)
            # every other curve dashed: equal rates (common with few seeds) still show both curves
            item = self.plot.plot(xs, as_float(c.rates[k]), pen=style.pen(color, dashed=k % 2 == 1),
                                  symbol="os"[k % 2], symbolSize=7,
                                  symbolBrush=color, symbolPen=None, connect="finite", name=label or "all")
            self.items.append(item)

    def table_data(self):
        return self.curves_table
