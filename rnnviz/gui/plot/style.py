"""One look for every plot, on screen and in exported files.

Colours, colormaps, fonts and the pyqtgraph options live here so that the window and the
headless exporter draw the same figure, and so that a panel never hard-codes a colour.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from rnnviz.gui.plot import axes, bounds, empty, grid

# one colour per layer (layer 0 first); dark enough to read on white, distinct for colour-blind eyes
# (Okabe & Ito 2008 palette)
LAYER_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")

# the regime badge: blue = signal dies away, green = it survives, red = it blows up
REGIME_COLORS = {"vanishing": "#0072B2", "stable": "#009E73", "exploding": "#D55E00"}
UNKNOWN_COLOR = "#666666"  # for text when there is nothing to judge yet

RAW_COLOR = "#8AAFD6"  # raw loss: lighter than the smoothed curve on top, still visible
SMOOTH_COLOR = "#0B3C6E"
VALIDATION_COLOR = "#D55E00"
BASELINE_COLOR = "#555555"
THRESHOLD_COLOR = "#CC0000"
MARKER_COLOR = "#7A1FA2"  # vertical markers (the gradient horizon)

TITLE_SIZE = "12pt"  # readable in a dock of ~400 px and in a README screenshot
LABEL_SIZE = "10pt"
LONG_TITLE = 38  # characters: a longer title (one with a divergence note) drops to LABEL_SIZE to fit a ~400 px dock
LEGEND_SIZE = "9pt"  # legends sit outside the curves: a size smaller than the axis labels keeps them one row
MIN_LABEL_WIDTH = 40  # px a title may shrink to: a long title overflows its box instead of widening the
#                       whole layout past the dock (pyqtgraph makes a label's text width its minimum)
COLORBAR_WIDTH = 12  # px of colour in a colour bar: narrow docks keep their room for the map
TICK_POINT_SIZE = 9
LINE_WIDTH = 2  # thin lines vanish in exported PNGs scaled down for a page
HISTORY_LINE_WIDTH = 1  # dense, noisy per-step series: a 2 px antialiased zigzag of a few thousand
#                         points paints ~5x slower (2.6 s vs 0.56 s for the norms panel's export)
GRID_ALPHA = 0.15  # faint: the grid helps to read values, never competes with the curves
EXPORT_SIZE = (960, 600)  # pixels of a panel rendered without a window: 16:10, room for labels


def configure() -> None:
    """Set pyqtgraph's global options: white background, black ink, smooth lines, and
    row-major images (array[row, col] = (y, x), the order numpy prints them in)."""
    pg.setConfigOptions(antialias=True, background="w", foreground="k", imageAxisOrder="row-major")


def layer_color(layer: int) -> str:
    return LAYER_COLORS[layer % len(LAYER_COLORS)]


def pen(color, width: float = LINE_WIDTH, dashed: bool = False, dotted: bool = False) -> QtGui.QPen:
    style = None
    if dashed:
        style = pg.QtCore.Qt.PenStyle.DashLine
    elif dotted:
        style = pg.QtCore.Qt.PenStyle.DotLine
    result = pg.mkPen(color=color, width=width)
    if style is not None:
        result.setStyle(style)
    result.setCosmetic(True)  # width in screen pixels, whatever the axis scale
    return result


def diverging_colormap() -> pg.ColorMap:
    """Blue (negative) - white (zero) - red (positive): the sign of a weight or activation
    reads at a glance and zero is the paper colour."""
    try:
        return pg.colormap.get("CET-D1")  # ships with pyqtgraph; perceptually uniform
    except (FileNotFoundError, KeyError, ValueError):  # pragma: no cover - older/newer pyqtgraph
        stops = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
        colors = np.array([[33, 102, 172], [146, 197, 222], [247, 247, 247],
                           [244, 165, 130], [178, 24, 43]], dtype=np.ubyte)
        return pg.ColorMap(stops, colors)


def sequential_colormap() -> pg.ColorMap:
    """Dark (small) to bright (large) for magnitudes such as log10 of a gradient norm."""
    return pg.colormap.get("viridis")


def tick_font() -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSize(TICK_POINT_SIZE)
    return font


def relax(label: pg.LabelItem) -> None:
    """Let ``label`` be narrower than its text, so a dock can shrink below a long title.

    pyqtgraph's LabelItem makes its text width its minimum again on every setText and every
    resize (``updateMin``), so the instance gets an ``updateMin`` that keeps the preferred
    width (the text's) and caps the minimum at MIN_LABEL_WIDTH."""
    if getattr(label, "_rnnviz_relaxed", False):
        return
    measure = type(label).updateMin

    def update_min() -> None:
        measure(label)
        minimum = QtCore.Qt.SizeHint.MinimumSize
        width, height = label._sizeHint[minimum]  # pyqtgraph's cached hints, read by sizeHint()
        label._sizeHint[minimum] = (min(width, MIN_LABEL_WIDTH), height)
        label.setMinimumWidth(min(width, MIN_LABEL_WIDTH))
        label.updateGeometry()

    label.updateMin = update_min
    label._rnnviz_relaxed = True
    update_min()


def set_title(plot: pg.PlotItem, text: str, color: str | None = None) -> None:
    """The plot's title at reading size; nothing to do when it already reads ``text``."""
    label = plot.titleLabel
    size = TITLE_SIZE if len(text) <= LONG_TITLE else LABEL_SIZE  # a note's long title stays whole
    if label.isVisibleTo(plot) and label.text == text and label.opts.get("color") == color \
            and label.opts.get("size") == size:
        return  # setText re-parses the HTML and re-lays out the whole plot on every redraw
    plot.setTitle(text, size=size, color=color)
    relax(label)


def set_label(plot: pg.PlotItem, axis: str, text: str, **label_style) -> None:
    """``plot.setLabel`` that does nothing when the label is already ``text``: pyqtgraph
    otherwise re-renders the label's HTML, re-sizes the axis and redraws it on every redraw."""
    item = plot.getAxis(axis)
    if item.labelText == (text or "") and not item.labelUnits and item.label.isVisibleTo(item) == bool(text) \
            and (not label_style or item.labelStyle == label_style):
        return
    plot.setLabel(axis, text, **label_style)


def set_label_text(label: pg.LabelItem, text: str, **opts) -> None:
    """``label.setText`` only when the text or its style change: each call re-parses the HTML
    and lays the label (and the plot layout around it) out again."""
    if label.text == text and all(label.opts.get(key) == value for key, value in opts.items()):
        return
    label.setText(text, **opts)


def set_plain_text(item: pg.TextItem, text: str) -> None:
    """``item.setText`` only when the text changes (a TextItem lays its document out again)."""
    if item.toPlainText() != text:
        item.setText(text)


TEXT_CACHE = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache


def cache_text(item: QtWidgets.QGraphicsItem) -> None:
    """Paint a text item from a pixmap of itself, made again only when its text, size or scale
    change. Qt shapes a QGraphicsTextItem's text anew at every paint (~30 µs each, 70 of them in
    the twelve panels); the pixmap is a copy. Vector output (SVG) must draw real text: ``uncached``."""
    if isinstance(item, QtWidgets.QGraphicsTextItem) and item.cacheMode() != TEXT_CACHE:
        item.setCacheMode(TEXT_CACHE)


@contextlib.contextmanager
def uncached(scene: QtWidgets.QGraphicsScene):
    """Every item of ``scene`` painted directly while the block runs (then cached again): a
    painter that records vectors (an SVG file) would otherwise get the cached pixmaps."""
    cached = [item for item in scene.items() if item.cacheMode() != QtWidgets.QGraphicsItem.CacheMode.NoCache]
    modes = [item.cacheMode() for item in cached]
    for item in cached:
        item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for item, mode in zip(cached, modes):
            item.setCacheMode(mode)


NOT_SET = object()  # never equal to any ticks, so the first set_ticks always sets them


def set_ticks(axis: pg.AxisItem, ticks) -> None:
    """``axis.setTicks(ticks)`` only when they differ from the ticks it shows (None: its own),
    because each call makes pyqtgraph lay the axis out and draw it again."""
    if getattr(axis, "_rnnviz_ticks", NOT_SET) == ticks:
        return
    axis._rnnviz_ticks = ticks
    axis.setTicks(ticks)


def quiet_axes(widget: QtWidgets.QWidget) -> None:
    """No automatic SI prefix on any axis drawn inside ``widget``: pyqtgraph otherwise re-renders
    each axis's label HTML and re-sizes the axis at every range change, hidden label or not
    (~900 times in a few seconds of training across the colour bars and top axes), and a
    "(x0.001)" beside a label only confuses. Every item there also gets cheap bounding rects
    (``bounds.install``): Qt asks for them several times per item at every paint; every axis
    is laid out lean, measuring its tick texts once per font (``axes.install``)."""
    for view in widget.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            prepare_item(item)


def prepare_item(item) -> None:
    """One item as ``quiet_axes`` prepares it (an axis without SI prefix, laid out lean and
    measuring its tick texts once; a scatter plot not painted while it has no points; cheap
    bounding rects); an item prepared already is left as it is."""
    if isinstance(item, pg.AxisItem):
        if item.autoSIPrefix:
            item.enableAutoSIPrefix(False)
        axes.hold_text_room(item)
        axes.install(item)
    elif isinstance(item, pg.ScatterPlotItem):
        empty.skip_when_empty(item)
    bounds.install(item)


def style_plot(plot: pg.PlotItem, title: str, left: str, bottom: str) -> None:
    """Title and axis labels at reading size; ticks in a readable font."""
    set_title(plot, title)
    label_style = {"font-size": LABEL_SIZE}
    plot.setLabel("left", left, **label_style)
    plot.setLabel("bottom", bottom, **label_style)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTickFont(tick_font())
        axis.enableAutoSIPrefix(False)  # "(x0.001)" next to a log axis only confuses
    # fewer tick texts than pyqtgraph's default: on a short log axis the minor labels
    # (0.2 ... 0.9) otherwise pile on top of each other
    plot.getAxis("left").setStyle(textFillLimits=[(0, 0.8), (2, 0.35), (4, 0.2), (6, 0.1)])
    plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    for name in ("left", "bottom"):
        grid.cheap_grid(plot.getAxis(name))


class LogAxis(pg.AxisItem):
    """A left axis whose log-mode labels stay readable on a short plot: when a level has
    many ticks, only 1, 2 and 5 times a power of ten keep their text, unless fewer than two
    of those are in view (a range under a decade, e.g. 0.06 .. 0.19): then every tick keeps
    it, so the axis never shows a lone "0.1"."""

    def logTickStrings(self, values, scale, spacing):
        strings = [log_tick_text(float(value), scale) for value in values]
        if len(values) <= 3:
            return strings
        kept = [text if one_two_five(float(value)) else "" for value, text in zip(values, strings)]
        return kept if sum(1 for text in kept if text) >= 2 else strings


@functools.lru_cache(maxsize=4096)  # the same few exponents come back at every layout of a log axis
def one_two_five(exponent: float) -> bool:
    """Whether 10**exponent is 1, 2 or 5 times a power of ten."""
    mantissa = 10 ** (exponent - np.floor(exponent))
    return any(abs(mantissa - m) < 1e-6 * m for m in (1, 2, 5, 10))


SUPERSCRIPTS = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")


@functools.lru_cache(maxsize=4096)  # a pure function of two numbers, asked again at every layout
def log_tick_text(exponent: float, scale: float = 1.0) -> str:
    """The text of a log-axis tick at 10**exponent: plain numbers from 0.001 to 5000 ("20", "0.05",
    not pyqtgraph's "2\u00b710\u00b9"), powers of ten beyond ("10\u2076", "2\u00b710\u207b\u2078")."""
    value = float(f"{10 ** exponent * scale:.1g}")
    if value == 0 or not np.isfinite(value):
        return ""
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:g}"
    mantissa, power = f"{value:.0e}".split("e")
    head = "" if mantissa == "1" else f"{mantissa}\u00b7"
    return f"{head}10{str(int(power)).translate(SUPERSCRIPTS)}"


