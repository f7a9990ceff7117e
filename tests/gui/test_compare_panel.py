"""The comparison panel: a gated run's gradient profile beside its tanh twin's, with their
horizons, the capped note, and a legend drawn again after a cleared comparison."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np

from rnnviz.gui.panels.compare import ComparePanel
from tests.gui.factories import DOCK, build, lay_out, legend_names, make_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


def test_compare_panel_draws_both_profiles_with_their_horizons(qtbot, comparison):
    panel = build(qtbot, ComparePanel)
    assert panel.empty.isVisible() and panel.csv_table()[1] == []
    panel.set_busy(2, 3)
    assert not panel.button.isEnabled() and "2/3" in panel.state.text()
    panel.show_comparison(comparison)
    assert panel.button.isEnabled() and not panel.empty.isVisible()
    np.testing.assert_allclose(panel.current.yData, comparison.profile)
    np.testing.assert_allclose(panel.twin.yData, comparison.twin_profile)
    steps = comparison.profile.size
    assert panel.marks["current"].value() == steps - 1 - comparison.horizon
    assert panel.marks["twin"].value() == steps - 1 - comparison.twin_horizon
    names = legend_names(panel.plot)
    assert any("LSTM" in n and f"horizon {comparison.horizon}" in n for n in names)
    assert any("tanh" in n and f"horizon {comparison.twin_horizon}" in n for n in names)
    assert "capped" in panel.note.text and "twin 3 steps" in panel.note.text
    rows = panel.csv_table()[1]
    assert len(rows) == 2 * steps and {row[0] for row in rows} == {"current", "tanh_twin"}
    panel.show_comparison(None)
    assert panel.empty.isVisible() and legend_names(panel.plot) == []


def test_compare_legend_is_drawn_after_a_cleared_comparison(qtbot, comparison):
    panel = build(qtbot, ComparePanel, make_view(steps=T, hidden=H, layers=1, cell="lstm"), DOCK)
    panel.show_comparison(None)  # a new run clears it, then a view arrives
    panel.update_view(make_view(steps=T, hidden=H, layers=1, cell="lstm", seed=3))
    panel.show_comparison(comparison)
    lay_out(panel)
    legend = panel.plot.legend
    assert legend.isVisible() and legend.sceneBoundingRect().height() > 10
    names = legend_names(panel.plot)
    assert any("LSTM" in n and "this run" in n for n in names) and any("tanh twin" in n for n in names)
    current, twin = panel.current.opts["pen"].color().name(), panel.twin.opts["pen"].color().name()
    assert current != twin
