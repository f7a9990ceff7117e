"""Runs side by side: loss, gradients through time and the Jacobian chain of up to four runs,
overlaid, each named by what differs from the first.

It draws the ``Overlay`` records of ``rnnviz.core.train.group`` (computed there, once): with
seeds, each curve is the median over seeds and a translucent band spans min to max. Like the
other non-ViewData panels it is not in PANEL_CLASSES; "Export this panel" writes it as usual.

Each run has its colour; a run of several stacks (a bidirectional net's directions, an
encoder-decoder's encoder and decoder chains, a vector-to-sequence net's code-vector curve) draws
each, the first solid and the second dashed, with a grey line-style key in the legend; an
encoder-decoder's joined source | decoder axis gets a dotted line at the context. ``RunOverlay``
puts the other runs on the window's own plots the same way, dotted and dash-dotted.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from rnnviz.core.nn.units import SHORT  # the legend's horizons, named as the units are
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import Panel, as_float, for_log_axis, log_floor, show_item

PLOTS = (  # key, title, left label, bottom label, log y
    ("loss", "Loss (smoothed)", "loss (log scale)", "training step", True),
    ("profile", "Gradient through time", "\u2016\u2202L/\u2202h_t\u2016 (log scale)", "time step t", True),
    ("chain", "Jacobian chain", "log\u2081\u2080 \u2016\u2202h_T/\u2202h_{T\u2212k}\u2016", "lag k", False),
)
BAND_ALPHA = 50  # of 255: the band reads as a range behind its median line
# a run's colour, here and where the window's plots overlay it: none of the first four layer colours,
# which the window's own plots give a run's layers and directions (forward blue, backward vermillion)
RUN_COLORS = ("#000000", "#E69F00", "#56B4E9", "#8C564B")  # black, orange, sky blue, brown
KEY_COLOR = "#555555"  # the line-style key's samples: grey, so they read as "which stack", not as a run
# a run's colour says which run; the line says which of its stacks (solid for the first, or only, one)
WIDE_PX = 760  # a panel narrower than this puts its plots two by two: a row of three cut the third off
PROFILE_AXIS_SEQ2SEQ = "step: source | decoder"  # an encoder-decoder's one time axis, divided at the context


def run_color(k: int) -> str:
    return RUN_COLORS[k % len(RUN_COLORS)]


def curve_pen(color, second: bool, width: float = style.LINE_WIDTH, dotted: bool = False) -> QtGui.QPen:
    """The pen of a run's curve: its run's colour; solid for its first stack's curve, dashed for the
    second's (the backward direction, the decoder's chain, the code vector); dotted and dash-dotted
    for the other runs overlaid on the window's own plots."""
    if not dotted:
        return style.pen(color, width, dashed=second)
    result = style.pen(color, width, dotted=True)
    if second:
        result.setStyle(QtCore.Qt.PenStyle.DashDotLine)
    return result


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
        self.legend = style.add_legend(self.plots["loss"], self.canvas.ci, row=1, col=0, columns=2)
        self.canvas.ci.removeItem(self.legend)  # under all three plots, so it never widens the first
        self.canvas.ci.addItem(self.legend, row=1, col=0, colspan=len(PLOTS))
        self.wide = True  # three plots in a row (exports, a wide dock); two by two in a narrow dock
        for col in range(len(PLOTS)):
            self.canvas.ci.layout.setColumnStretchFactor(col, 1)
        self.items: list = []
        self.keys: list = []  # the line-style key's samples (never in a plot)
        # an encoder-decoder's context, between the source's steps and the decoder's
        self.divider = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.MARKER_COLOR, dotted=True),
                                       label="context", labelOpts={"position": 0.95, "color": style.MARKER_COLOR})
        self.plots["profile"].addItem(self.divider, ignoreBounds=True)
        self.divider.setVisible(False)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.parentWidget() is not None:  # in the window's dock; a panel made to export keeps the row
            self.arrange(self.width() >= WIDE_PX)

    def arrange(self, wide: bool) -> None:
        """Three plots in a row with the legend under them; or, in a dock too narrow for three (the
        default Runs tab, ~400 px), the gradient and the chain side by side over the legend, the
        loss left to the window's Loss panel, which overlays every run too."""
        if wide == self.wide:
            return
        layout = self.canvas.ci
        for item in (*self.plots.values(), self.legend):
            if item.scene() is not None and item in layout.items:
                layout.removeItem(item)
        shown = list(self.plots) if wide else ["profile", "chain"]
        for col, key in enumerate(shown):
            layout.addItem(self.plots[key], row=0, col=col)
        self.plots["loss"].setVisible(wide)
        layout.addItem(self.legend, row=1, col=0, colspan=len(shown))
        layout.layout.setColumnStretchFactor(2, 1 if wide else 0)
        self.legend.setColumnCount(2 if wide else 1)
        self.wide = wide

    def show_overlays(self, overlays) -> None:
        self.overlays = list(overlays)
        self.view = RunsShown(self.overlays)
        self._refresh()

    def _redraw(self) -> None:
        for plot_key, item in self.items:
            self.plots[plot_key].removeItem(item)
        self.items = []
        legend = self.legend
        legend.clear()
        loss_floor = log_floor(*[o.loss_low for o in self.overlays])
        profile_floor = log_floor(*[c.low for o in self.overlays for c in o.profiles])
        for k, o in enumerate(self.overlays):
            color = run_color(k)
            series = [("loss", 0, as_float(o.loss_steps), o.loss, o.loss_low, o.loss_high, loss_floor)]
            series += [("profile", j, np.arange(as_float(c.median).size, dtype=float), c.median, c.low, c.high,
                        profile_floor) for j, c in enumerate(o.profiles)]
            series += [("chain", j, np.arange(as_float(c.median).size, dtype=float), c.median, c.low, c.high,
                        None) for j, c in enumerate(o.chains)]
            for plot_key, j, x, mid, low, high, floor in series:  # j: the curve's place among the run's own
                plot = self.plots[plot_key]
                values = [as_float(v) for v in (mid, low, high)]
                if floor is not None:  # log axis: pyqtgraph wants log10 of the data for fills
                    values = [np.log10(for_log_axis(v, floor)[0]) for v in values]
                    curve = pg.PlotDataItem(x, 10 ** values[0], pen=curve_pen(color, j > 0), connect="finite")
                else:
                    curve = pg.PlotDataItem(x, values[0], pen=curve_pen(color, j > 0), connect="finite")
                plot.addItem(curve)
                self.items.append((plot_key, curve))
                if plot_key == "profile" and j == 0:  # a plot shown in every layout
                    legend.addItem(curve, o.label + _shape_note(o, self.overlays) + _spread(o))
                if not np.allclose(values[1], values[2], equal_nan=True):
                    low_item = pg.PlotCurveItem(x, np.nan_to_num(values[1]), pen=None)
                    high_item = pg.PlotCurveItem(x, np.nan_to_num(values[2]), pen=None)
                    fill = pg.FillBetweenItem(low_item, high_item, brush=_band_brush(color))
                    fill.setZValue(-10)
                    plot.addItem(fill)
                    self.items.append((plot_key, fill))
        self._add_key(legend)
        dividers = {o.divider for o in self.overlays if o.divider is not None}
        self.divider.setVisible(len(dividers) == 1)
        if len(dividers) == 1:
            self.divider.setValue(dividers.pop() - 0.5)
        bottom = PROFILE_AXIS_SEQ2SEQ if self.divider.isVisible() else PLOTS[1][3]
        style.set_label(self.plots["profile"], "bottom", bottom, **{"font-size": style.LABEL_SIZE})

    def _add_key(self, legend) -> None:
        """Grey samples naming the line styles, when a run has more than one stack."""
        self.keys = []
        styles = {}  # stack name -> drawn second (dashed)
        for o in self.overlays:
            for curves in (o.profiles, o.chains):
                for j, c in enumerate(curves):
                    if c.name and len({x.name for x in (*o.profiles, *o.chains)}) > 1:
                        styles.setdefault(c.name, j > 0)
        for name, second in styles.items():
            sample = pg.PlotDataItem([], [], pen=curve_pen(KEY_COLOR, second))
            self.keys.append(sample)
            legend.addItem(sample, f"line style: {name}")

    def table_data(self):
        return self.overlays


