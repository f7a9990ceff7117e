"""What every plot panel shares: the Panel widget, its plain lines and token axes (the heatmap
is in ``heatmap``), and the small numeric guards (NaN, Inf, log of zero) that keep a bad step
from crashing a redraw.

A panel is built once (plot items made in ``__init__``) and then only fed new numbers with
``setData`` / ``setImage`` in ``update_view``. The same panel object draws on screen, in the
headless exporter and in tests, so they all show the same figure.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui, QtWidgets

from rnnviz.core.train.records import ViewData
from rnnviz.gui.plot import curves, samples
from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.plot.legend import legend_entry  # noqa: F401 (the panels' one way to name a line)
from rnnviz.gui.panels.heatmap import Heatmap  # noqa: F401 (the panels' one heatmap)
# what a table and a plot share is in the core: the panels draw those very numbers
from rnnviz.core.tables.cells import FLOOR_NOTE, as_float, log_floor  # noqa: F401

SKIP_REPEATED_WORK = True  # _refresh prepares only new items, token axes skip the same labels, a view with
#                            nothing new for a panel is not drawn again (off: for tests)
MAX_TIME_LABELS = 64  # more token labels than this overlap at a dock's usual width
TIME_LABEL_CHARS = 130  # characters of token labels that fit along the time axis of a dock


class TimedCanvas(pg.GraphicsLayoutWidget):
    """A pyqtgraph canvas that remembers how long its last paint took.

    Painting, not ``setData``, is most of a redraw's cost (and it happens later, when Qt gets
    round to it), so the window's redraw timer reads this to keep drawing within its budget.
    """

    last_paint_seconds = 0.0
    paints = 0  # paint events so far (the benchmark waits for them)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        began = time.perf_counter()
        super().paintEvent(event)
        self.last_paint_seconds = time.perf_counter() - began
        self.paints += 1


class Panel(QtWidgets.QWidget):
    """One view of a ViewData: a pyqtgraph canvas, optional controls above it, and the
    numbers behind it as a table.

    Subclasses set ``view_name`` and ``title``, build their items in ``_build()``, draw the
    stored view in ``_redraw()``; their table is the core's (rnnviz.core.tables) of what
    ``table_data()`` returns (the ViewData, or what else the panel shows). Controls (log-y,
    layer, weights/gradients) call ``_redraw()`` so they work without a new ViewData.
    """

    view_name = ""
    title = ""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        style.configure()
        self.view: ViewData | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.controls = QtWidgets.QHBoxLayout()
        self.controls.setContentsMargins(4, 0, 4, 0)
        layout.addLayout(self.controls)
        self.canvas = TimedCanvas()
        layout.addWidget(self.canvas, stretch=1)
        self.readout = QtWidgets.QLabel("")  # hover text; outside the canvas so exports omit it
        self.readout.setVisible(False)
        layout.addWidget(self.readout)
        self.setWindowTitle(self.title)
        self._prepared: set = set()  # the scene's items _refresh has already prepared
        self._legends: set = set()  # the legends among them
        self._build()
        style.quiet_axes(self)
        self.controls.addStretch(1)

    # ----------------------------------------------------------------- public API
    def graphics(self) -> pg.GraphicsLayoutWidget:
        """The pyqtgraph widget to render when exporting (controls and readout excluded)."""
        return self.canvas

    def update_view(self, view: ViewData) -> None:
        """Show ``view``: only setData / setImage on the items built in ``__init__``. A view that
        shows this panel nothing new (``_draws_the_same``) leaves its plots as they are: not
        updated, not painted again."""
        previous, self.view = self.view, view
        if SKIP_REPEATED_WORK and previous is not None and self._draws_the_same(previous, view):
            return
        self._refresh()
        # pyqtgraph applies a moved range to its items' transforms when the paint begins, and the
        # items then ask for a second paint of what they cover: applied now, one paint does
        self.canvas.scene().prepareForPaint()

    def _draws_the_same(self, previous: ViewData, view: ViewData) -> bool:
        """True if this panel would draw ``view`` exactly as it drew ``previous``. Never, unless a
        panel whose numbers are recorded only now and then (every ``diag_every`` steps) says so."""
        return False

    def reset_zoom(self) -> None:
        """Undo the mouse's zoom and pan: each plot is fitted to what it shows, then the panel
        draws its view again so that its own ranges (steady, recent) take over from there."""
        for item in self.canvas.scene().items():
            if isinstance(item, pg.ViewBox):
                item.autoRange(padding=0.02)
        self._redraw_if_view()

    def csv_table(self) -> tuple[list[str], list[list]]:
        """(header, rows): the numbers behind the plot, one row per plotted value: the core's
        table of the shown view (rnnviz.core.tables) with this panel's settings."""
        from rnnviz.core import tables

        return tables.table(self.view_name, self.table_data(), **self.table_options())

    def table_data(self):
        """What this panel's table is made of: its ViewData, or what else it shows."""
        return self.view

    def table_options(self) -> dict:
        """The settings of this panel that change its table (see rnnviz.core.tables.table)."""
        return {}

    # ----------------------------------------------------------------- for subclasses
    def _build(self) -> None:
        raise NotImplementedError

    def _redraw(self) -> None:
        raise NotImplementedError

    def add_checkbox(self, text: str, tooltip: str, checked: bool = False) -> QtWidgets.QCheckBox:
        box = QtWidgets.QCheckBox(text)
        box.setToolTip(tooltip)
        box.setChecked(checked)
        box.toggled.connect(self._redraw_if_view)
        self.controls.addWidget(box)
        return box

    def add_layer_selector(self) -> QtWidgets.QComboBox:
        self.controls.addWidget(QtWidgets.QLabel("layer"))
        combo = QtWidgets.QComboBox()
        combo.setToolTip("which recurrent layer to show (0 = next to the input)")
        combo.addItem("0")
        combo.currentIndexChanged.connect(self._redraw_if_view)
        self.controls.addWidget(combo)
        return combo

    def _redraw_if_view(self, *_args) -> None:
        if self.view is not None:
            self._refresh()

    def _refresh(self) -> None:
        self._redraw()
        # each item is prepared once, when it first shows up (most are built in _build, some by
        # _redraw): going through all ~100 items of a panel at every view cost ~1 ms per redraw
        present = set(self.canvas.scene().items())
        for item in present - self._prepared if SKIP_REPEATED_WORK else present:
            style.prepare_item(item)  # cheap rects and tick sizes: also for items _redraw just made
            if isinstance(item, pg.PlotCurveItem):
                curves.install(item)  # wide curves in pixels: also those _redraw just made
            elif isinstance(item, QtWidgets.QGraphicsTextItem):
                style.cache_text(item)  # titles, labels, keys: shaped once, then copied
            elif isinstance(item, pg.LegendItem):
                self._legends.add(item)
        self._prepared = present  # (items gone from the scene are forgotten)
        self._legends &= present
        for legend in self._legends:  # an empty legend would be a stray white box
            legend.setVisible(bool(legend.items))
            samples.refresh(legend)  # samples copy their curve's look only when repainted: the changed ones


