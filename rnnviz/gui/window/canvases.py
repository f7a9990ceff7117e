"""Window-level settings of the plot canvases: what Qt may skip when it repaints them.

A QGraphicsView's viewport fills itself with the palette's colour before every paint (Qt's
"auto-fill"), then the view covers the same pixels with its own background brush. When that
brush is opaque the first fill is wasted work on every redraw of every dock; marking the viewport
as painting all its pixels itself (``WA_OpaquePaintEvent``) skips it. A view with a translucent
background is left alone: what lies beneath it must be painted first.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGraphicsView, QWidget


def paints_every_pixel(view: QGraphicsView) -> bool:
    """True when the view's background brush covers its whole viewport with opaque colour."""
    brush = view.backgroundBrush()
    return brush.style() == Qt.BrushStyle.SolidPattern and brush.isOpaque()


def skip_viewport_fills(widget: QWidget) -> int:
    """Mark the viewport of every opaque graphics view in ``widget`` as painting all its pixels;
    returns how many were marked."""
    marked = 0
    for view in widget.findChildren(QGraphicsView):
        if paints_every_pixel(view):
            view.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
            marked += 1
    return marked
