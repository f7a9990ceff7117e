"""A heatmap made straight with numpy shows the pixels pyqtgraph's picture (converted by Qt) shows:
on the panels' own maps over successive views and a resize, with blank cells, and with levels
that clip. Each check would fail if the colour index, the colour table or the blank cells
differed by one."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest
from PyQt6 import QtGui

from rnnviz.gui.plot import image as image_module
from rnnviz.gui.plot.image import DRAWN, Image
from rnnviz.gui.panels import ConnectivityPanel, HiddenPanel, WeightsPanel
from tests.gui.pictures import pixels
from tests.gui.factories import make_view




def rendered(item: Image, direct: bool, monkeypatch) -> np.ndarray:
    monkeypatch.setattr(image_module, "DIRECT", direct)
    item.render()
    assert item.qimage.format() == DRAWN  # drawn without a conversion at every paint
    return pixels(item.qimage, DRAWN)


def item_with(matrix: np.ndarray, levels, lut: np.ndarray) -> Image:
    item = Image(axisOrder="row-major")
    item.setLookupTable(lut)
    item.setImage(matrix, levels=levels)
    return item


@pytest.mark.parametrize("columns, dtype", [(3, np.float64), (4, np.float64), (3, np.float32)])
def test_direct_picture_matches_pyqtgraphs_converted_one(monkeypatch, columns, dtype):
    rng = np.random.default_rng(columns)
    lut = rng.integers(0, 256, size=(256, columns)).astype(np.uint8)  # translucent colours too
    matrix = rng.normal(0, 1.5, size=(37, 23)).astype(dtype)
    matrix[3, 4] = matrix[10, :5].mean()
    for levels in [(-1.0, 1.0), (-3.0, 0.5), (2.0, 2.0)]:  # clipping both ends, an empty range
        item = item_with(matrix, levels, lut)
        fast = rendered(item, True, monkeypatch)
        assert np.array_equal(fast, rendered(item, False, monkeypatch))
    blank = matrix.copy()
    blank[5, :] = np.nan
    blank[:, 7] = np.nan
    item = item_with(blank, (-1.0, 1.0), lut)
    fast = rendered(item, True, monkeypatch)
    assert (fast[5, :] == 0).all() and (fast[:, 7] == 0).all()  # blank cells are transparent
    assert np.array_equal(fast, rendered(item, False, monkeypatch))


def test_each_level_boundary_gets_pyqtgraphs_colour(monkeypatch):
    lut = np.stack([np.arange(256), 255 - np.arange(256), np.full(256, 7)], axis=1).astype(np.uint8)
    values = np.linspace(-1.0, 1.0, 256 * 64 + 1)[None, :]  # every colour's first and last value
    item = item_with(values, (-1.0, 1.0), lut)
    fast = rendered(item, True, monkeypatch)
    assert len(np.unique(fast)) == 256
    assert np.array_equal(fast, rendered(item, False, monkeypatch))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_at_colour_boundaries_get_pyqtgraphs_colour_in_its_precision(monkeypatch, dtype):
    low, high = -0.3, 0.8  # boundaries that float32 and float64 arithmetic round apart
    edges = (low + np.arange(257) * (high - low) / 256).astype(dtype)
    values = np.concatenate([edges, np.nextafter(edges, dtype(np.inf)), np.nextafter(edges, dtype(-np.inf))])
    lut = np.stack([np.arange(256), np.arange(256)[::-1], np.full(256, 9)], axis=1).astype(np.uint8)
    item = item_with(values[None, :], (low, high), lut)
    assert np.array_equal(rendered(item, True, monkeypatch), rendered(item, False, monkeypatch))


def test_a_new_lookup_table_is_used(monkeypatch):
    matrix = np.linspace(0, 1, 20).reshape(4, 5)
    grey = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    item = item_with(matrix, (0.0, 1.0), grey)
    before = rendered(item, True, monkeypatch)
    item.setLookupTable(grey[::-1].copy())
    after = rendered(item, True, monkeypatch)
    assert not np.array_equal(before, after)
    assert np.array_equal(after, rendered(item, False, monkeypatch))


def test_other_images_keep_pyqtgraphs_way(monkeypatch):
    item = Image(axisOrder="row-major")
    item.setImage(np.arange(12, dtype=np.uint8).reshape(3, 4))  # no table: grey levels
    assert not item._render_direct()
    item.render()
    assert item.qimage is not None and item.qimage.format() == DRAWN


@pytest.mark.parametrize("panel_class", [HiddenPanel, WeightsPanel, ConnectivityPanel])
def test_panels_heatmaps_draw_the_same_grabs(qtbot, monkeypatch, panel_class):
    panel = panel_class()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    views = [make_view(steps=30, hidden=16, layers=1, seed=seed) for seed in range(3)]
    blank = []
    for size, view in zip([(640, 420), (640, 420), (500, 380)], views):
        panel.resize(*size)
        panel.update_view(view)
        images = [item for item in panel.canvas.scene().items() if isinstance(item, Image) and item.image is not None]
        assert images
        grabs = []
        for direct in (True, False, True):
            monkeypatch.setattr(image_module, "DIRECT", direct)
            for item in images:
                item.qimage = None  # rendered again at the next paint
                item._renderRequired = True
            grabs.append(pixels(panel.grab().toImage(), DRAWN))
        assert np.array_equal(grabs[0], grabs[1]) and np.array_equal(grabs[1], grabs[2])
        assert all(item._table is not None for item in images)  # the direct way drew them
        blank.append(any(np.isnan(item.image).any() for item in images))
    assert blank[-1] == (panel_class is ConnectivityPanel)  # blank cells drawn too (masked connections)
