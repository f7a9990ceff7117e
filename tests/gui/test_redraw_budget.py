"""The window keeps drawing within its budget, so training keeps most of its speed."""

from rnnviz.gui.window.main import MAX_REDRAW_MS, REDRAW_BUDGET, REDRAW_MS, redraw_interval_ms
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


def test_view_interval_keeps_views_within_their_budget_and_still_moving():
    from rnnviz.gui.worker import MAX_VIEW_SECONDS, VIEW_BUDGET, VIEW_SECONDS, view_interval

    assert view_interval(0.0001) == VIEW_SECONDS  # cheap views: as often as the window can draw
    assert view_interval(0.01) == 0.01 / VIEW_BUDGET  # 10 ms views take VIEW_BUDGET of the time
    assert 0.01 / view_interval(0.01) <= VIEW_BUDGET + 1e-12
    assert view_interval(5.0) == MAX_VIEW_SECONDS  # however slow, a view every MAX_VIEW_SECONDS
