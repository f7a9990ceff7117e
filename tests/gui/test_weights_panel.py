"""The weights panel: the matrix selector, weights against gradients, gate blocks of gated
cells and a colour bar with readable ticks."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from rnnviz.gui.panels import WeightsPanel
from tests.gui.factories import DOCK, build, make_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def choose_matrix(panel, key: str) -> None:
    panel.matrix.setCurrentIndex(panel.matrix.findData(key))


def test_weights_selector_and_toggle_between_weights_and_gradients(qtbot, view):
    panel = build(qtbot, WeightsPanel, view)
    assert panel.chosen() == "hh"  # the recurrent matrix first: it is the story
    w_hh = view.snapshot.params["weight_hh_l0"]
    np.testing.assert_allclose(panel.map.image.image, w_hh)
    m = np.abs(w_hh).max()
    low, high = panel.map.image.getLevels()
    assert low == -high and m <= high <= 1.25 * m  # symmetric, a round end just past the largest |w|
    assert panel.map.plot.titleLabel.text.startswith("W_hh")
    panel.show_grads.setChecked(True)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.grads["weight_hh_l0"])
    choose_matrix(panel, "out")
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.grads["out.weight"])
    assert "W_out" in panel.map.plot.titleLabel.text
    choose_matrix(panel, "ih")
    panel.layer.setCurrentIndex(1)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.grads["weight_ih_l1"])
    panel.show_grads.setChecked(False)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.params["weight_ih_l1"])
    assert "layer 1" in panel.map.plot.titleLabel.text


@pytest.mark.parametrize("cell, gates", [("tanh", ()), ("lstm", ("i", "f", "g", "o")), ("gru", ("r", "z", "n"))])
def test_weights_name_and_mark_gate_blocks_only_for_gated_cells(qtbot, cell, gates):
    view = make_view(steps=T, hidden=H, layers=1, cell=cell)
    panel = build(qtbot, WeightsPanel, view, DOCK)
    label = panel.map.plot.getAxis("left").labelText
    assert ("stacked" in label) == bool(gates)
    lines = [line for line in panel.block_lines if line.isVisible()]
    assert sorted(line.value() for line in lines) == [k * H - 0.5 for k in range(1, len(gates))]
    ticks = panel.map.plot.getAxis("left")._tickLevels
    if gates:
        assert [text for _, text in ticks[0]] == list(gates)
    else:
        assert ticks is None


def test_the_colour_scale_holds_while_the_weights_move_a_little(qtbot):
    view = make_view(steps=T, hidden=H, layers=1)
    panel = build(qtbot, WeightsPanel, view, DOCK)
    levels = tuple(panel.map.image.getLevels())

    def scaled(factor):
        params = dict(view.snapshot.params, weight_hh_l0=np.asarray(view.snapshot.params["weight_hh_l0"]) * factor)
        return dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, params=params))

    panel.update_view(scaled(0.9))  # the next steps' weights: the bar (and its axis) stays
    assert tuple(panel.map.image.getLevels()) == levels
    panel.update_view(scaled(10))  # grown past it: a new scale showing every weight
    assert panel.map.image.getLevels()[1] >= 10 * np.abs(view.snapshot.params["weight_hh_l0"]).max()
    panel.update_view(scaled(0.01))  # shrunk far inside it: fitted again, not washed out
    assert panel.map.image.getLevels()[1] <= 1.25 * 0.01 * np.abs(view.snapshot.params["weight_hh_l0"]).max()


def test_weight_colour_bar_has_more_than_a_zero_tick(qtbot):
    view = make_view(steps=T, hidden=H, layers=1)
    huge = dict(view.snapshot.params, weight_hh_l0=np.asarray(view.snapshot.params["weight_hh_l0"]) * 1e10)
    panel = build(qtbot, WeightsPanel, dataclasses.replace(view, snapshot=dataclasses.replace(
        view.snapshot, params=huge)), DOCK)
    ticks = panel.map.bar.getAxis("right")._tickLevels[0]
    m = np.abs(huge["weight_hh_l0"]).max()
    assert len(ticks) >= 3 and m <= max(value for value, _ in ticks) <= 1.25 * m  # the scale's end
    assert all(len(text) <= 7 for _, text in ticks)  # "1.4e10", never "14000000000.0"
