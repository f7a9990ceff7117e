"""Connectivity panel: how far back each prediction looks.

On the left, the map log10 ||∂ŷ_t/∂x_s|| of one sample, output step t upwards and input step s
across (s > t left blank: the future cannot matter). On the right, its mean against the distance
t − s on a log axis (side by side: a dock is wider than it is high, and a T x T map is square).
Vanishing reads as a narrow band along the diagonal and a line that falls by decades with the
distance; a network that remembers keeps a wide band. Hovering a row
colours the input tokens by their share in that prediction. The numbers come from
``rnnviz.core.diagnostics.connectivity``.
"""

from __future__ import annotations

import functools
import html

import numpy as np
import pyqtgraph as pg

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import (Heatmap, Panel, TokenAxis, as_float, floor_note, for_log_axis, line, log_floor,
                                    printable_label, set_title)

MAP_TITLE = "C = \u2016\u2202\u0177_t/\u2202x_s\u2016"
CLASS_TITLE = "C = \u2016\u2202\u0177_t,k/\u2202x_s\u2016"  # k: the class predicted at t
CURVE_TITLE = "By distance"
HINT = "hover over the map: the inputs of prediction t coloured by their share"
DECADES_SHOWN = 12  # colour range of the map: values further below the top are drawn at its bottom
SHARE_COLOR = (213, 94, 0)  # the palette's orange, as in the other panels' highlights


def colour_decades(previous: tuple[float, float] | None, low: float, high: float) -> tuple[float, float]:
    """The map's colour levels, on whole decades, for finite log10 values spanning [low, high].

    The top is the decade above the largest value; the bottom the decade below the smallest, at
    most DECADES_SHOWN under the top. So that the colour bar's axis is not laid out again at
    nearly every view early in a run, while the smallest values keep falling, a bottom once set
    holds while the smallest value stays above it and within two decades of it, and when it
    must move down it moves a decade further, leaving room (a first fit stays tight)."""
    top = float(np.ceil(high))
    bottom = float(np.floor(low))
    if previous is not None:
        if previous[0] <= low < previous[0] + 2:
            bottom = previous[0]
        elif low < previous[0]:
            bottom -= 1.0
    bottom = max(bottom, top - DECADES_SHOWN)
    return bottom, (top if top > bottom else bottom + 1.0)


