"""Bounding rects that Qt asks for at every paint, answered cheaply and never stale.

Qt asks each item of a scene for its ``boundingRect`` several times per paint (to cull it, to
clip its children, to mark what an update dirtied). pyqtgraph answers in Python: counted over
successive training steps in the window with all twelve plot docks in sight, ~650 calls per
redraw, most of them from the axes. An axis that draws a grid answers with its own rect joined
to its view box's, mapped into its coordinates: four Python and C++ calls, one of them the view
box's own Python ``boundingRect``, for a rect that changes only when the layout moves.

``install`` gives one item, per instance (pyqtgraph's classes are left alone):

- *an axis* (any ``AxisItem`` that keeps pyqtgraph's ``boundingRect``): the rect pyqtgraph
  computes, kept until one of the things it is made of changes: the axis's geometry, its linked
  view's geometry, the grid, the tick length, the overlap margin, which view it is linked to.
  The view's geometry is relative to its parent, so the rect is kept only while the axis and
  the view share their parent (in a PlotItem they do); otherwise it is computed every time.
- *a plain widget* (PlotItem, LabelItem, GraphicsLayout, LegendItem): pyqtgraph's rect is the
  widget's geometry mapped from its parent, or its size; both are Qt's own ``rect()`` while the
  widget has no transform, so Qt's C++ answers it (checked at install: an item whose answer
  differs keeps pyqtgraph's).
- *a scatter plot*: pyqtgraph computes its rect anew at every call (its data bounds are kept,
  but it maps a pixel into the item's coordinates each time, for the symbols' padding). The
  rect is kept while the same data bounds stand (pyqtgraph makes that list anew whenever the
  data, the symbol sizes or the view's transform change), with the same symbol padding, the
  same scene transform and the same view (together: the same pixel in the item's coordinates).
- *a view box*: its rect and the half pixel pyqtgraph adds, without the geometry cache and
  the second Python call of its parent class.
"""

from __future__ import annotations

import functools

import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

# pyqtgraph's boundingRect methods whose answer is QGraphicsWidget.rect() for an untransformed item
WIDGET_RECTS = (pg.GraphicsWidget.boundingRect, pg.GraphicsLayout.boundingRect, pg.LegendItem.boundingRect)


def install(item: QtWidgets.QGraphicsItem) -> None:
    """Answer ``item.boundingRect`` cheaply, with what pyqtgraph would answer (see the module)."""
    if getattr(item, "_rnnviz_bounds", False):
        return
    method = getattr(type(item), "boundingRect", None)
    if method is pg.AxisItem.boundingRect:
        item.boundingRect = axis_rect(item)
    elif method is pg.ScatterPlotItem.boundingRect:
        item.boundingRect = scatter_rect(item)
    elif method is pg.ViewBox.boundingRect and untransformed(item) and view_rect(item)() == method(item):
        item.boundingRect = view_rect(item)
    elif method in WIDGET_RECTS and untransformed(item) and method(item) == QtWidgets.QGraphicsWidget.rect(item):
        item.boundingRect = functools.partial(QtWidgets.QGraphicsWidget.boundingRect, item)  # unbound: no recursion
    else:
        return
    item._rnnviz_bounds = True


def untransformed(item: QtWidgets.QGraphicsItem) -> bool:
    """No transform, rotation or scale of its own: its rect mapped from its parent is its rect()."""
    return item.transform().isIdentity() and not item.transformations() and item.rotation() == 0 \
        and item.scale() == 1


def axis_rect(axis: pg.AxisItem):
    """The axis's pyqtgraph ``boundingRect``, made again only when one of its inputs changes."""
    compute = type(axis).boundingRect
    kept = {"key": None, "rect": None}

    def bounding_rect() -> QtCore.QRectF:
        grid, linked, style = axis.grid, axis._linkedView, axis.style  # linked: a weak reference or None
        view = None if linked is None or grid is False else linked()
        key = (axis.geometry(), grid, style["tickLength"], style["hideOverlappingLabels"], linked,
               None if view is None else view.geometry())
        if key != kept["key"]:
            rect = compute(axis)
            shared = view is None or view.parentItem() is axis.parentItem()
            kept["key"], kept["rect"] = (key, QtCore.QRectF(rect)) if shared else (None, None)
            return rect
        return QtCore.QRectF(kept["rect"])  # a copy: a caller may adjust the rect it gets

    return bounding_rect


def scatter_rect(scatter: pg.ScatterPlotItem):
    """The scatter's pyqtgraph ``boundingRect``, made again only when one of its inputs changes."""
    compute = type(scatter).boundingRect
    kept = {"bounds": None, "padding": None, "to_pixels": None, "rect": None}

    def bounding_rect() -> QtCore.QRectF:
        data_bounds = scatter.bounds  # pyqtgraph's [x, y] bounds: a new list after any change
        view = None if scatter._viewWidget is None else scatter._viewWidget()  # pyqtgraph's cached view
        if view is None:
            return compute(scatter)
        to_pixels = (scatter.sceneTransform(), view.viewportTransform())  # what a pixel is, in the item
        if data_bounds is kept["bounds"] and scatter._maxSpotPxWidth == kept["padding"] \
                and to_pixels == kept["to_pixels"]:
            return QtCore.QRectF(kept["rect"])  # a copy: a caller may adjust the rect it gets
        rect = compute(scatter)  # fills the bounds list: keep it after, not before
        kept.update(bounds=scatter.bounds, padding=scatter._maxSpotPxWidth, to_pixels=to_pixels,
                    rect=QtCore.QRectF(rect))
        return rect

    return bounding_rect


def view_rect(view: pg.ViewBox):
    """pyqtgraph's ViewBox rect: the widget's own rect and half a pixel right and down."""
    rect = QtWidgets.QGraphicsWidget.rect

    def bounding_rect() -> QtCore.QRectF:
        return rect(view).adjusted(0, 0, 0.5, 0.5)

    return bounding_rect