def log_axis() -> dict:
    """axisItems for a PlotItem whose y axis is (or may become) logarithmic."""
    return {"left": LogAxis("left")}


def compact_number(value: float) -> str:
    """A tick text that stays short at any magnitude: "0.25", "1.4e10", "-3e-05" -> "-3e-5"."""
    value = float(value)
    if value == 0 or not np.isfinite(value):
        return "0" if value == 0 else str(value)
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.3g}"
    text = f"{value:.2g}"
    if "e" not in text:  # rounded into the plain range: 0.00099999 -> "0.001"
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def symmetric_bar_ticks(high: float, count: int = 2) -> list:
    """Ticks for a colour bar from -high to high: the ends, the halves and zero, as
    compact numbers, so a bar never shows a lone "0" (pyqtgraph drops wide labels)."""
    high = abs(float(high))
    if not np.isfinite(high) or high == 0:
        return [[(0.0, "0")]]
    values = [high * k / count for k in range(-count, count + 1)]
    return [[(v, compact_number(v)) for v in values]]


class CompactAxis(pg.AxisItem):
    """A linear axis whose tick texts stay short for huge or tiny values ("-3e10", not
    "-3e+10" or "-30000000000"), so neighbouring labels fit (the spectrum also asks its axes
    for fewer texts with ``textFillLimits``)."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        largest = max((abs(float(v)) for v in values), default=0.0)
        if 1e-3 <= largest * scale < 1e4 or largest == 0:
            return super().tickStrings(values, scale, spacing)
        return [compact_number(float(v) * scale) for v in values]


def nice_step(count: int, target_ticks: int = 8) -> int:
    """An integer tick spacing (1, 2, 5, 10, 20, ...) giving about ``target_ticks`` ticks."""
    raw = max(count / target_ticks, 1.0)
    power = 10 ** int(np.floor(np.log10(raw)))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)


def minor_step(major: int) -> int:
    """Whole-index minor ticks for a major step from ``nice_step``: 10 -> 2, 20 -> 5, 50 -> 10,
    1 up to 5. Not every index: at H = 256 that was a 256-tick comb, unreadable, and 3 ms per
    axis to lay out again on every redraw."""
    major = int(major)
    return max(major // 4 if str(major).startswith("2") else major // 5, 1)


def add_legend(plot: pg.PlotItem, layout: pg.GraphicsLayout | None = None, row: int = 0, col: int = 0,
               columns: int = 2, colspan: int = 1) -> pg.LegendItem:
    """A legend in its own cell of ``layout`` (below the plot, say), never over the curves;
    without a layout, one in the plot's top-right corner (``corner_legend``).

    It becomes ``plot.legend``, so curves made with ``plot.plot(name=...)`` join it. Entries
    flow into ``columns`` columns: two keep it to a row or two in a ~400 px dock. A legend
    under two plots side by side spans both (``colspan=2``): in one column its width would set
    that column's and push the other plot out of the dock.
    """
    if layout is None:
        return corner_legend(plot)
    legend = pg.LegendItem(labelTextSize=LEGEND_SIZE, colCount=columns, horSpacing=8, verSpacing=-6)
    legend.setBrush(pg.mkBrush(None))
    legend.setPen(pg.mkPen(None))
    legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed)  # the plot
    layout.addItem(legend, row=row, col=col, colspan=colspan)  # gets any spare height, the key only what it needs
    plot.legend = legend
    return legend


def corner_legend(plot: pg.PlotItem, offset=(-8, 8)) -> pg.LegendItem:
    """A legend inside the plot's corner (top right by default) on a translucent card: for
    plots whose curves leave that corner empty (the direct path falls from the top left)."""
    legend = plot.addLegend(offset=offset, labelTextSize=LEGEND_SIZE, verSpacing=-6)
    legend.setBrush(pg.mkBrush(255, 255, 255, 190))
    legend.setPen(pg.mkPen("#BBBBBB"))
    return legend
