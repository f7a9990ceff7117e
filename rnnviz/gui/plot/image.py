"""A heatmap image made in the format Qt draws, once per new picture.

pyqtgraph turns a float map into an 8-bit indexed image (its lookup table as the colour
table, rebuilt from Python at every new map) or, when some cells are blank (NaN), a
non-premultiplied RGBA one looked up in numpy; Qt blends neither directly, so every paint
would convert it to premultiplied colour first. ``Image`` computes each cell's colour index
exactly as pyqtgraph does ((value - low) * n / (high - low), in float32 for a float32 map and
in float64 otherwise, clipped to the n colours, truncated), hands Qt that indexed image with a
colour table kept per lookup table, lets Qt convert it once to premultiplied colour, and clears
blank cells (transparent). Same pixels as pyqtgraph's picture converted by Qt; any other case
(no levels, no table, colour images, downsampling) goes pyqtgraph's way and is converted once.
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
    _table: tuple[bytes, list[int]] | None = None  # (lookup table's bytes, its colours for Qt)

    def render(self, *args, **kwargs):
        if DIRECT and self._render_direct():
            return
        super().render(*args, **kwargs)
        if self.qimage is not None and self.qimage.format() in CONVERTED:
            self.qimage = self.qimage.convertToFormat(DRAWN)

    def _render_direct(self) -> bool:
        """Make ``qimage`` from the colour indices; False (nothing done) when pyqtgraph's way is needed."""
        image, lut, levels = self.image, self.lut, self.levels
        if (image is None or image.ndim != 2 or image.size == 0 or image.dtype.kind != "f"
                or self.autoDownsample or self.axisOrder != "row-major" or levels is None
                or not isinstance(lut, np.ndarray) or lut.dtype != np.uint8 or not 1 <= len(lut) <= 256
                or lut.ndim != 2 or lut.shape[1] not in (3, 4) or np.ndim(levels) != 1):
            return False
        low, high = (float(v) for v in levels)
        span = high - low
        work = np.float32 if np.can_cast(image.dtype, np.float32) else np.float64  # pyqtgraph's precision
        index = np.empty(image.shape, dtype=work)  # (rows, cols) C-ordered
        np.subtract(image, low, out=index)
        index *= len(lut) / (1.0 if span == 0 else span)
        blanks = bool(np.isnan(index.min()))
        if blanks:
            np.fmax(index, 0, out=index)  # a blank cell becomes 0 here, transparent below
            np.fmin(index, len(lut) - 1, out=index)
        else:
            np.clip(index, 0, len(lut) - 1, out=index)
        indexed = pg.functions.ndarray_to_qimage(index.astype(np.uint8), QtGui.QImage.Format.Format_Indexed8)
        indexed.setColorTable(self._colour_table(lut))
        picture = indexed.convertToFormat(DRAWN)
        if blanks:
            memory = picture.bits()
            memory.setsize(picture.sizeInBytes())
            argb = np.frombuffer(memory, np.uint32).reshape(picture.height(), -1)  # (rows, padded cols)
            argb[:, :picture.width()][np.isnan(image)] = 0
        self.qimage = picture
        self._renderRequired = False
        self._unrenderable = False
        return True

    def _colour_table(self, lut: np.ndarray) -> list[int]:
        """The lookup table's colours as Qt's colour table (as pyqtgraph makes it), kept per table."""
        key = lut.tobytes() + bytes([lut.shape[1]])
        if self._table is None or self._table[0] != key:
            make = QtGui.qRgb if lut.shape[1] == 3 else QtGui.qRgba
            self._table = (key, [make(*colour) for colour in lut.tolist()])
        return self._table[1]
