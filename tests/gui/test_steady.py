"""Steady axis ranges (rnnviz.gui.plot.steady): they show all the data, end on round values, and
change only when the data leave them or shrink to less than half of them, so a live panel's
axes are not laid out again at every redraw."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import dataclasses
import math

import numpy as np
import pyqtgraph as pg
import pytest

from rnnviz.gui.plot import steady
from rnnviz.gui.panels import ChainPanel, GradientsPanel, LossPanel, NormsPanel, SpectrumPanel
from tests.gui.factories import make_view


@pytest.mark.parametrize("low, high", [(0, 199), (-31.2, -1.8), (1e-3, 1.2e-3), (1, 48_000), (-5, 5), (3, 3)])
def test_a_fitted_range_holds_the_data_with_a_little_room_and_round_ends(low, high):
    start, end = steady.fitted(low, high)
    if high == low:  # data that span nothing get a unit around them
        low, high = low - steady.ZERO_SPAN, high + steady.ZERO_SPAN
    span = high - low
    step = steady.round_step(span)
    assert start < low and high < end
    assert start > low - 0.15 * span and end < high + 0.15 * span
    assert (end - start) <= span * 1.25  # at most ~12 % of room per end (PAD, then the round value)
    for value in (start, end):
        assert math.isclose(round(value / step) * step, value, rel_tol=1e-9, abs_tol=1e-12)
    assert steady.holds((start, end), low, high)


def test_a_range_holds_while_the_data_fill_at_least_half_of_it():
    assert steady.holds((0, 10), 1, 9)
    assert steady.holds((0, 10), 2, 7)  # 5 of 10
    assert not steady.holds((0, 10), 2, 6.9)  # less than half: zoomed too far out
    assert not steady.holds((0, 10), -0.1, 9)  # data left it
    assert not steady.holds((0, 10), 1, 10.5)


@pytest.fixture
def plot(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    yield widget.getPlotItem()  # the widget stays referenced (and alive) while the test runs


def test_hold_keeps_the_range_while_the_data_move_a_little_and_refits_when_they_leave(plot):
    curve = plot.plot(np.arange(100), np.linspace(0, 10, 100))
    assert steady.hold_items(plot)  # the first fit sets the range
    first = plot.vb.viewRange()
    assert not any(plot.vb.state["autoRange"])  # pyqtgraph must not fit it again at each paint
    curve.setData(np.arange(100), np.linspace(0.2, 9.7, 100))
    assert not steady.hold_items(plot)
    assert plot.vb.viewRange() == first
    curve.setData(np.arange(140), np.linspace(0, 10, 140))  # more steps than the range shows
    assert steady.hold_items(plot)
    assert plot.vb.viewRange()[0][1] >= 139 + steady.GROW * 139  # room for the next steps
    curve.setData(np.arange(120), np.linspace(0, 1, 120))  # a tenth of the height: fit again
    assert steady.hold_items(plot)
    low, high = plot.vb.viewRange()[1]
    assert low < 0 < 1 < high < 1.3


def test_a_given_range_is_held_too_and_a_floor_keeps_it_off_negative_values(plot):
    assert steady.hold(plot, y=(0.0, 1.15), y_floor=0.0)
    assert plot.vb.viewRange()[1][0] == 0.0
    assert not steady.hold(plot, y=(0.0, 1.2), y_floor=0.0)  # still inside, well filled


def test_a_growing_step_axis_is_laid_out_again_a_few_times_per_decade(plot):
    curve = plot.plot([0, 1], [0, 1])
    refits = 0
    for last in range(10, 1001):  # a run's history, one more step at every view
        curve.setData(np.arange(last + 1), np.sin(np.arange(last + 1)))
        refits += steady.hold_items(plot)
        low, high = plot.vb.viewRange()[0]
        assert low <= 0 and last <= high
    assert refits <= 25  # every ~25 % more steps (it was every step or two: 3 % of room)


def test_a_first_fit_and_a_fit_after_a_zoom_leave_no_room_to_grow(plot):
    curve = plot.plot(np.arange(50), np.linspace(0, 1, 50))  # a time axis: always steps 0 .. 49
    assert steady.hold_items(plot)
    assert plot.vb.viewRange()[0] == list(steady.fitted(0, 49))
    plot.vb.setRange(xRange=(10, 20), padding=0)  # the mouse zoomed in
    curve.setData(np.arange(50), np.linspace(0, 2, 50))
    assert steady.hold_items(plot)  # the data left the zoomed range: fitted again, tightly
    assert plot.vb.viewRange()[0] == list(steady.fitted(0, 49))


def test_a_log_axis_spans_a_decade_at_least(plot):
    plot.setLogMode(x=False, y=True)
    assert steady.hold(plot, y=(-1.2, -1.0))  # a profile within a factor of 1.6
    low, high = plot.vb.viewRange()[1]
    assert high - low >= steady.MIN_LOG_SPAN and low <= -1.2 and -1.0 <= high
    assert not steady.hold(plot, y=(-1.25, -1.05))  # its noise leaves the range alone


def test_a_colour_scale_holds_within_its_fill_and_ends_on_round_values():
    assert steady.level(None, 0.9) == 1.0
    assert steady.level(1.0, 0.75) == 1.0  # still 75 % of the way: held
    assert steady.level(1.0, 0.5) == 0.5  # half: fitted again
    assert steady.level(1.0, 1.1) == 1.2  # past the end: the next round value
    for needed in (3e-7, 0.013, 7.7, 4.1e10):
        end = steady.level(None, needed)
        assert needed <= end <= 1.25 * needed


def test_non_finite_bounds_leave_the_range_alone(plot):
    before = plot.vb.viewRange()
    assert not steady.hold(plot, y=(float("nan"), 1.0))
    assert plot.vb.viewRange() == before


def test_an_aspect_locked_plane_keeps_its_range_when_one_axis_is_well_filled(plot):
    plot.setAspectLocked(True)
    points = pg.ScatterPlotItem(x=[-0.9, 0.9, 0.0], y=[0.0, 0.0, 0.3])
    plot.addItem(points)
    steady.hold_items(plot)
    first = plot.vb.viewRange()
    points.setData(x=[-0.85, 0.92, 0.0], y=[0.0, 0.0, 0.25])  # flat in y: the lock made y wide
    assert not steady.hold_items(plot)
    assert plot.vb.viewRange() == first


def later_view(view, factor: float):
    """The view with every plotted quantity scaled by ``factor``: a next snapshot of a run."""
    snap, diag = view.snapshot, view.snapshot.diagnostics
    shift = np.log10(factor)
    diag = dataclasses.replace(diag, chain=np.asarray(diag.chain) * factor, bound=np.asarray(diag.bound) * factor,
                               chain_log10=np.asarray(diag.chain_log10) + shift,
                               bound_log10=np.asarray(diag.bound_log10) + shift,
                               singular_values=[np.asarray(s) * factor for s in diag.singular_values],
                               eigenvalues=[np.asarray(e) * factor for e in diag.eigenvalues])
    series = {name: (steps, np.asarray(values) * factor) for name, (steps, values) in view.series.items()}
    return dataclasses.replace(view, series=series, snapshot=dataclasses.replace(
        snap, grad_hidden=np.asarray(snap.grad_hidden) * factor,
        grad_hidden_mean=np.asarray(snap.grad_hidden_mean) * factor, diagnostics=diag))


@pytest.mark.parametrize("panel_class", [GradientsPanel, ChainPanel, LossPanel, NormsPanel, SpectrumPanel])
def test_a_panel_keeps_its_axes_for_a_next_view_that_differs_a_little(qtbot, panel_class):
    view = make_view(steps=40, hidden=16, layers=1, history=60)
    panel = panel_class()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    panel.update_view(view)
    panel.grab()  # painted: pyqtgraph's own auto range would act now
    plots = [item for item in panel.canvas.ci.items if isinstance(item, pg.PlotItem)]
    ranges = [plot.vb.viewRange() for plot in plots]
    panel.update_view(later_view(view, 1.01))
    panel.grab()
    assert [plot.vb.viewRange() for plot in plots] == ranges


def test_the_gradients_panel_follows_a_profile_that_falls_out_of_its_range(qtbot):
    view = make_view(steps=40, hidden=16, layers=1)
    panel = GradientsPanel()
    qtbot.addWidget(panel)
    panel.update_view(view)
    panel.update_view(later_view(view, 1e-20))  # twenty decades lower: vanished
    low, high = panel.plot.vb.viewRange()[1]  # log10 units
    shown = np.log10(np.linalg.norm(np.asarray(panel.view.snapshot.grad_hidden)[:, 0], axis=-1))
    assert low <= shown.min() and shown.max() <= high


def grown_view(view, times: int):
    """The view ``times`` as many training steps later: every history series stretched in steps."""
    series = {name: (np.asarray(steps) * times, values) for name, (steps, values) in view.series.items()}
    return dataclasses.replace(view, series=series, clip_mode="none")  # no threshold line across the steps


@pytest.mark.parametrize("panel_class", [LossPanel, NormsPanel])
def test_a_history_panel_follows_training_past_its_range(qtbot, panel_class):
    """Their curves are clipped to the view, so their bounds alone would never grow the range."""
    view = make_view(steps=40, hidden=16, layers=1, history=60)
    panel = panel_class()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    for times in (1, 10, 100):
        panel.update_view(grown_view(view, times))
        panel.grab()
    last_step = max(float(np.max(steps)) for steps, _ in panel.view.series.values() if np.size(steps))
    plots = [item for item in panel.canvas.ci.items if isinstance(item, pg.PlotItem)]
    for plot in plots:
        low, high = plot.vb.viewRange()[0]
        assert high >= last_step and low <= last_step / 100


def test_a_history_step_axis_grows_to_round_spans_three_times_a_decade(plot):
    refits, spans = 0, set()
    for last in range(10, 1001):  # a run's history, one more step at every view
        refits += steady.hold(plot, x=(1.0, float(last)), steps=True)
        low, high = plot.vb.viewRange()[0]
        assert low <= 1 and last <= high
        assert (last - 1) >= steady.STEP_SHRINK * (high - low)  # still tight enough to read
        spans.add(high - low)
    assert refits <= 8  # 10 -> 20 -> 50 -> 100 -> 200 -> 500 -> 1000 (the GROW policy: 16)
    assert all(any(abs(span - m * 10.0 ** k) < 1e-9 * span for m in steady.STEP_BOUNDS for k in range(4))
               for span in list(spans)[1:] if span != sorted(spans)[0])  # every grown span is 1, 2, 5 x 10^k


def test_step_bounds_are_the_next_round_span():
    assert [steady.step_bound(s) for s in (1, 1.01, 2, 2.2, 5, 7, 10.5, 4e4)] == [1, 2, 2, 5, 5, 10, 20, 5e4]
    assert steady.grown_steps((0.0, 10.0), 1.0, 10.0) == steady.fitted(1.0, 10.0)  # did not leave: tight
    start, end = steady.grown_steps((0.0, 10.0), 1.0, 11.0)
    assert start == steady.fitted(1.0, 11.0)[0] and end - start == 20


def test_a_zoomed_out_step_axis_is_fitted_again(plot):
    steady.hold(plot, x=(0.0, 100.0), steps=True)
    plot.vb.setRange(xRange=(0, 1000), padding=0)  # the data fill a tenth
    assert steady.hold(plot, x=(0.0, 101.0), steps=True)
    assert plot.vb.viewRange()[0] == list(steady.fitted(0.0, 101.0))
