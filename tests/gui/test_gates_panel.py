"""The gates panel: the keep gate of an LSTM or GRU and its direct path, and a note instead of
gates for a vanilla cell."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from rnnviz.core.diagnostics import gating
from rnnviz.gui.panels import GatesPanel
from tests.gui.factories import build, legend_names, make_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.mark.parametrize("cell, gate", [("lstm", "forget_gate"), ("gru", "update_gate")])
def test_gates_show_the_keep_gate_and_its_direct_path(qtbot, cell, gate):
    view = make_view(steps=T, hidden=H, layers=2, cell=cell)
    panel = build(qtbot, GatesPanel, view)
    values = view.snapshot.extras[gate]  # (T, L, H)
    np.testing.assert_allclose(panel.map.image.image, values[:, 0, :].T)  # rows = units, cols = t
    assert tuple(panel.map.image.getLevels()) == (0.0, 1.0)
    np.testing.assert_allclose(panel.best.values, gating.path_norms(values[:, 0, :]))
    np.testing.assert_allclose(panel.median.values, np.median(gating.path_products(values[:, 0, :]), axis=1))
    assert gate.split("_")[0] in panel.map.plot.titleLabel.text.lower()
    assert len(legend_names(panel.path)) == 2 and not panel.message.isVisible()
    panel.layer.setCurrentIndex(1)
    np.testing.assert_allclose(panel.map.image.image, values[:, 1, :].T)
    np.testing.assert_allclose(panel.best.values, gating.path_norms(values[:, 1, :]))


def test_a_vanilla_cell_gets_a_note_instead_of_gates(qtbot):
    panel = build(qtbot, GatesPanel, make_view(steps=T, hidden=H, layers=1, cell="lstm"))
    panel.update_view(make_view(steps=T, hidden=H, layers=1, cell="tanh"))
    assert panel.message.isVisible() and "no gates" in panel.message.toPlainText()
    assert panel.map.image.image is None and not panel.path.isVisible()
    assert legend_names(panel.path) == [] and panel.csv_table()[1] == []
    panel.update_view(make_view(steps=T, hidden=H, layers=1, cell="lstm"))  # and back
    assert panel.path.isVisible() and panel.map.bar.isVisible() and not panel.message.isVisible()
    assert panel.path.maximumWidth() > 1000 and len(legend_names(panel.path)) == 2