MAX_CURVE_POINTS = 1500  # more points than a plot has pixels only costs paint time (~0.1 s per
#                          4000-point noisy curve in an export); the CSV keeps every point


def peak_decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_CURVE_POINTS):
    """At most ``max_points`` points for drawing: each bin's minimum then maximum, so spikes survive.

    pyqtgraph's own auto-downsampling needs the view's pixel size, which an export of a
    never-shown panel does not have yet; this works the same on screen and in files."""
    n = len(x)
    if n <= max_points:
        return x, y
    starts = np.linspace(0, n, max_points // 2, endpoint=False).astype(np.int64)  # (bins,)
    ends = np.r_[starts[1:], n] - 1  # (bins,) last index of each bin
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(y, starts)  # NaN only where a whole bin is NaN
        high = np.fmax.reduceat(y, starts)
    xs = np.column_stack([np.asarray(x)[starts], np.asarray(x)[ends]]).reshape(-1)  # (2 * bins,)
    ys = np.column_stack([low, high]).reshape(-1)
    return xs, ys


def sync_layer_selector(combo: QtWidgets.QComboBox, num_layers: int) -> int:
    """Offer layers 0..num_layers-1 and return the chosen one (kept when still valid)."""
    num_layers = max(int(num_layers), 1)
    if combo.count() != num_layers:
        current = combo.currentIndex()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems([str(k) for k in range(num_layers)])
        combo.setCurrentIndex(min(max(current, 0), num_layers - 1))
        combo.blockSignals(False)
    return max(combo.currentIndex(), 0)




def set_points(scatter: pg.ScatterPlotItem, x, y) -> None:
    """``scatter.setData(x, y)`` for markers of the item's one look (its own symbol, size, pen and
    brush). setData builds every spot anew and looks its picture up in the symbol atlas; with as
    many points as before and none styled on its own, only the positions change: they are written
    in place, and the item is told what setData would tell it (new bounds, a new picture)."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    data = scatter.data
    if len(data) == len(x) == len(y) == 0 and SKIP_REPEATED_WORK:
        return  # empty before and after (marks that have nothing to mark): nothing to tell anyone
    plain = len(data) == len(x) == len(y) > 0 and SKIP_REPEATED_WORK
    if plain:  # pyqtgraph's defaults: a spot uses the item's own style
        plain = bool((data["size"] == -1).all() and data["visible"].all()) and all(
            np.equal(data[column], None).all() for column in ("symbol", "pen", "brush"))
    if not plain:
        scatter.setData(x, y)
        return
    data["x"], data["y"] = x, y
    data["item"][...] = None  # spot objects handed out earlier described the old positions
    scatter.prepareGeometryChange()
    scatter.informViewBoundsChanged()
    scatter.bounds = [None, None]
    scatter.invalidate()
    scatter.sigPlotChanged.emit(scatter)


def line(plot: pg.PlotItem, pen, log_y: bool = False) -> "Line":
    """A ``Line`` added to ``plot`` (after the items already there, so drawn above them)."""
    item = Line(pen=pen, connect="finite", log_y=log_y)
    plot.addItem(item)
    return item


class Line(pg.PlotCurveItem):
    """A plain line (no symbols, no downsampling) as ``plot.plot`` draws it, without the
    PlotDataItem around it: its setData re-parses the data, maps it, re-sets the pen and
    checks every point at each call, ~110 µs against ~10 µs here. On a log-y plot (``log_y``)
    it draws log10 of the values with non-finite ones as gaps, as PlotDataItem does;
    ``values`` keeps what it was given."""

    def __init__(self, *args, log_y: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.log_y = log_y
        self.values = np.zeros(0)

    def set_values(self, x, y) -> None:
        y = np.asarray(y, dtype=float)
        self.values = y
        if self.log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(y)
            y[~np.isfinite(y)] = np.nan
        self.setData(np.asarray(x, dtype=float), y)


def show_item(plot: pg.PlotItem, item, name: str, visible: bool) -> None:
    """Show or hide a per-layer item together with its legend entry."""
    item.setVisible(visible)
    legend_entry(plot, item, name, visible)


# --------------------------------------------------------------------- numeric guards


def same_values(a, b) -> bool:
    """Equal shapes, types and values, a NaN equal to a NaN (a recorded NaN is the same record)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def finite_or_nan(values) -> np.ndarray:
    """Inf becomes NaN so a curve shows a gap instead of an axis stretched to infinity."""
    values = as_float(values)
    values[~np.isfinite(values)] = np.nan
    return values


def for_log_axis(values, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """(values to plot, mask of values that were 0 or negative and now sit at ``floor``).
    Inf and NaN become NaN gaps."""
    values = as_float(values)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        floored = finite & (values <= 0)
    plotted = np.where(finite, values, np.nan)
    plotted[floored] = floor
    return plotted, floored


def floor_note(floored: bool, floor: float) -> str:
    """Title suffix saying where zeros were drawn on a log axis (empty when none were)."""
    return f" (zeros drawn at {floor:.0e})" if floored else ""


def set_title(plot: pg.PlotItem, text: str, color: str | None = None) -> None:
    style.set_title(plot, text, color)


def divergence_note(view) -> str:
    """' - diverged at step 812' for a title when the run hit NaN/Inf, else ''. Only the step:
    a title must fit a ~400 px dock, and the banner (and the CSV) say where it happened."""
    if view is None:
        return ""
    note = getattr(view.snapshot, "note", "")
    if view.status != "diverged":
        return f" \u2014 last finite state (step {view.snapshot.step})" if note else ""
    head = view.divergence.split(":", 1)[0].strip()  # "step 812: hidden state, ..." -> "step 812"
    shown = f", showing step {view.snapshot.step}" if note else ""
    return f" \u2014 diverged at {head}{shown}" if head.startswith("step") else " \u2014 diverged"


SHORT_SERIES = 3  # a curve with fewer points than this gets markers: one point draws no line


def mark_short(curve: pg.PlotDataItem, points: int, color: str) -> None:
    """Show markers on ``curve`` while it has only a point or two, so it is never invisible."""
    short = points < SHORT_SERIES
    marked = getattr(curve, "_rnnviz_short_marked", False)  # markers we added, not the curve's own
    if short and not marked and curve.opts.get("symbol") is None:
        curve.setSymbol("o")
        curve.setSymbolSize(6)
        curve.setSymbolBrush(color)
        curve.setSymbolPen(None)
        curve._rnnviz_short_marked = True
    elif not short and marked:
        curve.setSymbol(None)
        curve._rnnviz_short_marked = False


def symmetric_levels(values) -> tuple[float, float]:
    """(-m, m) with m the largest finite |value|, so zero sits at the colormap's centre."""
    magnitudes = np.abs(np.asarray(values, dtype=float) if values is not None else np.zeros(0))
    m = float(magnitudes.max()) if magnitudes.size else 0.0  # one pass when all are finite (usual)
    if not np.isfinite(m):  # NaN or Inf somewhere: the largest of the finite ones
        finite = magnitudes[np.isfinite(magnitudes)]
        m = float(finite.max()) if finite.size else 0.0
    if m <= 0:
        m = 1.0  # all zero (or nothing finite): any symmetric range shows it as white
    return (-m, m)


def finite_range(values) -> tuple[float, float] | None:
    values = as_float(values)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5  # a flat map still needs a non-empty range
    return low, high


def printable_label(label) -> str:
    """A token as it can stand on an axis: whitespace made visible, long words cut."""
    return _printable(str(label))


@functools.lru_cache(maxsize=4096)  # a sample's tokens come back at every view: each one made once
def _printable(text: str) -> str:
    text = text.replace("\n", "\u23ce").replace("\t", "\u21e5").replace(" ", "\u2423")
    return text if len(text) <= 8 else text[:7] + "\u2026"


WIDTHS: dict[str, float] = {}  # tick-font widths of the token texts seen: a new sample re-uses them
MAX_WIDTHS = 20_000


def text_width(text: str) -> float:
    """Width in pixels of ``text`` in the tick font, remembered (a text's sample changes at every view)."""
    width = WIDTHS.get(text)
    if width is None:
        if len(WIDTHS) >= MAX_WIDTHS:
            WIDTHS.clear()
        width = WIDTHS[text] = QtGui.QFontMetricsF(style.tick_font()).horizontalAdvance(text)
    return width


class TokenAxis(pg.AxisItem):
    """A time axis labelled with the input tokens, thinned to what fits its CURRENT length in
    pixels (pyqtgraph hands ``tickValues`` that length), so labels never overlap in a narrow
    dock and use the room of a wide export. Step t sits at x = t."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.texts: list[str] = []
        self._given: tuple = (None, 0)  # the last labels and count set_labels was given
        self._widest: float | None = None  # pixels of the widest label plus a gap
        self.setTickFont(style.tick_font())
        self.setStyle(hideOverlappingLabels=False)  # the spacing below already keeps them apart

    def set_labels(self, labels, count: int) -> None:
        """Label steps 0..count-1 with ``labels`` (the step number where a label is missing)."""
        labels = list(labels or [])
        if SKIP_REPEATED_WORK and self._given == (labels, count):
            return  # the same tokens: nothing to turn into texts again (200 of them per view)
        self._given = (labels, count)
        texts = [printable_label(labels[t]) if t < len(labels) else str(t) for t in range(count)]
        if texts != self.texts:
            self.texts = texts
            self._widest = None  # measured again on the next layout, once
            self.picture = None  # pyqtgraph caches the drawn axis
            self.update()

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's name
        count = len(self.texts)
        if count == 0:
            return super().tickValues(minVal, maxVal, size)
        if self._widest is None:  # one text per step: measuring them all is most of a layout
            self._widest = max(text_width(text) for text in set(self.texts)) + text_width("  ")
        widest = self._widest
        visible = max(maxVal - minVal, 1.0)
        fit = max(int(size / widest * count / visible), 1)  # labels that fit across all count steps
        every = style.nice_step(count, fit) if count > fit else 1
        values = [float(t) for t in range(0, count, every) if minVal - 0.5 <= t <= maxVal + 0.5]
        return [(float(every), values)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        if not self.texts:
            return super().tickStrings(values, scale, spacing)
        out = []
        for value in values:
            t = int(round(value))
            out.append(self.texts[t] if 0 <= t < len(self.texts) else "")
        return out
