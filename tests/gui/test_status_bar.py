"""The status bar: step, speed, loss and gradient norm, with a dash before the first step."""

from __future__ import annotations

import pytest

from tests.gui.conftest import FAST_TRAIN, OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_status_bar_shows_a_dash_before_the_first_step(make_window):
    window = make_window()
    stats = {"status": "ready", "step": 0, "steps_per_sec": 0.0, "loss": float("nan"), "grad_norm": float("nan")}
    window.status.show_stats(stats)
    assert window.status.labels["loss"].text() == "loss —" and window.status.labels["grad"].text() == "‖g‖ —"
    window.status.show_stats({**stats, "step": 3, "loss": 0.1234567, "grad_norm": 2.5})
    assert window.status.labels["loss"].text() == "loss 0.1235"

    assert window.status.labels["lr"].text() == ""  # a constant rate: it is in the Settings form


def test_a_rising_learning_rate_is_shown_as_it_rises(make_window, qtbot):
    window = make_window(train={**FAST_TRAIN, "optimizer": "sgd", "lr": 0.01, "lr_growth": 2.0})
    label = window.status.labels["lr"]
    window.step_action.trigger()
    qtbot.waitUntil(lambda: label.text() == "lr 0.02", timeout=10_000)  # the second update's rate
    window.step_action.trigger()
    qtbot.waitUntil(lambda: label.text() == "lr 0.04", timeout=10_000)
