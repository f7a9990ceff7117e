"""Export: every view as PNG, SVG and CSV from the same panels the window shows, plus the
run's metadata and history; files are checked by reading them back, not by existing."""

from __future__ import annotations

import csv
import json
import os
import xml.etree.ElementTree as ET

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtSvg

from rnnviz.core.errors import UserError
from rnnviz.gui.plot import style
from rnnviz.gui.export import CAPTION_HEIGHT, PNG_SCALE, export_all, export_panel
from rnnviz.gui.panels import PANEL_CLASSES, HiddenPanel, LossPanel
from tests.gui.factories import make_view, nonfinite_view

VIEWS = [cls.view_name for cls in PANEL_CLASSES]
HEATMAP_VIEWS = {"hidden", "flow", "weights", "gates"}
DRAWING_TAGS = {"path", "polyline", "polygon", "image", "line", "rect"}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def svg_drawing_tags(path) -> list[str]:
    root = ET.parse(path).getroot()  # raises on an invalid file
    assert local(root.tag) == "svg"
    return [local(el.tag) for el in root.iter() if local(el.tag) in DRAWING_TAGS]


def png_pixels(path) -> np.ndarray:
    image = QtGui.QImage(str(path))
    assert not image.isNull()
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint32)
    return data.reshape(image.height(), -1)[:, : image.width()]


@pytest.fixture(scope="module")
def view():
    return make_view(steps=12, hidden=8, layers=1, history=25, cell="lstm")  # gated: every panel has data


@pytest.fixture(scope="module")
def exported(view, tmp_path_factory, qapp):
    out = tmp_path_factory.mktemp("export") / "new" / "folder"  # created on the way
    metadata = {"rnnviz_version": "test", "status": "finished", "final_loss": np.float64(1.5),
                "nan": float("nan"), "steps": np.int64(25)}
    history = {"loss_steps": np.arange(5), "loss_values": np.linspace(1, 0, 5)}
    paths = export_all(view, out, metadata, history)
    return out, paths, metadata, history


def test_export_all_writes_every_view_in_every_format(exported):
    out, paths, _, _ = exported
    expected = [out / f"{name}{suffix}" for name in VIEWS for suffix in (".png", ".svg", ".csv")]
    expected += [out / "metadata.json", out / "history.npz"]
    assert paths == expected
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("name", VIEWS)
def test_svg_is_valid_and_draws(exported, name):
    tags = svg_drawing_tags(exported[0] / f"{name}.svg")
    assert {"path", "polyline"} & set(tags), "no lines or axes in the SVG"
    if name in HEATMAP_VIEWS:
        assert "image" in tags, "heatmap missing from the SVG"


@pytest.mark.parametrize("name", VIEWS)
def test_png_has_the_export_size_and_a_picture(exported, name):
    pixels = png_pixels(exported[0] / f"{name}.png")
    # the plot at the export size, and the caption line under it
    assert pixels.shape == ((style.EXPORT_SIZE[1] + CAPTION_HEIGHT) * PNG_SCALE, style.EXPORT_SIZE[0] * PNG_SCALE)
    assert len(np.unique(pixels)) > 20  # text, axes, curves or a colour map, not a blank page


