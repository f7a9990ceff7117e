"""The flow panel: log10 of the gradient reaching each timestep over training, with colour
levels that follow the recent steps."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from rnnviz.gui.panels import FlowPanel
from tests.gui.factories import build, empty_history_view, make_view, spiked_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def test_flow_is_log10_of_the_history_and_empty_is_cleared(qtbot, view):
    panel = build(qtbot, FlowPanel, view)
    np.testing.assert_allclose(panel.map.image.image, np.log10(view.flow))
    assert panel.map.image.image.shape == (len(view.flow_steps), T)  # rows = training steps
    panel.update_view(empty_history_view(steps=T, hidden=H, layers=L))
    assert panel.map.image.image is None and panel.empty.isVisible()


def test_flow_colour_levels_follow_the_recent_steps(qtbot):
    panel = FlowPanel()
    qtbot.addWidget(panel)
    panel.update_view(spiked_view())
    low, high = panel.map.image.getLevels()
    assert high < 1 and low < -1.5  # 1e10 (log 10) no longer tops the scale
