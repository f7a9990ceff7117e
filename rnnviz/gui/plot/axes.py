"""Tick texts measured once per font, not at every layout of an axis.

Whenever an axis's range moves (or a text sample's token axis gets new tokens), pyqtgraph lays
the axis out again (``AxisItem.generateDrawSpecs``) and asks the painter for the rect of every
tick text of every level, to decide which levels' texts fit: Qt shapes each text to measure
it. The same few dozen texts ("0.1", "200", "10⁻³", a token) come back at nearly every layout.

``remember_text_sizes`` gives one axis, per instance, a ``generateDrawSpecs`` that measures
through ``MeasuringPainter``: the rect the painter answers for a text, kept per font, device
resolution, box and alignment (``SIZES``, bounded). The layout is pyqtgraph's own, on the same
numbers, so the axis draws the same picture.
"""

from __future__ import annotations

from collections import OrderedDict

import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

MAX_SIZES = 4096  # remembered text rects: a few hundred distinct tick texts in a session, tokens included
SIZES: OrderedDict = OrderedDict()  # (font key, dpi x, dpi y, box, flags, text) -> QRectF, least recent first


def remember_text_sizes(axis: pg.AxisItem) -> None:
    """Lay ``axis`` out with remembered text sizes; only an axis that keeps pyqtgraph's layout."""
    if getattr(axis, "_rnnviz_sizes", False) or type(axis).generateDrawSpecs is not pg.AxisItem.generateDrawSpecs:
        return
    layout = type(axis).generateDrawSpecs

    def generate_draw_specs(painter):
        return layout(axis, MeasuringPainter(painter))

    axis.generateDrawSpecs = generate_draw_specs
    axis._rnnviz_sizes = True


class MeasuringPainter:
    """A painter for ``generateDrawSpecs``: ``boundingRect`` of a text answered from ``SIZES``
    when that font on that resolution measured it before; everything else is the painter's."""

    def __init__(self, painter: QtGui.QPainter) -> None:
        self._painter = painter
        device = painter.device()
        self._dpi = (device.logicalDpiX(), device.logicalDpiY()) if device is not None else (0, 0)
        self._font = painter.font().key()

    def setFont(self, font: QtGui.QFont) -> None:  # noqa: N802 - QPainter's name
        self._painter.setFont(font)
        self._font = self._painter.font().key()  # the font the painter resolved, as it will measure

    def boundingRect(self, rect, flags, text):  # noqa: N802 - QPainter's name
        if not isinstance(rect, QtCore.QRectF) or not isinstance(text, str):
            return self._painter.boundingRect(rect, flags, text)
        key = (self._font, *self._dpi, rect.x(), rect.y(), rect.width(), rect.height(), flags, text)
        size = SIZES.get(key)
        if size is None:
            size = QtCore.QRectF(self._painter.boundingRect(rect, flags, text))
            SIZES[key] = size
            if len(SIZES) > MAX_SIZES:
                SIZES.popitem(last=False)
        else:
            SIZES.move_to_end(key)
        return QtCore.QRectF(size)  # a copy: pyqtgraph adjusts the rect it gets

    def __getattr__(self, name):
        return getattr(self._painter, name)
