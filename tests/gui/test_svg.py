"""Exported SVGs draw the same picture without a browser: rendered by resvg (no browser, no
Qt), each view must look like the PNG of the same figure. Before the rewrite into page
coordinates, librsvg and resvg drew curves as filled bars and the unit circle as a disc: the
comparison below fails on exactly that (large areas of ink where the PNG has white)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest
from PyQt6 import QtGui

from rnnviz.gui.export import export_all
from rnnviz.gui.panels import PANEL_CLASSES
from rnnviz.gui.plot.svg import page_coordinates, parse_transform, transform_path
from tests.gui.factories import make_view

resvg_py = pytest.importorskip("resvg_py")

VIEWS = tuple(panel.view_name for panel in PANEL_CLASSES)  # every view the exports write
CELL = 6  # compare mean ink over blocks of CELL x CELL pixels: text antialiasing differs per renderer
MAX_MEAN_DIFFERENCE = 0.03  # of full scale, averaged over the picture
MAX_BLOCK_DIFFERENCE = 0.35  # no block may differ by more (a filled bar, a disc)
MAX_BAD_BLOCKS = 0.01  # share of blocks allowed to differ by more than a glyph's shift


def grey(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint8)
    return rows.reshape(image.height(), -1)[:, : image.width()].astype(float) / 255.0


def blocks(pixels: np.ndarray) -> np.ndarray:
    h, w = (s // CELL * CELL for s in pixels.shape)
    return pixels[:h, :w].reshape(h // CELL, CELL, w // CELL, CELL).mean(axis=(1, 3))


@pytest.fixture(scope="module")
def exported(tmp_path_factory, qapp):
    out = tmp_path_factory.mktemp("svg")
    view = make_view(steps=12, hidden=8, layers=1, history=40, cell="lstm")
    export_all(view, out, {"note": "test"}, {"step": np.arange(3)})
    return out


@pytest.mark.parametrize("name", VIEWS)
def test_svg_renders_like_the_png_without_a_browser(exported, name):
    png = QtGui.QImage(str(exported / f"{name}.png"))
    width = png.width()
    rendered = QtGui.QImage.fromData(resvg_py.svg_to_bytes(svg_path=str(exported / f"{name}.svg"),
                                                           width=width, background="#ffffff"))
    assert (rendered.width(), rendered.height()) == (png.width(), png.height())
    a, b = blocks(grey(png)), blocks(grey(rendered))
    difference = np.abs(a - b)
    assert difference.mean() < MAX_MEAN_DIFFERENCE, f"{name}: mean difference {difference.mean():.3f}"
    assert (difference > MAX_BLOCK_DIFFERENCE).mean() < MAX_BAD_BLOCKS, name


@pytest.mark.parametrize("name", VIEWS)
def test_no_stroke_sits_inside_a_scaling_transform(exported, name):
    root = ET.parse(exported / f"{name}.svg").getroot()
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        assert element.get("vector-effect") != "non-scaling-stroke", tag
        if tag in ("g", "path", "polyline", "polygon", "rect", "line", "ellipse", "circle"):
            m = parse_transform(element.get("transform", ""))
            assert abs(abs(m[0] * m[3] - m[1] * m[2]) - 1) < 1e-6, (tag, element.get("transform"))
        family = element.get("font-family")
        if family is not None:
            assert family.rstrip().endswith("sans-serif"), family


def test_the_caption_names_the_run(exported):
    text = (exported / "loss.svg").read_text(encoding="utf-8")
    assert "lstm H=8" in text and "step 40" in text


def test_a_scaled_stroke_and_shapes_move_into_page_coordinates():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
           '<g stroke="black" stroke-width="1" transform="matrix(10,0,0,-20,5,90)">'
           '<polyline vector-effect="non-scaling-stroke" points="0,0 1,1"/>'
           '<rect x="0" y="0" width="1" height="2"/>'
           '<circle cx="0" cy="0" r="1"/>'
           '<text x="1" y="1" font-family="Sans Serif">a</text></g></svg>')
    out = ET.fromstring(page_coordinates(svg))
    ns = "{http://www.w3.org/2000/svg}"
    assert out.find(f"{ns}g/{ns}polyline").get("points") == "5,90 15,70"
    rect = out.find(f"{ns}g/{ns}path")
    assert rect.get("d").startswith("M5,90 L15,90 L15,50")
    assert float(rect.get("stroke-width")) == pytest.approx(np.sqrt(200), rel=1e-3)  # a scaling stroke keeps its look
    text = out.find(f"{ns}g/{ns}text")
    assert parse_transform(text.get("transform")) == (10, 0, 0, -20, 5, 90)
    assert text.get("font-family").endswith("sans-serif")
    assert transform_path("M1,2 H3 V4 Z", (1, 0, 0, 1, 1, 1)) == "M2,3 L4,3 L4,5 Z"


def test_a_heatmap_is_embedded_at_its_drawn_size_with_each_cell_repeated(qapp):
    """librsvg interpolates a 2 x 2 picture drawn 100 px wide into a blur; repeated cells stay cells."""
    import base64

    from PyQt6 import QtCore

    cells = QtGui.QImage(2, 2, QtGui.QImage.Format.Format_RGB32)
    for x, y, colour in ((0, 0, 0xFF0000), (1, 0, 0x00FF00), (0, 1, 0x0000FF), (1, 1, 0xFFFFFF)):
        cells.setPixel(x, y, colour)
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    cells.save(buffer, "PNG")
    href = "data:image/png;base64," + base64.b64encode(bytes(buffer.data())).decode("ascii")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 200 100">'
           f'<g transform="matrix(50,0,0,25,10,0)"><image x="0" y="0" width="2" height="2" preserveAspectRatio="none" '
           f'image-rendering="optimizeSpeed" xlink:href="{href}"/></g></svg>')
    image = ET.fromstring(page_coordinates(svg)).find(".//{http://www.w3.org/2000/svg}image")
    data = image.get("{http://www.w3.org/1999/xlink}href").split(",", 1)[1]
    scaled = QtGui.QImage.fromData(base64.b64decode(data), "PNG")
    assert (scaled.width(), scaled.height()) == (100, 50)  # 2 cells drawn 100 x 50 px
    assert image.get("width") == "2" and image.get("height") == "2"  # the geometry is unchanged
    for x, y, colour in ((0, 0, 0xFF0000), (49, 24, 0xFF0000), (50, 0, 0x00FF00), (0, 25, 0x0000FF), (99, 49, 0xFFFFFF)):
        assert scaled.pixel(x, y) & 0xFFFFFF == colour, (x, y)
