"""A drawn picture as numbers, for the tests that prove a shortcut draws the same pixels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

from tests.gui.factories import make_view

PREMULTIPLIED = QtGui.QImage.Format.Format_ARGB32_Premultiplied
SIZES = ((640, 420), (520, 360), (700, 300))  # panel sizes the pictures are grabbed at, in turn


def pixels(image: QtGui.QImage, image_format=PREMULTIPLIED) -> np.ndarray:
    """(height, width) uint32: each pixel of ``image`` in ``image_format``, row padding dropped."""
    image = image.convertToFormat(image_format)
    raw = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint32)
    return raw.reshape(image.height(), image.bytesPerLine() // 4)[:, :image.width()].copy()


def grabs(panel, views) -> list[QtGui.QImage]:
    """The panel over successive views, a resize and a zoom of every plot, grabbed after each."""
    images = []
    for view, size in zip(views, SIZES):
        panel.resize(*size)
        panel.update_view(view)
        images.append(panel.grab().toImage())
    for item in panel.canvas.scene().items():
        if isinstance(item, pg.ViewBox) and item.isVisible():
            x, _ = item.viewRange()
            item.setXRange(x[0], x[0] + (x[1] - x[0]) / 2, padding=0)
    images.append(panel.grab().toImage())
    panel.reset_zoom()
    images.append(panel.grab().toImage())
    return images


def assert_same_pictures(qtbot, panel_class, views, undo) -> None:
    """Two panels of ``panel_class``, the shortcut taken out of the second by ``undo(panel)``,
    draw the same pictures bit for bit over ``grabs``."""
    quick, plain = panel_class(), panel_class()
    for panel in (quick, plain):
        qtbot.addWidget(panel)
        panel.show()
    undo(plain)
    for k, (a, b) in enumerate(zip(grabs(quick, views), grabs(plain, views))):
        assert a.size() == b.size()
        assert a == b, f"{panel_class.__name__}: picture {k} differs"


def three_views() -> list:
    """Three views of a two-layer network, each with a longer history: what ``grabs`` draws."""
    return [make_view(steps=40, hidden=16, layers=2, history=30 + 10 * k, seed=k) for k in range(3)]


def items_with_own(panel, method: str) -> list:
    """The panel's scene items that have their own ``method`` (installed on the instance)."""
    return [item for item in panel.canvas.scene().items() if method in vars(item)]
