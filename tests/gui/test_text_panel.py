"""The text panel: on tasks, a last-step answer as two labelled bars and per-step predictions with
a legend outside the data and readable ticks; in the window, samples and next-token suggestions
for text, prediction against target for tasks."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.factories import DOCK, build, legend_names, make_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


def task_view(targets, outputs, labels=None):
    """make_view with the snapshot's sample swapped for a task's (targets, outputs)."""
    view = make_view(steps=T, hidden=H, layers=1)
    steps = np.asarray(outputs).shape[0] if np.asarray(outputs).ndim == 2 else T
    snapshot = dataclasses.replace(view.snapshot, targets=np.asarray(targets), outputs=np.asarray(outputs),
                                   labels=labels if labels is not None else [f"{v:.2f}" for v in range(steps)])
    return dataclasses.replace(view, snapshot=snapshot)


def test_a_last_step_answer_is_two_labelled_bars_with_both_values_in_range(qtbot):
    from rnnviz.gui.panels.text import TextPanel

    target, prediction = 1.21, 0.37  # the adding task: one number at the last step
    panel = build(qtbot, TextPanel, task_view([target], [prediction]), DOCK)
    assert panel.bars.isVisible()
    np.testing.assert_allclose(panel.bars.opts["height"], [target, prediction])
    texts = [label.textItem.toPlainText() for label in panel.bar_labels]
    assert texts == [f"{target:.3g}", f"{prediction:.3g}"]
    low, high = panel.plot.vb.viewRange()[1]
    assert low <= 0 and high > max(target, prediction)  # both bars and their labels fit
    ticks = [text for _, text in panel.plot.getAxis("bottom")._tickLevels[0]]
    assert ticks == ["target", "prediction"]
    assert legend_names(panel.plot) == []  # the axis names the bars


def test_per_step_predictions_have_an_outside_legend_and_readable_ticks(qtbot):
    from rnnviz.gui.panels.text import TextPanel

    steps = 40  # the copy task: 40 class ids, labels that used to pile up on the axis
    rng = np.random.default_rng(0)
    targets, outputs = rng.integers(0, 10, size=steps), rng.standard_normal((steps, 10))  # (T,), (T, C)
    panel = build(qtbot, TextPanel, task_view(targets, outputs, [str(v) for v in targets]), DOCK)
    assert not panel.bars.isVisible()
    np.testing.assert_allclose(panel.output_curve.yData, outputs.argmax(axis=1))
    assert legend_names(panel.plot) == ["target", "prediction"]
    legend = panel.plot.legend.sceneBoundingRect()
    assert not legend.intersects(panel.plot.vb.sceneBoundingRect()), "the legend sits on the data"
    axis = panel.plot.getAxis("bottom")
    assert axis._tickLevels is None  # numbered steps spaced by pyqtgraph, not one label per step
    width = axis.width() if axis.orientation in ("left", "right") else axis.geometry().width()
    spacing = axis.tickValues(0, steps - 1, width)
    shown = sum(len(values) for _, values in spacing[:1])
    assert shown * 25 <= width  # at least ~25 px a label


@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)
def test_text_data_gets_samples_and_next_token_suggestions(make_window, qtbot):
    window = make_window(data={"kind": "sample", "name": None})
    panel = window.text_panel
    assert panel.is_text and panel.text_box.isVisible()
    qtbot.waitUntil(lambda: len(panel.sample_text) > 0, timeout=10_000)
    panel.prefix.setText("The ")
    qtbot.waitUntil(lambda: len(panel.suggestion_pairs) == 5, timeout=10_000)
    probabilities = [p for _, p in panel.suggestion_pairs]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1 + 1e-9
    assert panel.suggestion_view.text().startswith("next:")


@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)
def test_tasks_show_prediction_against_target(make_window):
    window = make_window()
    panel = window.text_panel
    assert not panel.is_text and panel.canvas.isVisible()
    header, rows = panel.csv_table()
    assert header == ["x", "target", "prediction"] and len(rows) >= 1  # the adding task: one answer
    target = np.asarray(window.latest_view.snapshot.targets, dtype=float).reshape(-1)
    assert [row[1] for row in rows] == pytest.approx(list(target))
