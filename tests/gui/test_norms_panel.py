"""The norms panel before the first step, and log-axis ticks that read as numbers."""

from __future__ import annotations

import pytest

from rnnviz.gui.panels.norms import NormsPanel
from rnnviz.gui.plot.style import log_tick_text
from tests.gui.factories import build, empty_history_view, make_view

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
