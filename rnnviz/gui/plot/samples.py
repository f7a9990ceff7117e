"""Legend samples repainted only when what they copy from their item has changed.

A legend sample draws its item's look (visibility, pen, fill, symbol, bar brush) and copies it
only when it is repainted, so a panel must ask it to repaint after a redraw that may have
changed the look. Asking every sample at every redraw repainted ten or so samples (and what lies
under them) per window redraw for nothing: ``refresh`` keeps what each sample last drew from
and asks for a repaint only when that differs.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

SKIP = True  # repaint only changed samples (off only to compare pictures)


def refresh(legend: pg.LegendItem) -> None:
    """Repaint each of ``legend``'s samples whose item looks different from what it drew."""
    for sample, _ in legend.items:
        now = _parts(sample.item)
        kept = getattr(sample, "_rnnviz_look", None)
        if SKIP and kept is not None and len(kept) == len(now) and all(map(_same, kept, now)):
            continue
        sample._rnnviz_look = tuple(_value(part) for part in now)
        sample.update()


def _parts(item) -> list:
    """What ``ItemSample.paint`` reads from ``item``: the item's own objects, not copies."""
    opts = getattr(item, "opts", {})
    parts = [item.isVisible(), opts.get("antialias"), opts.get("pen"), opts.get("fillLevel"),
             opts.get("fillBrush"), opts.get("symbol"), opts.get("brush"), opts.get("size")]
    if isinstance(item, pg.PlotDataItem):
        symbols = item.scatter.opts  # a line's symbols are drawn with its scatter's pen and brush
        parts += [symbols.get("size"), symbols.get("pen"), symbols.get("brush")]
    return parts


def _same(kept, part) -> bool:
    """Whether a kept value (see ``_value``) equals the item's object now, without copying it."""
    if isinstance(part, (np.ndarray, list)):
        return kept == _value(part)
    return type(kept) is type(part) and kept == part


def _value(part):
    """A copy that compares by value: a pen changed in place is a different pen."""
    if isinstance(part, QtGui.QPen):
        return QtGui.QPen(part)
    if isinstance(part, QtGui.QBrush):
        return QtGui.QBrush(part)
    if isinstance(part, QtGui.QColor):
        return QtGui.QColor(part)
    if isinstance(part, QtGui.QPainterPath):
        return QtGui.QPainterPath(part)
    if isinstance(part, np.ndarray):
        return (part.dtype.str, part.shape, part.tobytes())
    if isinstance(part, list):
        return tuple(_value(p) for p in part)
    return part
