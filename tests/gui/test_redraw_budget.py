"""The window keeps drawing within its budget, so training keeps most of its speed."""

from rnnviz.gui.main_window import MAX_REDRAW_MS, REDRAW_BUDGET, REDRAW_MS, redraw_interval_ms
from rnnviz.gui.panels.loss import LossPanel
from tests.gui.factories import make_view


def test_redraw_interval_keeps_drawing_within_budget():
    assert redraw_interval_ms(0.001) == REDRAW_MS  # cheap drawing: the full 30 Hz
    assert redraw_interval_ms(0.010) == int(1000 * 0.010 / REDRAW_BUDGET)
    assert redraw_interval_ms(0.010) * REDRAW_BUDGET >= 10 - 1e-9  # 10 ms of drawing per interval at most
    assert redraw_interval_ms(10.0) == MAX_REDRAW_MS  # however slow, the plots move once a second


def test_panels_measure_their_own_paint(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 300)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.graphics().last_paint_seconds == 0.0
    panel.update_view(make_view())
    qtbot.waitUntil(lambda: panel.graphics().last_paint_seconds > 0, timeout=5000)  # Qt's own paint
