"""Runs side by side: loss, gradients through time and the Jacobian chain of up to four runs,
overlaid, each named by what differs from the first.

It draws the ``Overlay`` records of ``rnnviz.core.train.group`` (computed there, once): with
seeds, each curve is the median over seeds and a translucent band spans min to max. Like the
other non-ViewData panels it is not in PANEL_CLASSES; "Export this panel" writes it as usual.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import Panel, as_float, for_log_axis, log_floor, show_item

PLOTS = (  # key, title, left label, bottom label, log y
    ("loss", "Loss (smoothed)", "loss (log scale)", "training step", True),
    ("profile", "Gradient through time", "\u2016\u2202L/\u2202h_t\u2016 (log scale)", "time step t", True),
    ("chain", "Jacobian chain", "log\u2081\u2080 \u2016\u2202h_T/\u2202h_{T\u2212k}\u2016", "lag k", False),
)
BAND_ALPHA = 50  # of 255: the band reads as a range behind its median line


class GroupPanel(Panel):
    view_name = "runs"
    title = "Runs side by side"

    def _build(self) -> None:
        self.overlays: list = []
        self.plots = {}
        for col, (key, title, left, bottom, log) in enumerate(PLOTS):
            plot = self.canvas.addPlot(row=0, col=col, axisItems=style.log_axis() if log else None)
            style.style_plot(plot, title, left, bottom)
            if log:
                plot.setLogMode(x=False, y=True)
            self.plots[key] = plot
        legend = style.add_legend(self.plots["loss"], self.canvas.ci, row=1, col=0, columns=2)
        self.canvas.ci.removeItem(legend)  # under all three plots, so it never widens the first
        self.canvas.ci.addItem(legend, row=1, col=0, colspan=len(PLOTS))
        for col in range(len(PLOTS)):
            self.canvas.ci.layout.setColumnStretchFactor(col, 1)
        self.items: list = []

    def show_overlays(self, overlays) -> None:
        self.overlays = list(overlays)
        self.view = self.overlays
        self._refresh()

    def _redraw(self) -> None:
        for plot_key, item in self.items:
            self.plots[plot_key].removeItem(item)
        self.items = []
        legend = self.plots["loss"].legend
        if legend is not None:
            legend.clear()
        loss_floor = log_floor(*[o.loss_low for o in self.overlays])
        profile_floor = log_floor(*[o.profile_low for o in self.overlays])
        for k, o in enumerate(self.overlays):
            color = style.layer_color(k)
            lag = np.arange(as_float(o.chain_log10).size, dtype=float)
            chain = as_float(o.chain_log10)
            series = (
                ("loss", as_float(o.loss_steps), o.loss, o.loss_low, o.loss_high, loss_floor),
                ("profile", np.arange(as_float(o.profile).size, dtype=float), o.profile, o.profile_low,
                 o.profile_high, profile_floor),
                ("chain", lag, chain, o.chain_low, o.chain_high, None),
            )
            for plot_key, x, mid, low, high, floor in series:
                plot = self.plots[plot_key]
                values = [as_float(v) for v in (mid, low, high)]
                if floor is not None:  # log axis: pyqtgraph wants log10 of the data for fills
                    values = [np.log10(for_log_axis(v, floor)[0]) for v in values]
                    curve = pg.PlotDataItem(x, 10 ** values[0], pen=style.pen(color), connect="finite")
                else:
                    curve = pg.PlotDataItem(x, values[0], pen=style.pen(color), connect="finite")
                plot.addItem(curve)
                self.items.append((plot_key, curve))
                if plot_key == "loss":
                    legend.addItem(curve, o.label + _spread(o))
                if not np.allclose(values[1], values[2], equal_nan=True):
                    low_item = pg.PlotCurveItem(x, np.nan_to_num(values[1]), pen=None)
                    high_item = pg.PlotCurveItem(x, np.nan_to_num(values[2]), pen=None)
                    fill = pg.FillBetweenItem(low_item, high_item, brush=_band_brush(color))
                    fill.setZValue(-10)
                    plot.addItem(fill)
                    self.items.append((plot_key, fill))

    def _table(self):
        header = ["run", "plot", "x", "median", "low", "high"]
        rows = []
        for o in self.overlays:
            for name, x, mid, low, high in (
                    ("loss", o.loss_steps, o.loss, o.loss_low, o.loss_high),
                    ("grad_norm", np.arange(len(o.profile)), o.profile, o.profile_low, o.profile_high),
                    ("chain_log10", np.arange(len(o.chain_log10)), o.chain_log10, o.chain_low, o.chain_high)):
                rows.extend([o.label, name, float(xx), float(a), float(b), float(c)]
                            for xx, a, b, c in zip(as_float(x), as_float(mid), as_float(low), as_float(high)))
        return header, rows


def _spread(o) -> str:
    """' — horizon 7 (4–10)' : the horizon, and its range over seeds when there are several."""
    horizons = list(o.horizons)
    if len(horizons) <= 1:
        return f" \u2014 horizon {horizons[0]}" if horizons else ""
    return f" \u2014 horizon {int(np.median(horizons))} ({min(horizons)}\u2013{max(horizons)})"


def _band_brush(color: str) -> QtGui.QBrush:
    qcolor = QtGui.QColor(color)
    qcolor.setAlpha(BAND_ALPHA)
    return QtGui.QBrush(qcolor)


class RunOverlay:
    """The other runs of a group overlaid on one of the window's own plots (loss, gradients through
    time, chain): a dotted line per run in the run's colour, named in the plot's legend by what
    differs. The run the window shows is the panel's own curves, so it is not drawn again.
    Built once per run, then ``setData``; hidden when the window shows a single run.

    ``kind``: "loss" (the smoothed loss, median over seeds), "profile" (batch-mean ||dL/dh_t|| of
    the top layer on the shared held-out batch) or "chain" (log10 of the chain, drawn as log10
    data as the chain panel does). ``log_y()`` says whether the plot's y axis is logarithmic (raw
    values then, with the non-positive ones left out).
    """

    TIPS = {"loss": "smoothed loss", "profile": "held-out batch, top layer", "chain": "first held-out sequence"}

    def __init__(self, plot: pg.PlotItem, kind: str, log_y=lambda: True) -> None:
        self.plot, self.kind, self.log_y = plot, kind, log_y
        self.curves: list[pg.PlotDataItem] = []

    def _data(self, o) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "loss":
            x, y = as_float(o.loss_steps), as_float(o.loss)
        elif self.kind == "profile":
            y = as_float(o.profile)
            x = np.arange(y.size, dtype=float)
        else:
            y = as_float(o.chain_log10)
            x = np.arange(y.size, dtype=float)
            return x, np.where(np.isfinite(y), y, np.nan)
        keep = np.isfinite(y) & (y > 0) if self.log_y() else np.isfinite(y)
        return x, np.where(keep, y, np.nan)

    def show(self, view) -> None:
        group = getattr(view, "group", None)
        overlays = tuple(group.overlays) if group is not None else ()
        while len(self.curves) < len(overlays):
            curve = self.plot.plot(pen=style.pen(style.layer_color(len(self.curves)), 2, dotted=True),
                                   connect="finite")
            curve.setZValue(5)
            self.curves.append(curve)
        for k, curve in enumerate(self.curves):
            shown = k < len(overlays) and k != group.selected  # the shown run is the panel's own curves
            if shown:
                curve.setData(*self._data(overlays[k]))
            show_item(self.plot, curve, f"run {k}: {group.labels[k]}" if shown else "", shown)
