"""A heatmap image made straight in the format Qt draws, once per new picture.

pyqtgraph turns a float map into an 8-bit indexed image (its lookup table as the colour
table, rebuilt from Python at every new map) or, when some cells are blank (NaN), a
non-premultiplied RGBA one; Qt blends neither directly, so every paint would convert it to
premultiplied colour first. ``Image`` makes the premultiplied picture itself with numpy: the
levels give each cell its colour index exactly as pyqtgraph computes it ((value - low) * n /
(high - low), clipped to the n colours, truncated), the colour table is converted by Qt once per
lookup table, and a blank cell is transparent. Same pixels as pyqtgraph's picture converted by
Qt; any other case (no levels, no table, colour images, downsampling) goes pyqtgraph's way and
is converted once.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

DRAWN = QtGui.QImage.Format.Format_ARGB32_Premultiplied  # the raster engine's own format
CONVERTED = (QtGui.QImage.Format.Format_Indexed8,  # and the formats of maps with blank (NaN) cells:
             QtGui.QImage.Format.Format_RGBA8888, QtGui.QImage.Format.Format_ARGB32)  # blended via a conversion too
DIRECT = True  # make the picture with numpy (off only to compare pictures)


class Image(pg.ImageItem):
    _colours: tuple[bytes, np.ndarray] | None = None  # (lookup table's bytes, its premultiplied colours)

    def render(self, *args, **kwargs):
        if DIRECT and self._render_direct():
            return
        super().render(*args, **kwargs)
        if self.qimage is not None and self.qimage.format() in CONVERTED:
            self.qimage = self.qimage.convertToFormat(DRAWN)

    def _render_direct(self) -> bool:
        """Make ``qimage`` with numpy; False (nothing done) when pyqtgraph's way is needed."""
        image, lut, levels = self.image, self.lut, self.levels
        if (image is None or image.ndim != 2 or image.size == 0 or image.dtype.kind != "f"
                or self.autoDownsample or self.axisOrder != "row-major" or levels is None
                or not isinstance(lut, np.ndarray) or lut.dtype != np.uint8 or not 1 <= len(lut) <= 256
                or lut.ndim != 2 or lut.shape[1] not in (3, 4) or np.ndim(levels) != 1):
            return False
        colours = self._premultiplied(lut)  # (n,) uint32
        low, high = (float(v) for v in levels)
        span = high - low
        scale = len(lut) / (1.0 if span == 0 else span)
        index = np.empty(image.shape)  # (rows, cols) C-ordered, in float64 as pyqtgraph computes
        np.subtract(image, low, out=index)
        index *= scale
        np.fmax(index, 0, out=index)  # a blank cell (NaN) becomes 0 here, transparent below
        np.fmin(index, len(lut) - 1, out=index)
        pixels = colours[index.astype(np.intp)]  # (rows, cols) premultiplied ARGB
        blank = np.isnan(image)
        if blank.any():
            pixels[blank] = 0
        self.qimage = pg.functions.ndarray_to_qimage(pixels, DRAWN)  # shares (and holds) pixels' memory
        self._renderRequired = False
        self._unrenderable = False
        return True

    def _premultiplied(self, lut: np.ndarray) -> np.ndarray:
        """The lookup table's colours as Qt premultiplies them, converted once per table."""
        key = lut.tobytes() + bytes([lut.shape[1]])
        if self._colours is None or self._colours[0] != key:
            make = QtGui.qRgb if lut.shape[1] == 3 else QtGui.qRgba
            indices = np.arange(len(lut), dtype=np.uint8).tobytes()  # pixel i shows colour i
            raw = QtGui.QImage(indices, len(lut), 1, len(lut), QtGui.QImage.Format.Format_Indexed8)
            raw.setColorTable([make(*colour) for colour in lut.tolist()])
            out = raw.convertToFormat(DRAWN)
            colours = np.frombuffer(out.constBits().asstring(out.sizeInBytes()), np.uint32)[:len(lut)].copy()
            self._colours = (key, colours)
        return self._colours[1]
