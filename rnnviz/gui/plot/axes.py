"""Axes laid out again for a fraction of pyqtgraph's cost, drawing the same picture.

Whenever an axis's range moves (or a text sample's token axis gets new tokens), pyqtgraph lays
the axis out again (``AxisItem.generateDrawSpecs``, ``tickValues``): every tick, every label,
each tick text measured by Qt, which shapes it to measure it. The same few dozen texts ("0.1",
"200", "10⁻³", a token) come back at nearly every layout.

``install`` gives one axis, per instance (pyqtgraph's classes are left alone), the layout of
``axis_layout``: pyqtgraph's algorithm on the same numbers, without its per-tick overhead, with
each text measured once per font and resolution, its ticks recorded one call per level
(``axis_layout.draw_picture``). Only an axis whose class keeps pyqtgraph's methods gets each
lean one (a subclass's own ``tickValues`` or ``tickStrings`` is called as before).
"""

from __future__ import annotations

import pyqtgraph as pg

from rnnviz.gui.plot import axis_layout


def install(axis: pg.AxisItem) -> None:
    """Lay ``axis`` out with ``axis_layout``; an axis installed already is left as it is."""
    if getattr(axis, "_rnnviz_layout", False):
        return

    def lean_draw_specs(painter):
        return axis_layout.draw_specs(axis, painter)

    def lean_tick_values(low, high, size):
        return axis_layout.tick_values(axis, low, high, size)

    if type(axis).generateDrawSpecs is pg.AxisItem.generateDrawSpecs:
        axis.generateDrawSpecs = lean_draw_specs
    def lean_draw_picture(painter, axis_spec, tick_specs, text_specs):
        return axis_layout.draw_picture(axis, painter, axis_spec, tick_specs, text_specs)

    if type(axis).drawPicture is pg.AxisItem.drawPicture and "drawPicture" not in vars(axis):
        axis.drawPicture = lean_draw_picture  # an axis with a grid has the grid's, which calls the lean one
    if type(axis).tickValues is pg.AxisItem.tickValues and "tickValues" not in vars(axis):
        axis.tickValues = lean_tick_values  # an axis with a grid has the grid's, which calls the lean one
    axis._rnnviz_layout = True  # installed: never again
    axis._rnnviz_lean = True  # the grid's drawing and tick values lean too


def hold_text_room(axis: pg.AxisItem) -> None:
    """The room ``axis`` keeps for its tick texts only grows while the axis keeps its length.

    pyqtgraph gives it back when the texts narrow by 10 px. Labels narrower at one view and
    wider at the next (a log axis over each review's own gradients) then resize the plot at
    every view, which the axis finds out while it is being painted: the plot is painted twice.
    When the plot itself is resized (the axis's length changes), the room is measured afresh,
    once, so a narrower dock gets back what the texts no longer need."""
    if getattr(axis, "_rnnviz_held_room", False):
        return
    axis._rnnviz_held_room = True
    axis.setStyle(autoReduceTextSpace=False)
    resize = axis.resizeEvent
    measure = axis._updateMaxTextSize

    def resized(event):
        old, new = event.oldSize(), event.newSize()
        vertical = axis.orientation in ("left", "right")
        if (old.height() != new.height()) if vertical else (old.width() != new.width()):
            axis.style["autoReduceTextSpace"] = True  # for the next layout only
        resize(event)

    def measured(size):
        measure(size)
        axis.style["autoReduceTextSpace"] = False

    axis.resizeEvent = resized
    axis._updateMaxTextSize = measured


def uninstall(axis: pg.AxisItem) -> None:
    """pyqtgraph's own layout and drawing again, for good (the pixel tests compare both)."""
    if getattr(axis, "_rnnviz_lean", False):
        for name in ("generateDrawSpecs", "tickValues", "drawPicture"):
            if getattr(vars(axis).get(name), "__name__", "").startswith("lean_"):
                delattr(axis, name)
        axis._rnnviz_lean = False
        axis.picture = None
