"""The distributions panel: bands and median on the symmetric-log axis, a choice of quantity,
and NaN/Inf drawn as marks of their own."""

from __future__ import annotations

import dataclasses

import numpy as np

from rnnviz.core.train.distributions import NAN, POSINF, Distributions, symlog, symlog_threshold
from rnnviz.gui.panels import DistributionsPanel
from tests.gui.factories import build, make_view


def test_median_and_bands_are_the_recorded_percentiles(qtbot):
    view = make_view(steps=6, hidden=5, layers=1, history=30)
    panel = build(qtbot, DistributionsPanel, view)
    assert panel.choice.currentText() == "grad/weight_hh_l0"  # the gradient the app is about
    steps, rows = view.distributions["grad/weight_hh_l0"]
    threshold = symlog_threshold(rows)
    np.testing.assert_allclose(panel.median.yData, symlog(rows[:, 4], threshold))
    lower, upper = panel.edges[0]
    np.testing.assert_allclose(lower.yData, symlog(rows[:, 0], threshold))
    np.testing.assert_allclose(upper.yData, symlog(rows[:, 8], threshold))
    panel.choice.setCurrentText("hidden/l0")
    steps, rows = view.distributions["hidden/l0"]
    np.testing.assert_allclose(panel.median.yData, symlog(rows[:, 4], symlog_threshold(rows)))
    header, table = panel.csv_table()
    assert header[:3] == ["quantity", "step", "p0"] and len(table) == sum(
        len(s) for s, _ in view.distributions.values())


def test_a_blow_up_is_marked_and_the_earlier_bands_stay(qtbot):
    dist = Distributions(capacity=16)
    rng = np.random.default_rng(0)
    for step in range(1, 6):
        dist.record(step, {}, {"weight_hh_l0": rng.normal(size=(4, 4))}, np.zeros((3, 1, 2, 4)))
    blown = rng.normal(size=(4, 4))
    blown[0, :2] = np.nan
    blown[1, 0] = np.inf
    dist.record(6, {}, {"weight_hh_l0": blown}, np.full((3, 1, 2, 4), np.nan))
    view = dataclasses.replace(make_view(steps=4, hidden=4, layers=1), distributions=dist.data())
    panel = build(qtbot, DistributionsPanel, view)
    nan_marks, _ = panel.marks[NAN]
    inf_marks, _ = panel.marks[POSINF]
    np.testing.assert_array_equal(nan_marks.getData()[0], [6])
    np.testing.assert_array_equal(inf_marks.getData()[0], [6])
    assert len(panel.median.xData) == 6 and np.isfinite(panel.median.yData).all()  # step 6 still has 13 values
    assert "NaN/Inf" in panel.plot.titleLabel.text
    panel.choice.setCurrentText("hidden/l0")  # every value NaN at step 6: no band there, only the mark
    assert list(panel.median.xData) == [1, 2, 3, 4, 5] and list(nan_marks.getData()[0]) == [6]
    empty = build(qtbot, DistributionsPanel, dataclasses.replace(view, distributions={}))
    assert empty.empty.isVisible() and empty.csv_table()[1] == []
