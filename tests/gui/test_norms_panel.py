"""The norms panel: gradient, clipped and parameter norms, the clipping threshold only when
clipping by norm, and plots that get most of the height."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from rnnviz.gui.panels import NormsPanel
from tests.gui.factories import DOCK, build, make_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def test_norms_threshold_only_when_clipping_by_norm(qtbot, view):
    panel = build(qtbot, NormsPanel, view)
    np.testing.assert_allclose(panel.curves["grad_norm"].yData, view.series["grad_norm"][1])
    np.testing.assert_allclose(panel.threshold.yData, [view.clip_threshold] * 2)
    import dataclasses

    panel.update_view(dataclasses.replace(view, clip_mode="none", clip_threshold=None))
    assert panel.threshold.yData is None or len(panel.threshold.yData) == 0


def test_norms_plots_get_most_of_the_height(qtbot):
    panel = build(qtbot, NormsPanel, make_view(steps=T, hidden=H, layers=1, history=40), DOCK)
    heights = [plot.vb.sceneBoundingRect().height() for plot in (panel.top, panel.bottom)]
    legends = [plot.legend.sceneBoundingRect().height() for plot in (panel.top, panel.bottom)]
    assert min(heights) >= 60, heights
    assert sum(legends) <= 0.25 * DOCK[1], legends  # one row each


def test_without_clipping_there_is_no_after_clip_line_to_hide_the_norm(qtbot):
    from rnnviz.gui.panels import NormsPanel

    panel = NormsPanel()
    qtbot.addWidget(panel)
    panel.update_view(make_view(steps=12, hidden=8, layers=1, history=20, clip_mode="none"))
    assert not panel.curves["clipped_norm"].isVisible() and panel.curves["grad_norm"].isVisible()
    panel.update_view(make_view(steps=12, hidden=8, layers=1, history=20, clip_mode="norm"))
    assert panel.curves["clipped_norm"].isVisible()
    assert panel.curves["clipped_norm"].zValue() > panel.threshold.zValue()  # on top of the line it sits on