def gray_blocks(image: QtGui.QImage, block: int = 8) -> np.ndarray:
    """Grey levels averaged over block x block squares: compares layout, not antialiasing."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    data = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint8)
    grey = data.reshape(image.height(), image.bytesPerLine())[:, : image.width()].astype(float)
    h, w = (size // block * block for size in grey.shape)  # whole blocks (the caption makes 622 rows)
    return grey[:h, :w].reshape(h // block, block, w // block, block).mean(axis=(1, 3))


@pytest.mark.parametrize("name", VIEWS)
def test_svg_looks_like_the_png(exported, name):
    """Rasterised, the SVG must match the PNG: catches axes drawn at another scale than the
    data (72 vs 96 dpi, or a layout that had not settled before the first paint)."""
    width, height = style.EXPORT_SIZE[0], style.EXPORT_SIZE[1] + CAPTION_HEIGHT
    svg = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
    svg.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(svg)
    QtSvg.QSvgRenderer(str(exported[0] / f"{name}.svg")).render(painter, QtCore.QRectF(0, 0, width, height))
    painter.end()
    png = QtGui.QImage(str(exported[0] / f"{name}.png")).scaled(
        width, height, transformMode=QtCore.Qt.TransformationMode.SmoothTransformation)
    difference = np.abs(gray_blocks(svg) - gray_blocks(png))
    # measured: <= 2.7 mean and <= 50 worst block when they agree; a 72-dpi SVG gave 3.2-4.6 and
    # 83-105, an unsettled layout 21 and 145
    assert difference.mean() < 3.5 and difference.max() < 70


@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda c: c.view_name)
def test_csv_is_the_panels_table_with_a_header(exported, view, qtbot, panel_class):
    panel = panel_class()
    qtbot.addWidget(panel)
    panel.update_view(view)
    header, rows = panel.csv_table()
    with open(exported[0] / f"{panel_class.view_name}.csv", newline="", encoding="utf-8") as handle:
        written = list(csv.reader(handle))
    assert written[0] == header
    assert len(written) - 1 == len(rows) > 0


def test_csv_numbers_round_trip_exactly(exported, view):
    with open(exported[0] / "hidden.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first = rows[0]
    assert float(first["h"]) == view.snapshot.hidden[int(first["t"]), int(first["layer"]), int(first["unit"])]


def test_metadata_is_strict_json_and_history_loads(exported):
    out, _, metadata, history = exported
    text = (out / "metadata.json").read_text(encoding="utf-8")
    written = json.loads(text)
    assert "NaN" not in text and written["nan"] is None  # strict JSON: NaN becomes null
    assert written["final_loss"] == 1.5 and written["steps"] == 25 and written["status"] == "finished"
    with np.load(out / "history.npz") as npz:
        assert sorted(npz.files) == sorted(history)
        np.testing.assert_array_equal(npz["loss_values"], history["loss_values"])


def test_a_vanilla_cell_exports_a_gates_note_instead_of_an_empty_map(tmp_path, qtbot):
    from rnnviz.gui.panels import GatesPanel

    panel = GatesPanel()
    qtbot.addWidget(panel)
    panel.update_view(make_view(steps=8, hidden=4, layers=1, cell="tanh"))
    export_panel(panel, tmp_path / "gates.svg")
    tags = svg_drawing_tags(tmp_path / "gates.svg")
    assert "image" not in tags and {"path", "polyline", "rect"} & set(tags)  # the note's card, no map
    assert "no gates" in (tmp_path / "gates.svg").read_text(encoding="utf-8")


def test_a_diverged_view_still_exports(tmp_path, qapp):
    paths = export_all(nonfinite_view(steps=8, hidden=4, layers=1), tmp_path, {"status": "diverged"}, {})
    assert len(paths) == 3 * len(VIEWS) + 2
    for name in VIEWS:
        svg_drawing_tags(tmp_path / f"{name}.svg")


def test_export_panel_by_suffix(tmp_path, qtbot, view):
    panel = HiddenPanel()
    qtbot.addWidget(panel)
    panel.update_view(view)
    assert export_panel(panel, tmp_path / "h.SVG").is_file()
    assert export_panel(panel, tmp_path / "h.png").is_file()
    with pytest.raises(UserError, match="ending in .png, .svg or .csv"):
        export_panel(panel, tmp_path / "h.pdf")


def test_unwritable_folder_is_one_clear_user_error(tmp_path, qtbot, view):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError) as info:
        export_all(view, blocker / "plots", {}, {})
    message = str(info.value)
    assert "\n" not in message and "plots" in message
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.update_view(view)
    with pytest.raises(UserError):
        export_panel(panel, blocker / "loss.png")
