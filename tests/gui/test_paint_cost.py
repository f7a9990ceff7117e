"""What makes a redraw cheaper must not change the picture: wide curves drawn in pixels look
like pyqtgraph's own, the opaque grid has the grey the translucent one had and lies beneath
the curves, only invisible tick levels are dropped, and unchanged titles, labels, ticks and
heatmap frames are left alone so pyqtgraph does not lay them out again. Speed itself is shown
by ``rnnviz bench --only window-redraw``, never asserted here."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtCore, QtGui, QtSvg

from rnnviz.gui.plot import curves
from rnnviz.gui.plot import grid
from rnnviz.gui.plot import style
from rnnviz.gui.panels import ChainPanel, GatesPanel, GradientsPanel, HiddenPanel, NormsPanel, WeightsPanel
from tests.gui.factories import make_view

SIZE = (640, 420)


def build(qtbot, panel_class, view):
    panel = panel_class()
    qtbot.addWidget(panel)
    panel.resize(*SIZE)
    panel.update_view(view)
    return panel


def grey(image: QtGui.QImage, block: int = 8) -> np.ndarray:
    """Grey levels averaged over block x block squares: compares drawings, not antialiasing."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    raw = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    pixels = raw.reshape(image.height(), image.bytesPerLine())[:, :image.width()].astype(float)
    h, w = (s // block * block for s in pixels.shape)
    return pixels[:h, :w].reshape(h // block, block, w // block, block).mean(axis=(1, 3))


def wide_curves(panel) -> list:
    return [item for item in panel.canvas.scene().items()
            if isinstance(item, pg.PlotCurveItem) and item.opts["pen"].widthF() > 1 and item.isVisible()]


# ------------------------------------------------------------------ curves drawn in pixels
def test_wide_curves_are_drawn_in_pixels_and_look_like_pyqtgraphs(qtbot, monkeypatch):
    panel = build(qtbot, GradientsPanel, make_view(steps=200, hidden=32, layers=1))
    in_pixels = set()
    real = curves.draw_in_pixels

    def recording(curve, painter):
        drawn = real(curve, painter)
        if drawn:
            in_pixels.add(curve.opts["pen"].style())
        return drawn

    monkeypatch.setattr(curves, "draw_in_pixels", recording)
    fast = grey(panel.grab().toImage())
    assert in_pixels == {QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenStyle.DashLine}  # sample, batch mean
    for item in wide_curves(panel):
        del item.paint  # pyqtgraph's own paint again
    panel.canvas.scene().update()
    slow = grey(panel.grab().toImage())
    assert np.abs(fast - slow).max() < 40  # same curves in the same places (8 px blocks)
    assert np.abs(fast - slow).mean() < 1.0


def test_solid_segments_leave_gaps_at_nan():
    x = np.arange(5.0)
    y = np.array([0.0, 1.0, np.nan, 3.0, 4.0])
    lines = curves.solid_segments(x, y)
    assert lines.tolist() == [[0, 0, 1, 1], [3, 3, 4, 4]]


def test_dashes_cover_the_on_part_of_the_pattern_and_restart_after_a_gap():
    x = np.linspace(0, 120, 13)
    lines = curves.dashed_segments(x, np.zeros_like(x), np.array([8.0, 4.0]))
    lengths = np.hypot(lines[:, 2] - lines[:, 0], lines[:, 3] - lines[:, 1])
    assert np.isclose(lengths.sum(), 80.0)  # 10 periods of 12 px, 8 px of each drawn
    assert lines[0, 0] == 0 and np.isclose(lines[:, 2].max(), 116.0)  # starts on a dash, ends in a gap
    gapped = curves.dashed_segments(np.r_[0.0, 6.0, np.nan, 20.0, 26.0], np.zeros(5), np.array([4.0, 4.0]))
    assert gapped[:, 0].tolist() == [0.0, 20.0]  # each finite run starts with a dash


def test_thin_translucent_or_vector_drawing_keeps_pyqtgraphs_paint(qtbot, tmp_path):
    panel = build(qtbot, ChainPanel, make_view(steps=40, layers=1))
    panel.grab()
    curve = next(c for c in wide_curves(panel) if c.opts["pen"].style() == QtCore.Qt.PenStyle.SolidLine)
    image = QtGui.QImage(*SIZE, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    painter.setTransform(curve.sceneTransform())
    assert curves.draw_in_pixels(curve, painter)
    thin, faint = QtGui.QPen(curve.opts["pen"]), QtGui.QPen(curve.opts["pen"])
    thin.setWidthF(1)
    faint.setColor(QtGui.QColor(0, 0, 0, 128))
    for pen in (thin, faint):
        curve.opts["pen"] = pen
        assert not curves.draw_in_pixels(curve, painter)
    painter.end()
    svg = QtSvg.QSvgGenerator()
    svg.setFileName(str(tmp_path / "curve.svg"))
    painter = QtGui.QPainter(svg)
    curve.opts["pen"] = style.pen("#000000", 2)
    assert not curves.draw_in_pixels(curve, painter)  # an SVG keeps one vector path
    painter.end()


# ------------------------------------------------------------------ the grid
@pytest.mark.parametrize("decades", [(-3, 2), (-20, 5)])
def test_cheap_grid_draws_the_grid_pyqtgraph_drew(qtbot, decades):
    """Pixel for pixel, up to the invisible levels it leaves out (fainter than 5/255)."""
    style.configure()
    canvas = pg.GraphicsLayoutWidget()
    qtbot.addWidget(canvas)
    canvas.resize(*SIZE)
    plot = canvas.addPlot()
    plot.showGrid(x=True, y=True, alpha=style.GRID_ALPHA)
    plot.setLogMode(y=True)
    plot.setRange(xRange=(0, 41), yRange=decades, padding=0)
    before = grey(canvas.grab().toImage(), block=1)
    for name in ("left", "bottom"):
        grid.cheap_grid(plot.getAxis(name))
    after = grey(canvas.grab().toImage(), block=1)
    assert np.abs(after - before).max() < grid.MIN_VISIBLE_ALPHA
    assert all(plot.getAxis(name).zValue() < plot.vb.zValue() for name in ("left", "bottom"))


def test_vertical_grid_lines_are_opaque_in_the_grey_they_showed(qtbot):
    panel = build(qtbot, ChainPanel, make_view(steps=40, layers=1))
    panel.grab()
    axis = panel.plot.getAxis("bottom")
    picture = QtGui.QPicture()
    painter = QtGui.QPainter(picture)
    pens = []
    painter.setPen = pens.append  # what the axis draws its lines with
    axis.drawPicture(painter, *axis.generateDrawSpecs(painter))
    painter.end()
    assert pens and all(pen.color().alpha() == 255 for pen in pens)
    black = grid.over_paper(QtGui.QColor(0, 0, 0, 38), QtGui.QColor("white"))
    assert black.getRgb()[:3] == (217, 217, 217)


def test_axes_without_a_grid_stay_above_the_view(qtbot):
    panel = build(qtbot, HiddenPanel, make_view(layers=1))
    plot = panel.map.plot  # a heatmap: no grid, its inward ticks must show over the image
    assert all(plot.getAxis(name).zValue() > plot.vb.zValue() for name in ("left", "bottom"))
    plot.showGrid(x=True, y=True)
    assert all(plot.getAxis(name).zValue() < plot.vb.zValue() for name in ("left", "bottom"))


def test_only_invisible_tick_levels_are_dropped():
    crowded = [(1.0, [0, 1, 2, 3]), (None, list(range(40)))]  # log minors: 40 in 110 px
    assert grid.visible_levels(crowded, 38, 110) == crowded[:1]
    roomy = [(10.0, [0, 10, 20, 30, 40]), (5.0, [5, 15, 25, 35]), (1.0, list(range(33)))]
    assert grid.visible_levels(roomy, 38, 562) == roomy  # every level of a wide axis shows
    assert grid.visible_levels([(None, [1, 2, 3])], 38, 10) == [(None, [1, 2, 3])]  # the first always stays
    assert grid.grid_alpha(38, 0, 1000, 4) == 38


def test_a_log_axis_over_many_decades_skips_its_invisible_minor_ticks(qtbot):
    panel = build(qtbot, NormsPanel, make_view(history=200))
    axis = panel.top.getAxis("left")
    many = axis.tickValues(-20, 5, 110)  # 25 decades in 110 px: 2..9 minors would be a smear
    assert all(spacing is not None for spacing, _ in many)
    few = axis.tickValues(0.1, 0.6, 200)  # half a decade: the minor ticks are its only labels
    assert any(spacing is None and len(values) >= 2 for spacing, values in few)


# ------------------------------------------------------------------ nothing laid out twice
def test_heatmap_ticks_every_few_indices_not_every_one(qtbot):
    panel = build(qtbot, WeightsPanel, make_view(hidden=256, layers=1))
    axis = panel.map.plot.getAxis("left")
    major, minor = axis._tickSpacing
    assert minor[0] >= 2 and major[0] % minor[0] == 0 and float(minor[0]).is_integer()
    assert [style.minor_step(m) for m in (1, 2, 5, 10, 20, 50, 100, 200)] == [1, 1, 1, 2, 5, 10, 20, 50]


def test_a_narrow_map_labels_no_more_ticks_than_fit(qtbot):
    """pyqtgraph labels every major tick of a fixed spacing, overlapping or not ("51015" under a
    narrow map): the labels (the widest index) keep a gap between them, two are always left, and
    a wider map gets its ticks back, also when it is resized between views."""
    from rnnviz.gui.panels.heatmap import TICK_GAP_PIXELS

    steps = 40
    panel = HiddenPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    panel.show()
    qtbot.waitExposed(panel)
    panel.update_view(make_view(steps=steps, layers=1))
    axis = panel.map.plot.getAxis("bottom")
    qtbot.waitUntil(lambda: panel.map.plot.vb.width() > 300)
    wide = axis._tickSpacing[0][0]
    label = QtGui.QFontMetricsF(axis.style["tickFont"]).horizontalAdvance(str(steps - 1)) + TICK_GAP_PIXELS

    def labels_fit() -> bool:
        labelled = steps / axis._tickSpacing[0][0]  # major ticks across the map
        return labelled <= max(2, panel.map.plot.vb.width() // label) + 1

    assert labels_fit()
    panel.resize(200, 420)
    qtbot.waitUntil(lambda: panel.map.plot.vb.width() < 120)
    assert axis._tickSpacing[0][0] > wide and labels_fit()
    assert steps / axis._tickSpacing[0][0] >= 2  # two labels at least: the axis keeps a scale
    panel.resize(640, 420)
    qtbot.waitUntil(lambda: axis._tickSpacing[0][0] == wide)


@pytest.mark.parametrize("panel_class, cell", [(HiddenPanel, "tanh"), (GatesPanel, "lstm")])
def test_same_frame_keeps_the_drawn_axes_and_titles(qtbot, monkeypatch, panel_class, cell):
    view = make_view(layers=1, cell=cell)
    panel = build(qtbot, panel_class, view)
    panel.grab()
    axis = panel.map.plot.getAxis("left")
    drawn = axis.picture
    assert drawn is not None
    calls = []
    monkeypatch.setattr(panel.map.plot, "setTitle", lambda *a, **k: calls.append(a))
    panel.update_view(view)
    assert axis.picture is drawn  # same shape and levels: the axis is not laid out again
    assert calls == []  # same title: not set again
    style.set_title(panel.map.plot, "another title")
    assert calls == [("another title",)]


def test_labels_and_ticks_are_set_only_when_they_change(qtbot):
    panel = build(qtbot, WeightsPanel, make_view(layers=1))
    panel.grab()
    left = panel.map.plot.getAxis("left")
    drawn = left.picture
    style.set_label(panel.map.plot, "left", left.labelText, **left.labelStyle)
    style.set_ticks(left, left._rnnviz_ticks)
    assert left.picture is drawn
    style.set_label(panel.map.plot, "left", "rows")
    assert left.labelText == "rows" and left.picture is None
    style.set_ticks(left, [[(0.0, "zero")]])
    assert left._tickLevels == [[(0.0, "zero")]]


def test_a_log_axis_keeps_1_2_5_labels_but_never_shows_one_lone_label(qtbot):
    axis = style.LogAxis("left")
    decade_and_more = np.log10([0.03, 0.04, 0.05, 0.06, 0.1, 0.2, 0.3, 0.5])  # 1.2 decades
    strings = axis.logTickStrings(decade_and_more, 1, None)
    assert [s for s in strings if s] == ["0.05", "0.1", "0.2", "0.5"]
    half_a_decade = np.log10([0.07, 0.08, 0.09, 0.1])  # the gradients panel at the start of a run
    assert axis.logTickStrings(half_a_decade, 1, None) == ["0.07", "0.08", "0.09", "0.1"]


# ------------------------------------------------------------------ cached text, converted images
def test_texts_are_painted_from_a_cache_on_screen_and_as_real_text_in_an_svg(qtbot):
    from PyQt6 import QtWidgets

    from rnnviz.gui.export import _svg_bytes

    panel = build(qtbot, ChainPanel, make_view())
    texts = [item for item in panel.canvas.scene().items() if isinstance(item, QtWidgets.QGraphicsTextItem)]
    assert texts and all(item.cacheMode() == style.TEXT_CACHE for item in texts)
    svg = _svg_bytes(panel).decode("utf-8")
    assert "<image" not in svg and svg.count("<text") >= len([t for t in texts if t.isVisible()]) // 2
    assert all(item.cacheMode() == style.TEXT_CACHE for item in texts)  # cached again for the screen


def test_unchanged_label_texts_are_not_set_again(qtbot):
    label = pg.LabelItem("")
    style.set_label_text(label, "VANISHING", color="#0072B2")
    calls = []
    label.setText = lambda *args, **kwargs: calls.append(args)
    style.set_label_text(label, "VANISHING", color="#0072B2")
    assert calls == []
    style.set_label_text(label, "EXPLODING", color="#0072B2")
    assert calls == [("EXPLODING",)]


def test_a_converted_heatmap_draws_the_pixels_pyqtgraph_draws(qtbot):
    from rnnviz.gui.plot.image import DRAWN, Image

    values = np.random.default_rng(0).standard_normal((30, 40))
    drawn = []
    for item in (pg.ImageItem(axisOrder="row-major"), Image(axisOrder="row-major")):
        item.setLookupTable(style.diverging_colormap().getLookupTable(nPts=256))
        item.setImage(values, levels=(-2, 2))
        target = QtGui.QImage(80, 60, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        target.fill(QtGui.QColor("white"))
        painter = QtGui.QPainter(target)
        painter.scale(2, 2)
        item.paint(painter)
        painter.end()
        drawn.append(grey(target, 1))
    assert item.qimage.format() == DRAWN  # converted once, when rendered
    np.testing.assert_array_equal(drawn[0], drawn[1])
