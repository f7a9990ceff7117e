"""Heatmaps that stay cells in every SVG renderer.

Qt embeds a heatmap in the SVG at its own resolution (one pixel per cell: a 20 x 20 map is a
20 x 20 PNG) and marks it ``image-rendering="optimizeSpeed"``, and the renderer scales it up to
the plot. Browsers then repeat each pixel; librsvg (``rsvg-convert``, GNOME's viewers)
ignores the mark and interpolates, so the cells of a small map melt into a blur. Scaling the
embedded picture up beforehand, by whole factors with each pixel repeated, leaves nothing for a
renderer to interpolate but the last fraction of a pixel.
"""

from __future__ import annotations

import base64
import math

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
PNG_DATA = "data:image/png;base64,"
MAX_SIDE = 4096  # pixels: a larger picture is scaled up less (an export is about 1920 px wide)


def crisp_images(root, transform_of) -> None:
    """Every unsmoothed PNG ``<image>`` under ``root`` repeated to at least its drawn size in page
    pixels. ``transform_of(element)`` gives its SVG matrix (a, b, c, d, e, f)."""
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "image" or element.get("image-rendering") != "optimizeSpeed":
            continue
        href = element.get(XLINK_HREF) or element.get("href") or ""
        if not href.startswith(PNG_DATA):
            continue
        a, b, c, d, _, _ = transform_of(element)
        try:
            drawn = (float(element.get("width", 0)) * math.hypot(a, b), float(element.get("height", 0)) * math.hypot(c, d))
        except ValueError:
            continue
        scaled = _repeated(base64.b64decode(href[len(PNG_DATA):]), drawn)
        if scaled is not None:
            element.set(XLINK_HREF if element.get(XLINK_HREF) is not None else "href",
                        PNG_DATA + base64.b64encode(scaled).decode("ascii"))


def _repeated(png: bytes, drawn: tuple[float, float]) -> bytes | None:
    """The PNG with each pixel repeated fx x fy times (fx, fy: whole factors reaching ``drawn``),
    or None when it is drawn no larger than it is."""
    from PyQt6 import QtCore, QtGui

    image = QtGui.QImage.fromData(png, "PNG")
    if image.isNull() or image.width() == 0 or image.height() == 0:
        return None
    factors = [max(1, min(math.ceil(size / side), MAX_SIDE // side))
               for size, side in zip(drawn, (image.width(), image.height()))]
    if factors == [1, 1]:
        return None
    image = image.scaled(image.width() * factors[0], image.height() * factors[1],
                         QtCore.Qt.AspectRatioMode.IgnoreAspectRatio, QtCore.Qt.TransformationMode.FastTransformation)
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())
