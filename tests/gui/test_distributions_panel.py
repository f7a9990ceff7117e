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


def _blown_view():
    dist = Distributions(capacity=16)
    rng = np.random.default_rng(0)
    for step in range(1, 6):
        dist.record(step, {}, {"weight_hh_l0": rng.normal(size=(4, 4)) * 10.0 ** (3 * step)}, np.zeros((3, 1, 2, 4)))
    blown = rng.normal(size=(4, 4))
    blown[0, :2] = np.nan
    blown[1, 0] = np.inf
    dist.record(6, {}, {"weight_hh_l0": blown}, np.zeros((3, 1, 2, 4)))
    dist.record(7, {}, {"weight_hh_l0": np.full((4, 4), -np.inf)}, np.zeros((3, 1, 2, 4)))
    return dataclasses.replace(make_view(steps=4, hidden=4, layers=1), distributions=dist.data())


def test_the_counts_of_nan_and_inf_are_read_under_the_plot_and_at_each_step(qtbot):
    view = _blown_view()
    panel = build(qtbot, DistributionsPanel, view)
    assert panel.choice.currentText() == "grad/weight_hh_l0"
    assert panel.readout.text() == ("NaN/Inf at 2 recorded steps: step 6, 2 NaN, 1 +Inf of 16 values; "
                                    "last, step 7, 16 \u2212Inf of 16 values")
    steps, rows = view.distributions["grad/weight_hh_l0"]
    assert panel.readout_at(1.2) == (f"step 1: median {rows[0, 4]:.3g}, 16\u201384 % {rows[0, 2]:.3g} \u2026 "
                                     f"{rows[0, 6]:.3g}, 0\u2013100 % {rows[0, 0]:.3g} \u2026 {rows[0, 8]:.3g}; "
                                     f"no NaN or Inf of 16 values")
    assert panel.readout_at(6.9) == "step 7: 16 \u2212Inf of 16 values"
    panel.choice.setCurrentText("hidden/l0")  # nothing non-finite there: the hint
    assert panel.readout.text().startswith("hover over the plot")


def test_a_short_dock_labels_fewer_decades(qtbot):
    view = _blown_view()  # the gradients reach 1e15 and more, on both sides of 0
    tall = build(qtbot, DistributionsPanel, view, size=(420, 700))
    short = build(qtbot, DistributionsPanel, view, size=(420, 200))  # laid out after the drawing: resized
    labels = [len(panel.plot.getAxis("left")._tickLevels[0]) for panel in (tall, short)]
    assert labels[1] < labels[0] and labels[1] * 16 <= short.plot.vb.height() + 16
    for panel in (tall, short):  # the largest decade in the plot is always labelled, on both sides
        low, high, threshold, _ = panel._axis
        largest = max(k for k in range(-30, 31) if symlog(10.0 ** k, threshold) <= high + 0.5)
        lowest = max(k for k in range(-30, 31) if symlog(-(10.0 ** k), threshold) >= low - 0.5)
        texts = {text for _, text in panel.plot.getAxis("left")._tickLevels[0]}
        assert {"0", f"1e{largest}", f"-1e{lowest}"} <= texts and largest >= 15


def test_the_readout_leaves_the_plot_its_height(qtbot):
    panel = build(qtbot, DistributionsPanel, _blown_view())
    panel.resize(400, 230)  # a dock of the default layout
    panel.show()
    qtbot.waitUntil(lambda: panel.canvas.height() > 0)
    assert panel.readout.height() <= 3 * panel.readout.fontMetrics().height()
    assert panel.canvas.height() >= 230 // 2


def test_an_encoder_decoder_shows_the_encoders_recurrent_gradient_first(qtbot):
    dist = Distributions(capacity=4)
    names = ("bridge.bias", "decoder.weight_hh_l0", "encoder.weight_hh_l0")
    dist.record(1, {}, {name: np.ones((2, 2)) for name in names}, np.zeros((3, 1, 2, 4)))
    view = dataclasses.replace(make_view(steps=4, hidden=4, layers=1), distributions=dist.data())
    assert build(qtbot, DistributionsPanel, view).choice.currentText() == "grad/encoder.weight_hh_l0"
