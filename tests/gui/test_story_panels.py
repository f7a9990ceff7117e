"""What the presets' stories need from the panels: scales that follow the recent steps after an
early spike, the baseline above the curves with its value, an overfitting note, and the note
that a diverged run shows its last finite state."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np

from rnnviz.gui.panels import FlowPanel, LossPanel
from tests.gui.factories import make_view


def spiked_view(baseline: float = 0.167):
    """An exploding start (1e10) that clipping brought down to 0.12, under the baseline."""
    view = make_view(steps=12, hidden=8, layers=1, history=400)
    steps = np.arange(1, 401, dtype=float)
    loss = np.where(steps < 40, 1e10, 0.12)
    series = dict(view.series, loss=(steps, loss), loss_smooth=(steps, loss), val_loss=(steps[::50], loss[::50]))
    flow = np.where(np.arange(40)[:, None] < 4, 1e10, np.linspace(0.01, 1.0, 12)[None, :])  # (S, T)
    return dataclasses.replace(view, series=series, baseline=baseline, flow_steps=np.arange(40) * 10.0 + 1,
                               flow=flow)


def test_the_loss_axis_follows_the_recent_steps_and_shows_the_baseline(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.update_view(spiked_view())
    low, high = panel.plot.vb.viewRange()[1]  # log10 units
    assert low < np.log10(0.12) and high > np.log10(0.167)  # the ending and the baseline are in view
    assert high < 3  # the 1e10 spike runs off the top
    assert panel.baseline.zValue() > max(c.zValue() for c in panel.curves.values())
    assert panel.baseline_label.isVisible() and "0.167" in panel.baseline_label.toPlainText()


def test_flow_colour_levels_follow_the_recent_steps(qtbot):
    panel = FlowPanel()
    qtbot.addWidget(panel)
    panel.update_view(spiked_view())
    low, high = panel.map.image.getLevels()
    assert high < 1 and low < -1.5  # 1e10 (log 10) no longer tops the scale


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


def adding_view():
    """A view whose token labels mark steps 3 and 9 as the adding problem does."""
    view = make_view(steps=12, hidden=8, layers=1, history=20)
    labels = [("*" if t in (3, 9) else "") + "0.50" for t in range(12)]
    return dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, labels=labels))


def test_the_marked_inputs_are_drawn_on_every_time_axis(qtbot):
    from rnnviz.gui.panels import ChainPanel, GradientsPanel, HiddenPanel
    from rnnviz.gui.plot.markers import LEGEND_NAME

    for panel_class, expected in ((HiddenPanel, [3, 9]), (GradientsPanel, [3, 9]), (ChainPanel, [8, 2])):
        panel = panel_class()
        qtbot.addWidget(panel)
        panel.update_view(adding_view())
        shown = [line.value() for line in panel.markers.lines if line.isVisible()]
        assert shown == expected, panel_class.__name__
        if panel_class is not HiddenPanel:
            names = [label.text for _, label in panel.plot.legend.items]
            assert LEGEND_NAME in names
        panel.update_view(make_view(steps=12, hidden=8, layers=1, history=20))  # a text: no marks
        assert not any(line.isVisible() for line in panel.markers.lines)


def test_reset_zoom_brings_back_a_plot_zoomed_away(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.update_view(spiked_view())
    panel.plot.vb.setRange(xRange=(1000, 2000), yRange=(5, 6), padding=0)  # a person zoomed far off
    panel.reset_zoom()
    (x0, x1), (y0, y1) = panel.plot.vb.viewRange()
    assert x0 <= 1 and x1 >= 400 and y0 < np.log10(0.12) < y1


def test_the_badge_says_where_a_gated_gradient_goes_and_how_many_relu_units_died(qtbot):
    from rnnviz.gui.panels import ChainPanel

    panel = ChainPanel()
    qtbot.addWidget(panel)
    panel.update_view(make_view(steps=12, hidden=8, layers=1, history=20, cell="lstm"))
    assert "cell path: see Gates" in panel.badge.text
    view = make_view(steps=12, hidden=8, layers=1, history=20, cell="relu")
    diag = dataclasses.replace(view.snapshot.diagnostics, dead_units=np.array([0.25]))
    panel.update_view(dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, diagnostics=diag)))
    assert "dead units 25%" in panel.badge.text


def test_without_clipping_there_is_no_after_clip_line_to_hide_the_norm(qtbot):
    from rnnviz.gui.panels import NormsPanel

    panel = NormsPanel()
    qtbot.addWidget(panel)
    panel.update_view(make_view(steps=12, hidden=8, layers=1, history=20, clip_mode="none"))
    assert not panel.curves["clipped_norm"].isVisible() and panel.curves["grad_norm"].isVisible()
    panel.update_view(make_view(steps=12, hidden=8, layers=1, history=20, clip_mode="norm"))
    assert panel.curves["clipped_norm"].isVisible()
    assert panel.curves["clipped_norm"].zValue() > panel.threshold.zValue()  # on top of the line it sits on
