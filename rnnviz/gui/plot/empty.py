"""Scatter plots with no points cost nothing to paint.

pyqtgraph's ``ScatterPlotItem.paint`` maps its points to the device, masks them against the
view and sets the painter up before it finds that there is nothing to draw: 90 – 160 µs per
empty scatter, and the twelve panels hold several that are empty most of the time (the
distributions' NaN/Inf marks, the hidden map's chosen and held units). ``skip_when_empty``
gives one item (per instance; pyqtgraph's class is left alone) a paint that returns at once
while the item has no points; with points it is pyqtgraph's own.
"""

from __future__ import annotations

import pyqtgraph as pg


def skip_when_empty(item: pg.ScatterPlotItem) -> None:
    if getattr(item, "_rnnviz_skips_empty", False):
        return
    draw = item.paint

    def paint(painter, option, widget=None):
        if len(item.data):  # read at every paint: never stale, whatever filled or emptied it
            draw(painter, option, widget)

    item.paint = paint
    item._rnnviz_skips_empty = True
