"""The norms panel: gradient, clipped and parameter norms, the clipping threshold only when
clipping by norm, and plots that get most of the height."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from rnnviz.gui.panels import NormsPanel
from rnnviz.gui.plot.style import log_tick_text
from tests.gui.factories import DOCK, build, empty_history_view, make_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def test_norms_threshold_only_when_clipping_by_norm(qtbot, view):
    panel = build(qtbot, NormsPanel, view)
    np.testing.assert_allclose(panel.curves["grad_norm"].yData, view.series["grad_norm"][1])
    np.testing.assert_allclose(panel.threshold.yData, [view.clip_threshold] * 2)
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


# ------------------------------------------------------------------ before the first step; log ticks
SIZE = (400, 280)  # the norms dock at 1600 x 1000


def test_before_training_the_keys_give_their_rows_to_the_plots(qtbot):
    panel = build(qtbot, NormsPanel, empty_history_view(steps=12, hidden=8, layers=1))
    panel.resize(*SIZE)
    panel.show()
    qtbot.waitExposed(panel)
    assert not any(legend.isVisible() for legend in panel.legends)
    empty_heights = [plot.vb.height() for plot in (panel.top, panel.bottom)]
    assert min(empty_heights) > 60, empty_heights  # were 49 px with a key and a title row each
    panel.update_view(make_view(steps=12, hidden=8, layers=1))
    assert all(legend.isVisible() for legend in panel.legends)  # the curves are named once drawn


@pytest.mark.parametrize("exponent, text", [(1.30103, "20"), (1.69897, "50"), (-1.69897, "0.02"), (0, "1"),
                                            (6, "10\u2076"), (-8 + 0.30103, "2\u00b710\u207b\u2078"),
                                            (3.69897, "5000")])
def test_log_ticks_read_as_plain_numbers_in_a_readable_range(exponent, text):
    assert log_tick_text(exponent) == text  # pyqtgraph wrote "2\u00b710\u00b9" for 20