class ConnectivityPanel(Panel):
    view_name = "connectivity"
    title = "Connectivity"

    def _build(self) -> None:
        self.tokens = TokenAxis("bottom")
        self.map = Heatmap(self.canvas.ci, MAP_TITLE, "output step t", "input token at s",
                           style.sequential_colormap(), "log\u2081\u2080 C", row=0, col=0,
                           axis_items={"bottom": self.tokens})
        self.map.plot.setToolTip("for token inputs: the gradient with respect to the one-hot input vector; "
                                 "for classification the logit of the predicted class is differentiated, "
                                 "for regression the whole output (Frobenius norm)")
        self.curve_plot: pg.PlotItem = self.canvas.addPlot(row=0, col=1, axisItems=style.log_axis())
        style.style_plot(self.curve_plot, CURVE_TITLE, "mean C over t (log)", "distance t \u2212 s")
        self.curve_plot.setLogMode(x=False, y=True)
        self.curve = line(self.curve_plot, style.pen(style.layer_color(0)), log_y=True)
        self.canvas.ci.layout.setColumnStretchFactor(0, 3)
        self.canvas.ci.layout.setColumnStretchFactor(1, 2)
        self.empty = pg.TextItem("no connectivity yet", color=style.UNKNOWN_COLOR, anchor=(0.5, 0.5))
        self.map.plot.addItem(self.empty)
        self.readout.setVisible(True)
        self.readout.setText(HINT)
        self.readout.setTextFormat(pg.QtCore.Qt.TextFormat.RichText)
        # a long hover line (or a shape's note) must not widen the window: it wraps, between any two
        # tokens (shares_html). (An Ignored width policy would not do: the label is then laid out as
        # if one character wide, as tall as that needs, and the plots get no height.)
        self.readout.setWordWrap(True)
        self.canvas.scene().sigMouseMoved.connect(self._hover)
        self._levels: tuple[float, float] | None = None  # the map's colour levels, last set

    def data(self):
        """The view's Connectivity, or None."""
        return None if self.view is None else getattr(self.view, "connectivity", None)

    def _redraw(self) -> None:
        conn = self.data()
        matrix = as_float(conn.matrix) if conn is not None else np.zeros((0, 0))
        if matrix.ndim != 2 or matrix.size == 0:
            self.map.clear()
            self.curve.set_values([], [])
            self.empty.setVisible(True)
            return
        self.empty.setVisible(False)
        rows, cols = matrix.shape
        logs = log_connectivity(matrix, conn.causal)
        finite = logs[np.isfinite(logs)]
        if finite.size:
            levels = colour_decades(self._levels, float(finite.min()), float(finite.max()))
        else:
            levels = (-1.0, 0.0)
        self._levels = levels
        # rows = output step t (y), cols = input step s (x); cells centred on the integers
        self.map.set(np.maximum(logs, levels[0]), levels, (-0.5, -0.5, cols, rows))
        labels = self.view.snapshot.labels if cols > 1 else ["v"]
        self.tokens.set_labels(labels, cols)
        self._axis_labels(conn)
        distance = as_float(conn.by_distance)
        floor = log_floor(distance)
        shown, floored = for_log_axis(distance, floor)
        self.curve.set_values(np.arange(distance.size), shown)
        # short (a title's width is its column's least): k, the class predicted at t; else every output
        classes = conn.readout == "predicted logit"
        set_title(self.map.plot, CLASS_TITLE if classes else MAP_TITLE)
        set_title(self.curve_plot, CURVE_TITLE + floor_note(bool(floored.any()), floor))
        if not self.readout.text() or HINT in self.readout.text():
            self.readout.setText(self._hint(conn))
        steady.hold_items(self.curve_plot)

    def _axis_labels(self, conn) -> None:
        """The axes named for the shape (source tokens for an encoder-decoder ...), set when they change."""
        names = (conn.output_axis, conn.input_axis, conn.distance_axis)
        if names != getattr(self, "_names", None):
            self._names = names
            self.map.plot.setLabel("left", conn.output_axis)
            self.map.plot.setLabel("bottom", conn.input_axis)
            self.curve_plot.setLabel("bottom", conn.distance_axis)

    @staticmethod
    def _hint(conn) -> str:
        if conn is None:
            return HINT
        what = ("C: the logit of k, the class predicted at t" if conn.readout == "predicted logit"
                else "C: every output (Frobenius norm)")
        return f"{what}; {HINT}" + (f" &nbsp; ({html.escape(conn.note)})" if conn.note else "")

    # ----------------------------------------------------------------- hover
    def shares_html(self, t: int) -> str:
        """The inputs of output step t (up to t for a causal map), each on a background as strong
        as its share."""
        conn = self.data()
        if conn is None or not 0 <= t < conn.share.shape[0]:
            return ""
        share = as_float(conn.share[t])  # (T_in,)
        labels = list(self.view.snapshot.labels or []) if share.size > 1 else ["v"]
        seen = t + 1 if conn.causal else share.size  # inputs that can matter
        peak = np.nanmax(share[:seen]) if np.isfinite(share[:seen]).any() else 0.0
        # characters read as the text they are; words and values apart. Either way the line may
        # wrap between any two inputs (a zero-width space), so a long window never widens the dock
        characters = all(len(str(label)) <= 1 for label in labels[:seen])
        gap = "\u200b" if characters else " "
        parts = []
        for s in range(seen):
            alpha = float(share[s] / peak) if peak > 0 and np.isfinite(share[s]) else 0.0
            text = html.escape(printable_label(labels[s]) if s < len(labels) else str(s))
            r, g, b = SHARE_COLOR
            parts.append(f'<span style="background-color: rgba({r},{g},{b},{alpha:.2f})">{text}</span>')
        if peak > 0:
            top = int(np.nanargmax(share[:seen]))
            tail = f"largest share {share[top]:.0%} at s = {top}"
        else:  # no shares: the row overflowed (a C of Inf) or reaches nothing
            tail = "no shares: " + ("C overflowed in this row" if not np.isfinite(
                as_float(conn.matrix[t, :seen])).all() else "every C is 0 in this row")
        return (f"prediction t = {t} ({int(conn.predicted[t]) if conn.predicted[t] >= 0 else 'all outputs'}): "
                + gap.join(parts) + f" &nbsp; {tail}")

    def readout_at(self, x: float, y: float) -> str:
        conn = self.data()
        if conn is None:
            return ""
        s, t = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
        rows, cols = conn.matrix.shape
        if not (0 <= t < rows and 0 <= s < cols) or (conn.causal and s > t):
            return ""
        share = float(conn.share[t, s])
        return (f"C = {conn.matrix[t, s]:.3g} (share {f'{share:.1%}' if np.isfinite(share) else 'none'})<br>"
                + self.shares_html(t))

    def _hover(self, scene_pos) -> None:
        point = self.map.cell_at(scene_pos)
        text = self.readout_at(*point) if point is not None else ""
        self.readout.setText(text or self._hint(self.data()))

    # ----------------------------------------------------------------- numbers


def log_connectivity(matrix: np.ndarray, causal: bool = True) -> np.ndarray:
    """log10 of the map; zeros, and for a causal map the upper triangle (s > t), are NaN: drawn blank."""
    shown = matrix > 0  # (T, S)
    if causal:
        shown &= _causal_cells(*matrix.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.where(shown, matrix, np.nan))


@functools.lru_cache(maxsize=8)  # one map size per run: the same (T, S) at every redraw
def _causal_cells(rows: int, cols: int) -> np.ndarray:
    """(rows, cols) bool, read-only: True where s <= t, the cells a causal map can fill."""
    cells = np.tril(np.ones((rows, cols), dtype=bool))
    cells.setflags(write=False)
    return cells
