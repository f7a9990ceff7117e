"""A drawn picture as numbers, for the tests that prove a shortcut draws the same pixels."""

from __future__ import annotations

import numpy as np
from PyQt6 import QtGui

PREMULTIPLIED = QtGui.QImage.Format.Format_ARGB32_Premultiplied


def pixels(image: QtGui.QImage, image_format=PREMULTIPLIED) -> np.ndarray:
    """(height, width) uint32: each pixel of ``image`` in ``image_format``, row padding dropped."""
    image = image.convertToFormat(image_format)
    raw = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint32)
    return raw.reshape(image.height(), image.bytesPerLine() // 4)[:, :image.width()].copy()
