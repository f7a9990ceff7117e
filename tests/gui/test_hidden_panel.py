"""The hidden-state panel: the chosen layer's heat map at fixed levels and the hover readout."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest
from PyQt6 import QtCore

from rnnviz.gui.export import prepared_scene
from rnnviz.gui.panels import HiddenPanel
from tests.gui.factories import build, make_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def test_hidden_shows_the_chosen_layer_at_fixed_levels(qtbot, view):
    panel = build(qtbot, HiddenPanel, view)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.hidden[:, 0, :].T)
    assert tuple(panel.map.image.getLevels()) == (-1.0, 1.0)  # tanh: fixed, comparable across runs
    assert panel.layer.count() == L
    panel.layer.setCurrentIndex(1)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.hidden[:, 1, :].T)


def test_hidden_levels_are_symmetric_steady_and_just_past_max_abs_for_relu(qtbot):
    view = make_view(steps=T, hidden=H, layers=1, cell="relu")
    panel = build(qtbot, HiddenPanel, view)
    m = np.abs(view.snapshot.hidden[:, 0, :]).max()
    low, high = panel.map.image.getLevels()
    assert low == -high and m <= high <= 1.25 * m  # a round end, at most 25 % past the largest |h|
    smaller = dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, hidden=view.snapshot.hidden * 0.9))
    panel.update_view(smaller)
    assert tuple(panel.map.image.getLevels()) == (low, high)  # data a little smaller: the scale holds
    panel.update_view(dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, hidden=view.snapshot.hidden * 3)))
    assert panel.map.image.getLevels()[1] >= 3 * m  # data past the end: a new scale


def test_hidden_hover_names_value_unit_step_and_token(qtbot, view):
    panel = build(qtbot, HiddenPanel, view)
    t, unit = 3, 4
    text = panel.readout_at(t, unit)
    assert f"{view.snapshot.hidden[t, 0, unit]:.4g}" in text
    assert f"unit {unit}" in text and f"t = {t}" in text
    assert f"'{view.snapshot.labels[t]}'" in text or view.snapshot.labels[t] == " "
    assert panel.readout_at(-3, 0) == "" and panel.readout_at(0, H + 2) == ""


def test_hidden_hover_signal_updates_the_readout(qtbot, view):
    panel = build(qtbot, HiddenPanel, view)
    prepared_scene(panel)  # lays the canvas out at the export size without showing a window
    scene_pos = panel.map.plot.vb.mapViewToScene(QtCore.QPointF(5.1, 2.2))  # cell t=5, unit 2
    panel.canvas.scene().sigMouseMoved.emit(scene_pos)
    assert f"{view.snapshot.hidden[5, 0, 2]:.4g}" in panel.readout.text() and "t = 5" in panel.readout.text()
    panel.canvas.scene().sigMouseMoved.emit(QtCore.QPointF(-50, -50))  # off the map
    assert panel.readout.text().startswith("hover over")


# ------------------------------------------------------------------ the colour bar
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
