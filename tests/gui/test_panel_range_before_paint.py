"""A redraw whose ranges move is painted once, not once and then again for what moved.

pyqtgraph applies a view box's new range to its items' transforms when the next paint begins;
the items then ask for another paint of what they cover, which Qt does in a later round. A panel
applies the ranges as it draws its view (``Panel.update_view``), so the items' transforms already
match the ranges before anything is painted.
"""

from __future__ import annotations

import pyqtgraph as pg
import pytest

from rnnviz.gui.panels import PANEL_CLASSES
from tests.gui.factories import make_view


def _scales(box: pg.ViewBox) -> tuple[float, float]:
    """Pixels per unit of data the box's items are drawn with, and the ones its range asks for."""
    drawn = box.childGroup.transform().m11()
    left, right = box.viewRange()[0]
    return drawn, box.rect().width() / (right - left)


@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda cls: cls.__name__)
def test_the_items_are_moved_with_the_range_before_the_paint(qtbot, panel_class):
    # different lengths, histories and weights (of gated cells: the gate panel draws too): ranges move
    views = [make_view(steps=steps, hidden=8, layers=2, cell="lstm", history=history, seed=seed)
             for steps, history, seed in ((40, 30, 0), (12, 90, 1), (60, 12, 2))]
    panel = panel_class()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    panel.show()
    qtbot.waitExposed(panel)
    moved = 0
    for view in views:
        boxes = [item for item in panel.canvas.scene().items() if isinstance(item, pg.ViewBox) and item.isVisible()]
        ranges = [box.viewRange()[0] for box in boxes]
        panel.update_view(view)  # no event processed after it: what a paint would start from
        for box, before in zip(boxes, ranges):
            drawn, asked = _scales(box)
            assert drawn == pytest.approx(asked, rel=1e-9), f"{panel_class.__name__}: items drawn at the old range"
            moved += box.viewRange()[0] != before
    assert moved > 0, "the views should move some time axis"
