"""The connectivity panel draws the core's map and its mean by distance, and colours the inputs
of the hovered prediction by their share."""

from __future__ import annotations

import dataclasses

import numpy as np

from rnnviz.gui.panels import ConnectivityPanel
from rnnviz.gui.panels.connectivity import DECADES_SHOWN, log_connectivity
from tests.gui.factories import build, make_view


def test_map_and_curve_are_the_core_numbers(qtbot):
    view = make_view(steps=9, hidden=6, layers=1)
    panel = build(qtbot, ConnectivityPanel, view)
    conn = view.connectivity
    logs = log_connectivity(conn.matrix)
    shown = panel.map.image.image
    lower = np.tril_indices(9)
    top = np.ceil(np.nanmax(logs))  # levels on whole decades
    np.testing.assert_allclose(shown[lower], np.maximum(logs[lower], max(np.floor(np.nanmin(logs)), top - DECADES_SHOWN)))
    assert np.isnan(shown[np.triu_indices(9, 1)]).all()  # the future is left blank
    np.testing.assert_allclose(panel.curve.yData, conn.by_distance)
    assert "predicted class" in panel.map.plot.titleLabel.text


def test_hover_colours_the_inputs_of_one_prediction(qtbot):
    view = make_view(steps=8, hidden=6, layers=2)
    panel = build(qtbot, ConnectivityPanel, view)
    t, s = 5, 2
    text = panel.readout_at(s, t)
    assert f"{view.connectivity.matrix[t, s]:.3g}" in text
    assert text.count("<span") == t + 1  # inputs 0..t, none from the future
    assert panel.readout_at(t + 1, t) == "" and panel.readout_at(0, 99) == ""
    share = view.connectivity.share[t]
    assert f"largest share {share[:t + 1].max():.0%}" in text


def test_an_overflowed_map_neither_crashes_nor_warns(qtbot):
    view = make_view(steps=6, hidden=4, layers=1)
    conn = view.connectivity
    matrix = conn.matrix.copy()
    matrix[3, :2] = np.inf
    matrix[4, 1] = np.nan
    matrix[5] = 0.0
    bad = dataclasses.replace(view, connectivity=dataclasses.replace(conn, matrix=matrix))
    panel = build(qtbot, ConnectivityPanel, bad)
    header, rows = panel.csv_table()
    assert len(rows) == 6 * 7 // 2 + 6
    panel.readout_at(1, 4)
    empty = build(qtbot, ConnectivityPanel, dataclasses.replace(view, connectivity=None))
    assert empty.empty.isVisible() and empty.csv_table()[1] == []
