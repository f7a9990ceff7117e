"""The status bar: step, speed, loss and gradient norm, with a dash before the first step."""

from __future__ import annotations

import pytest

from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_status_bar_shows_a_dash_before_the_first_step(make_window):
    window = make_window()
    stats = {"status": "ready", "step": 0, "steps_per_sec": 0.0, "loss": float("nan"), "grad_norm": float("nan")}
    window.status.show_stats(stats)
    assert window.status.labels["loss"].text() == "loss —" and window.status.labels["grad"].text() == "‖g‖ —"
    window.status.show_stats({**stats, "step": 3, "loss": 0.1234567, "grad_norm": 2.5})
    assert window.status.labels["loss"].text() == "loss 0.1235"
