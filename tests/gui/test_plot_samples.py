"""Legend samples are repainted only when their item's look changed, and the legend then shows
what repainting every sample shows: after new views, a pen changed in place, a new colour, a
symbol's brush and a hidden line (a sample left stale would show the old look)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

from rnnviz.gui.plot import samples
from rnnviz.gui.panels import NormsPanel
from tests.gui.pictures import pixels
from tests.gui.factories import make_view




def legend_items(panel) -> list:
    return [sample.item for item in panel.canvas.scene().items() if isinstance(item, pg.LegendItem)
            for sample, _ in item.items]


def test_only_changed_samples_are_repainted_and_the_legend_looks_fully_repainted(qtbot, monkeypatch):
    panel = NormsPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    panel.update_view(make_view(seed=0))
    panel.grab()
    updated = []
    real = pg.ItemSample.update
    monkeypatch.setattr(pg.ItemSample, "update", lambda self, *a: (updated.append(self.item), real(self, *a)))
    panel.update_view(make_view(seed=1))  # new numbers, same looks
    assert updated == []
    lines = [item for item in legend_items(panel) if isinstance(item, pg.PlotDataItem)]
    assert len(lines) >= 2
    changes = [lambda: lines[0].opts["pen"].setWidthF(5.0),  # in place: still the same QPen object
               lambda: lines[1].setPen(pg.mkPen("#d62728", width=3)),
               lambda: lines[0].setSymbol("o"),
               lambda: lines[0].setSymbolBrush("#2ca02c"),
               lambda: lines[1].setVisible(False)]
    for seed, change in enumerate(changes, start=2):
        change()
        updated.clear()
        panel.update_view(make_view(seed=seed))
        assert updated  # the changed sample is asked to repaint
        kept = pixels(panel.grab().toImage())
        monkeypatch.setattr(samples, "SKIP", False)
        panel._refresh()  # every sample repainted
        every = pixels(panel.grab().toImage())
        monkeypatch.setattr(samples, "SKIP", True)
        assert np.array_equal(kept, every)


def test_a_look_compares_by_value(qtbot, monkeypatch):
    legend = pg.LegendItem()
    curve = pg.PlotDataItem([0, 1], [1, 0], pen=pg.mkPen("k", width=2))
    scatter = pg.ScatterPlotItem()
    scatter.opts["size"] = np.array([3.0, 4.0])  # an array compares by its values, without an error
    legend.addItem(curve, "line")
    legend.addItem(scatter, "dots")
    updated = []
    monkeypatch.setattr(pg.ItemSample, "update", lambda self, *a: updated.append(self.item))

    def refreshed() -> list:
        updated.clear()
        samples.refresh(legend)
        return list(updated)

    assert refreshed() == [curve, scatter]  # first look
    assert refreshed() == []
    curve.opts["pen"].setColor(QtGui.QColor("red"))  # the same pen object, another colour
    assert refreshed() == [curve]
    scatter.opts["size"] = np.array([3.0, 5.0])
    assert refreshed() == [scatter]
    scatter.opts["size"] = np.array([3.0, 5.0])  # a new array, the same values
    assert refreshed() == []
    curve.setVisible(False)
    assert refreshed() == [curve]
