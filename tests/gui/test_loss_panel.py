"""The loss panel: raw, smoothed and validation loss, the log toggle, the memoryless baseline,
an axis that follows the recent steps after an exploding start, and the overfitting note."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest

from rnnviz.gui.panels import LossPanel
from rnnviz.gui.panels.base import FLOOR_NOTE
from tests.gui.factories import DOCK, build, make_view, spiked_view, zero_gradient_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def test_loss_curves_are_the_series_and_log_toggle_floors_zeros(qtbot):
    view = zero_gradient_view(steps=T, hidden=H, layers=1, history=20)  # training loss all zero
    panel = build(qtbot, LossPanel, view)
    assert panel.log_y.isChecked()  # log by default: an exploding start would flatten a linear axis
    panel.log_y.setChecked(False)
    steps, values = view.series["val_loss"]
    x, y = panel.curves["val_loss"].xData, panel.curves["val_loss"].yData
    np.testing.assert_allclose(x, steps)
    np.testing.assert_allclose(y, values)
    assert np.all(panel.curves["loss"].yData == 0)

    panel.log_y.setChecked(True)
    assert panel.plot.getAxis("left").logMode
    shown = panel.curves["loss"].yData  # what is handed to the log axis
    assert np.all(np.isfinite(shown)) and np.all(shown > 0)  # zeros sit on the floor
    assert "zeros drawn at" in panel.plot.titleLabel.text
    notes = [row[3] for row in panel.csv_table()[1] if row[0] == "loss"]
    assert notes and all(note == FLOOR_NOTE for note in notes)

    panel.log_y.setChecked(False)
    assert not panel.plot.getAxis("left").logMode


def test_loss_baseline_is_drawn_at_the_baseline(qtbot, view):
    panel = build(qtbot, LossPanel, view)
    y = panel.baseline.yData
    np.testing.assert_allclose(y, [view.baseline, view.baseline])
    assert panel.baseline.opts["pen"].style() == pg.QtCore.Qt.PenStyle.DashLine


def exploding_start(view, first: float = 4e10):
    """The Exploding-clipped story: a loss of ``first`` at step 1 that falls to ~1 (T, B)."""
    steps, values = view.series["loss"]
    values = np.array(values, dtype=float)
    values[0] = first
    series = dict(view.series, loss=(steps, values))
    return dataclasses.replace(view, series=series)


def visible_y(panel) -> tuple[float, float]:
    low, high = panel.plot.vb.viewRange()[1]
    if panel.plot.getAxis("left").logMode:
        return 10 ** low, 10 ** high
    return low, high


def test_loss_after_an_exploding_start_still_shows_the_fall_and_the_baseline(qtbot):
    view = exploding_start(make_view(steps=T, hidden=H, layers=1, history=40))
    panel = build(qtbot, LossPanel, view, DOCK)
    late = view.series["loss"][1][1:]
    for log in (True, False):  # the default, and the user's linear axis
        panel.log_y.setChecked(log)
        low, high = visible_y(panel)
        assert low <= view.baseline <= high, "the baseline left the plot"
        # the later losses and the baseline use a good part of the height, not a flat line at 0
        if log:
            span = np.log10(high) - np.log10(low)
            assert (np.log10(late.max()) - np.log10(late.min())) / span > 0.005
            assert (np.log10(view.baseline) - np.log10(low)) / span > 0.02  # off the bottom edge
        else:
            assert max(late.max(), view.baseline) / high > 0.5
    panel.log_y.setChecked(True)
    assert panel.log_y.isChecked() and panel.plot.getAxis("left").logMode


def test_loss_axis_says_what_a_loss_value_sums(qtbot):
    view = make_view(steps=T, hidden=H, layers=1)  # per-step targets
    panel = build(qtbot, LossPanel, view)
    label = panel.plot.getAxis("left").labelText
    assert f"{T}" in label and "batch mean" in label


def test_loss_baseline_is_drawn_after_a_single_step(qtbot):
    view = make_view(steps=T, hidden=H, layers=1, history=1)  # the Exploding preset diverges at step 2
    panel = build(qtbot, LossPanel, view, DOCK)
    x = panel.baseline.xData
    assert x is not None and x[1] - x[0] > 0, "a zero-length baseline is invisible"


def test_the_loss_axis_follows_the_recent_steps_and_shows_the_baseline(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.update_view(spiked_view())
    low, high = panel.plot.vb.viewRange()[1]  # log10 units
    assert low < np.log10(0.12) and high > np.log10(0.167)  # the ending and the baseline are in view
    assert high < 3  # the 1e10 spike runs off the top
    assert panel.baseline.zValue() > max(c.zValue() for c in panel.curves.values())
    assert panel.baseline_label.isVisible() and "0.167" in panel.baseline_label.toPlainText()


def test_the_loss_title_flags_overfitting(qtbot):
    view = spiked_view()
    steps = np.arange(1, 401, dtype=float)
    val_steps = np.arange(50, 401, 50, dtype=float)
    val = np.array([2.0, 1.5, 1.2, 1.1, 1.2, 1.4, 1.6, 1.8])  # 3-point means lowest for steps 100-200
    series = dict(view.series, loss=(steps, 1.2 - steps / 1000), loss_smooth=(steps, 1.2 - steps / 1000),
                  val_loss=(val_steps, val))
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.update_view(dataclasses.replace(view, series=series))
    assert "overfitting" in panel.plot.titleLabel.text and "step 200" in panel.plot.titleLabel.text


def test_reset_zoom_brings_back_a_plot_zoomed_away(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.update_view(spiked_view())
    panel.plot.vb.setRange(xRange=(1000, 2000), yRange=(5, 6), padding=0)  # a person zoomed far off
    panel.reset_zoom()
    (x0, x1), (y0, y1) = panel.plot.vb.viewRange()
    assert x0 <= 1 and x1 >= 400 and y0 < np.log10(0.12) < y1


def test_the_baseline_label_fits_under_the_top_when_the_loss_stays_below_it(qtbot):
    """A run below the baseline from the start: the baseline is the top of the range, and its
    label (above the line) was cut by the plot's frame."""
    view = spiked_view()
    steps = np.arange(1, 401, dtype=float)
    falling = 0.1 * np.exp(-steps / 100)  # below the 0.167 baseline all the way
    series = dict(view.series, loss=(steps, falling), loss_smooth=(steps, falling), val_loss=(steps[::50], falling[::50]))
    panel = build(qtbot, LossPanel, dataclasses.replace(view, series=series), DOCK)
    label = panel.baseline_label.sceneBoundingRect()
    assert panel.baseline_label.isVisible()
    assert label.top() >= panel.plot.vb.sceneBoundingRect().top() - 1, "the label runs over the frame"