class RunsShown(list):
    """The overlays a GroupPanel shows, with the one-line caption its exported figures carry."""

    @property
    def caption(self) -> str:
        shapes = list(dict.fromkeys(o.shape for o in self))
        return f"rnnviz \u00b7 {len(self)} runs side by side \u00b7 {' and '.join(shapes) or 'no run'}"


def _shape_note(o, overlays) -> str:
    """' (bidirectional)' beside a run whose shape differs from the first run's."""
    first = overlays[0].shape if overlays else o.shape
    return f" ({o.shape})" if o.shape != first and o.shape not in o.label else ""


def _spread(o) -> str:
    """' — horizon 7 (4–10)' : the horizon, and its range over seeds when there are several; for a
    network of several stacks each stack's: ' — horizon fwd 12 · bwd 30'."""
    per_part = dict(o.part_horizons or {"": o.horizons})
    if len(per_part) <= 1:
        return f" \u2014 horizon {_median_range(next(iter(per_part.values()), ()))}" if o.horizons else ""
    return " \u2014 horizon " + " \u00b7 ".join(f"{SHORT.get(name, name)} {_median_range(values)}"
                                              for name, values in per_part.items())


def _median_range(values) -> str:
    values = list(values)
    if len(values) <= 1:
        return str(values[0]) if values else "?"
    return f"{int(np.median(values))} ({min(values)}\u2013{max(values)})"


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
    values then, with the non-positive ones left out). A run of several stacks has a curve per
    stack: dotted for the first (``curves[k]``), dash-dotted for the second ("run 1, bwd").
    """

    TIPS = {"loss": "smoothed loss", "profile": "held-out batch, top layer", "chain": "first held-out sequence"}

    def __init__(self, plot: pg.PlotItem, kind: str, log_y=lambda: True) -> None:
        self.plot, self.kind, self.log_y = plot, kind, log_y
        self.curves: list[pg.PlotDataItem] = []  # run k's first (or only) curve
        self.more: dict = {}  # (run k, name of a stack after its first) -> its curve

    def _series(self, o) -> list:
        """[(stack name, x, y)] of run ``o`` for this plot."""
        if self.kind == "loss":
            return [("", as_float(o.loss_steps), as_float(o.loss))]
        chosen = o.profiles if self.kind == "profile" else o.chains
        return [(c.name, np.arange(as_float(c.median).size, dtype=float), as_float(c.median)) for c in chosen]

    def _clean(self, y: np.ndarray) -> np.ndarray:
        if self.kind == "chain":  # log10 data on a linear view
            return np.where(np.isfinite(y), y, np.nan)
        keep = np.isfinite(y) & (y > 0) if self.log_y() else np.isfinite(y)
        return np.where(keep, y, np.nan)

    def _curve(self, k: int, second: bool) -> pg.PlotDataItem:
        curve = self.plot.plot(pen=curve_pen(run_color(k), second, 2, dotted=True), connect="finite")
        curve.setZValue(5)
        return curve

    def values(self, view) -> np.ndarray:
        """(N,) every finite value the other runs' curves draw for ``view``: what the plot's own
        range must also hold (empty for a single run)."""
        group = getattr(view, "group", None)
        if group is None:
            return np.empty(0)
        drawn = [self._clean(y) for k, o in enumerate(group.overlays) if k != group.selected
                 for _, _, y in self._series(o)]
        values = np.concatenate(drawn) if drawn else np.empty(0)
        return values[np.isfinite(values)]

    def show(self, view) -> None:
        group = getattr(view, "group", None)
        overlays = tuple(group.overlays) if group is not None else ()
        while len(self.curves) < len(overlays):
            self.curves.append(self._curve(len(self.curves), False))
        wanted = set()
        for k, curve in enumerate(self.curves):
            shown = k < len(overlays) and k != group.selected  # the shown run is the panel's own curves
            series = self._series(overlays[k]) if shown else []
            if shown:
                curve.setData(series[0][1], self._clean(series[0][2]))
            show_item(self.plot, curve, f"run {k}: {group.labels[k]}" if shown else "", shown)
            for name, x, y in series[1:]:
                if (k, name) not in self.more:
                    self.more[(k, name)] = self._curve(k, True)
                self.more[(k, name)].setData(x, self._clean(y))
                show_item(self.plot, self.more[(k, name)], f"run {k}, {SHORT.get(name, name)}", True)
                wanted.add((k, name))
        for key, curve in self.more.items():
            if key not in wanted:
                show_item(self.plot, curve, "", False)
