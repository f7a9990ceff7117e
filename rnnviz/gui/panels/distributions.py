"""Distributions panel: a parameter, its gradient or a layer's hidden states over training.

Percentile bands (0–100, 7–93, 16–84, 31–69, darker inwards) and the median against the
training step, on a symmetric-log axis (linear within the threshold of 0, log10 beyond) so a
gradient of 1e-30 and one of 1e10 share the plot. NaN, +Inf and −Inf are counted by the core
and drawn as their own marks along the top, never dropped and never mixed into the bands.
Vanishing: a gradient's bands sink towards 0 decade by decade. Exploding: they climb, then the
marks appear. Under the plot, the NaN/Inf counts of the steps that had any; hovering reads a
step's percentiles and counts. The numbers come from ``rnnviz.core.train.distributions``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtWidgets

from rnnviz.core.train.distributions import (NAN, NEGINF, PERCENTILES, POSINF, SIZE, symlog, symlog_inverse,
                                             symlog_threshold)
from rnnviz.core.tables.history import distribution_order
from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import Panel, legend_entry, mark_short, same_values, set_points, set_title

BANDS = ((0, 8), (1, 7), (2, 6), (3, 5))  # indices into PERCENTILES: 0-100, 7-93, 16-84, 31-69
BAND_ALPHAS = (40, 70, 100, 140)
BAND_COLOR = (0, 114, 178)  # the first layer colour
MARKS = ((NAN, "NaN", "x", "#CC0000"), (POSINF, "+Inf", "t1", "#D55E00"), (NEGINF, "\u2212Inf", "t", "#7A1FA2"))
# the gradient the whole app is about, shown first: the recurrent weights' (an encoder's first,
# whose gradient has the whole decoder to cross)
DEFAULT_QUANTITIES = ("grad/weight_hh_l0", "grad/encoder.weight_hh_l0", "grad/decoder.weight_hh_l0")
MAX_AXIS_LABELS = 7  # decades labelled at most, on each side of 0
LABEL_PIXELS = 16  # vertical room one tick label needs: fewer decades labelled in a short dock
HINT = "hover over the plot to read a step's percentiles and NaN/Inf counts"


def quantity_label(name: str) -> str:
    if name.startswith("grad/"):
        return f"\u2202L/\u2202{name[5:]}"
    if name.startswith("hidden/l"):
        return f"hidden states, layer {name[8:]}"
    return name


def set_band(lower: pg.PlotCurveItem, upper: pg.PlotCurveItem, x, low, high) -> None:
    """Both edges of a band, its fill traced once: the fill follows each edge, and traced its
    outline twice a view, the first time from one new edge and one old."""
    was_blocked = lower.blockSignals(True)  # the edges have no other listener
    try:
        lower.setData(x, low)
    finally:
        lower.blockSignals(was_blocked)
    upper.setData(x, high)


class DistributionsPanel(Panel):
    view_name = "distributions"
    title = "Distributions"

    def _build(self) -> None:
        self.controls.addWidget(QtWidgets.QLabel("show"))
        self.choice = QtWidgets.QComboBox()
        self.choice.setToolTip("which parameter, gradient or hidden state to show over training")
        self.choice.setMinimumContentsLength(16)
        self.choice.currentIndexChanged.connect(self._redraw_if_view)
        self.controls.addWidget(self.choice)
        self.plot: pg.PlotItem = self.canvas.addPlot(row=0, col=0)
        style.style_plot(self.plot, "Distribution over training", "value (symlog)", "training step")
        # the legend in one row: the plot keeps the height
        self.legend = style.add_legend(self.plot, self.canvas.ci, row=1, columns=4)
        self.edges = []
        self.fills = []
        for (low, high), alpha in zip(BANDS, BAND_ALPHAS):
            lower = pg.PlotCurveItem(pen=pg.mkPen(0, 0, 0, 0))  # edges only shape the fill: not
            upper = pg.PlotCurveItem(pen=pg.mkPen(0, 0, 0, 0))  # added to the plot themselves
            fill = pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(*BAND_COLOR, alpha))
            self.plot.addItem(fill)
            self.edges.append((lower, upper))
            self.fills.append(fill)
        self.median = self.plot.plot(pen=style.pen(style.SMOOTH_COLOR), connect="finite")
        self.legend.addItem(self.median, "median")
        for band, alpha in ((0, BAND_ALPHAS[0]), (2, BAND_ALPHAS[2])):  # legend samples: the legend
            # draws bars, not fills; these stand in for the bands and are never plotted
            proxy = pg.BarGraphItem(x=[0], height=[1], width=1, brush=pg.mkBrush(*BAND_COLOR, alpha), pen=None)
            low, high = BANDS[band]
            self.legend.addItem(proxy, f"{PERCENTILES[low]}\u2013{PERCENTILES[high]} %")
        self.marks = {}
        for column, name, symbol, color in MARKS:
            scatter = pg.ScatterPlotItem(symbol=symbol, size=11, brush=pg.mkBrush(color), pen=pg.mkPen(color))
            self.plot.addItem(scatter)
            self.marks[column] = (scatter, name)
        self.empty = pg.TextItem("no distributions yet: train a few steps", color=style.UNKNOWN_COLOR,
                                 anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self._names: list[str] = []
        self.readout.setVisible(True)
        self.readout.setText(HINT)
        self.readout.setWordWrap(True)  # a long line wraps; it never sets the dock's width
        self._summary = HINT  # what the readout says when the mouse is not over a step
        self.canvas.scene().sigMouseMoved.connect(self._hover)
        self._axis = None  # (low, high, threshold, decades labelled) of the ticks last set
        self.plot.vb.sigResized.connect(self._resized)

    def distributions(self) -> dict:
        return {} if self.view is None else dict(getattr(self.view, "distributions", None) or {})

    def _draws_the_same(self, previous, view) -> bool:
        """The bands grow only when a step is recorded (every ``diag_every`` steps): the same
        quantities, and the same rows of the one shown."""
        before, now = dict(previous.distributions or {}), dict(view.distributions or {})
        name = self.choice.currentText() or None
        if sorted(before) != sorted(now) or name not in now:
            return False
        return all(same_values(a, b) for a, b in zip(before[name], now[name]))

    def _sync_choice(self, names: list[str]) -> str | None:
        if names != self._names:
            current = self.choice.currentText() or None
            self.choice.blockSignals(True)
            self.choice.clear()
            self.choice.addItems(names)
            defaults = [name for name in DEFAULT_QUANTITIES if name in names]
            wanted = current if current in names else (defaults[0] if defaults else None)
            if wanted is not None:
                self.choice.setCurrentIndex(names.index(wanted))
            self.choice.blockSignals(False)
            self._names = list(names)
        return self.choice.currentText() or None

    def selected(self) -> tuple[str | None, np.ndarray, np.ndarray]:
        data = self.distributions()
        name = self._sync_choice(sorted(data, key=distribution_order))
        if name is None or name not in data:
            return None, np.zeros(0), np.zeros((0, SIZE + 1))
        steps, rows = data[name]
        return name, np.asarray(steps, dtype=float), np.asarray(rows, dtype=float)

    def _redraw(self) -> None:
        name, steps, rows = self.selected()
        if name is None or steps.size == 0:
            for lower, upper in self.edges:
                lower.setData([], [])
                upper.setData([], [])
            self.median.setData([], [])
            for scatter, _ in self.marks.values():
                set_points(scatter, [], [])
            self.empty.setVisible(True)
            self.empty.setPos(0.5, 0.5)
            steady.set_range(self.plot, x=(0, 1), y=(0, 1))
            self._summary = HINT
            self.readout.setText(HINT)
            return
        self.empty.setVisible(False)
        threshold = symlog_threshold(rows)
        y = symlog(rows[:, :len(PERCENTILES)], threshold)  # (N, 9)
        whole = np.isfinite(y).all(axis=1)  # steps with finite values: the bands
        xs, ys = steps[whole], y[whole]
        band_x, band_y = (xs, ys) if xs.size != 1 else (xs[0] + np.array([-0.3, 0.3]), np.repeat(ys, 2, axis=0))
        for (low, high), (lower, upper) in zip(BANDS, self.edges):  # one step: a box, not a line
            set_band(lower, upper, band_x, band_y[:, low], band_y[:, high])
        self.median.setData(xs, ys[:, 4])
        mark_short(self.median, xs.size, style.SMOOTH_COLOR)  # one or two steps draw no band: a marker
        top = float(np.nanmax(ys)) if ys.size else 1.0
        bottom = float(np.nanmin(ys)) if ys.size else -1.0
        span = max(top - bottom, 1.0)
        bad_any = False
        for column, (scatter, label) in self.marks.items():
            bad = rows[:, column] > 0
            bad_any |= bool(bad.any())
            set_points(scatter, steps[bad], np.full(int(bad.sum()), top + 0.06 * span))
            legend_entry(self.plot, scatter, label, bool(bad.any()))
        high = top + (0.1 * span if bad_any else 0.0)
        self._set_axis(bottom, high, threshold)
        self._summary = non_finite_summary(steps, rows) or HINT
        self.readout.setText(self._summary)
        note = " \u2014 NaN/Inf marked at the top" if bad_any else ""
        set_title(self.plot, f"{quantity_label(name)}{note}",
                  color=style.THRESHOLD_COLOR if bad_any else None)
        # the bands' extremes and the marks, explicitly: a band of one step has no area to fit
        steady.hold(self.plot, x=(float(min(steps.min(), band_x.min(initial=np.inf))),
                                  float(max(steps.max(), band_x.max(initial=-np.inf)))), y=(bottom, high),
                    steps=True)

    def _resized(self) -> None:
        """A taller or shorter dock: as many decades labelled as fit (only when that number changes)."""
        if self._axis is not None and self._labels_fit(*self._axis[:2]) != self._axis[3]:
            self._set_axis(*self._axis[:3])

    def _labels_fit(self, low: float, high: float) -> int:
        """Decades that can be labelled on each side of 0 at the plot's height in pixels."""
        height = self.plot.vb.height()  # 0 before the first layout: then MAX_AXIS_LABELS
        sides = 2 if low < 0 < high else 1
        fit = int(height // LABEL_PIXELS - 1) // sides if height > 0 else MAX_AXIS_LABELS
        return max(1, min(MAX_AXIS_LABELS, fit))

    def _set_axis(self, low: float, high: float, threshold: float) -> None:
        """Ticks at 0 and at ±10^k (every few decades when many), labelled with the real values."""
        reach = max(abs(low), abs(high))
        biggest = float(symlog_inverse(reach, threshold)) if reach > 0 else threshold
        first = int(np.floor(np.log10(threshold)))
        last = int(np.ceil(np.log10(max(biggest, threshold))))
        fit = self._labels_fit(low, high)
        self._axis = (low, high, threshold, fit)

        def inside(position: float) -> bool:
            return low - 0.5 <= position <= high + 0.5

        # each side's decades in the plot, largest first: with room for few labels, the extremes are read
        sides = {sign: [k for k in range(last, first - 1, -1) if inside(float(symlog(sign * 10.0 ** k, threshold)))]
                 for sign in (1, -1)}
        every = max(1, int(np.ceil(max(len(decades) for decades in sides.values()) / fit)))
        ticks = [(0.0, "0")]
        for sign, decades in sides.items():
            for k in decades[::every]:
                ticks.append((float(symlog(sign * 10.0 ** k, threshold)), f"{'-' if sign < 0 else ''}1e{k}"))
        style.set_ticks(self.plot.getAxis("left"), [sorted(ticks)])

    # ----------------------------------------------------------------- reading a step
    def readout_at(self, x: float) -> str:
        """The recorded step nearest to ``x``: its percentiles and NaN/Inf counts, or ""."""
        name, steps, rows = self.selected()
        if name is None or steps.size == 0:
            return ""
        i = int(np.argmin(np.abs(steps - x)))
        return step_text(steps[i], rows[i])

    def _hover(self, scene_pos) -> None:
        inside = self.plot.sceneBoundingRect().contains(scene_pos)
        text = self.readout_at(self.plot.vb.mapSceneToView(scene_pos).x()) if inside else ""
        self.readout.setText(text or self._summary)


def _counts(row) -> str:
    """"2 NaN, 1 +Inf of 1,024 values": only the kinds present."""
    found = [f"{int(row[column]):,} {label}" for column, label, _, _ in MARKS if row[column] > 0]
    return f"{', '.join(found) or 'no NaN or Inf'} of {int(row[SIZE]):,} values"


def step_text(step: float, row) -> str:
    """One recorded step as the readout shows it."""
    values = np.asarray(row[:len(PERCENTILES)], dtype=float)
    head = f"step {int(step)}: "
    if not np.isfinite(values).all():  # every value was NaN/Inf: no percentile to read
        return head + _counts(row)
    return (head + f"median {values[4]:.3g}, 16\u201384 % {values[2]:.3g} \u2026 {values[6]:.3g}, "
            f"0\u2013100 % {values[0]:.3g} \u2026 {values[8]:.3g}; " + _counts(row))


def non_finite_summary(steps, rows) -> str:
    """Where NaN or Inf were counted: how many steps, and the first and the last of them; "" if none."""
    bad = np.flatnonzero(rows[:, [NAN, POSINF, NEGINF]].sum(axis=1) > 0)
    if bad.size == 0:
        return ""
    first, last = bad[0], bad[-1]
    text = f"NaN/Inf at {bad.size} recorded step{'s' if bad.size != 1 else ''}: step {int(steps[first])}, " \
           f"{_counts(rows[first])}"
    if last != first:
        text += f"; last, step {int(steps[last])}, {_counts(rows[last])}"
    return text
