"""The hidden-state map's colour bar is labelled at its ends for any cell, however large h grows."""

from __future__ import annotations

import dataclasses

import numpy as np

from rnnviz.gui.panels.hidden import HiddenPanel
from tests.gui.factories import build, make_view


def bar_labels(panel) -> list[str]:
    ticks = panel.map.bar.getAxis("right")._tickLevels  # what set_ticks gave the axis
    return [text for level in ticks for _, text in level]


def test_a_relu_run_with_large_states_labels_its_colour_bar_beyond_zero(qtbot):
    view = make_view(steps=12, hidden=8, layers=1, cell="relu")
    hidden = np.abs(view.snapshot.hidden) * 3e4  # (T, L, H) a ReLU net's states in the tens of thousands
    view = dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, hidden=hidden))
    panel = build(qtbot, HiddenPanel, view)
    labels = bar_labels(panel)
    assert "0" in labels and len(labels) == 5, labels
    high = float(np.abs(hidden[:, 0]).max())
    assert any(label not in ("0",) and abs(abs(float(label)) - high) / high < 0.1 for label in labels), labels
