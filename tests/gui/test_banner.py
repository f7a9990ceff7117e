"""The divergence banner: a diverged run pauses and says where; roll back restores finite
weights, continue with clipping trains on clipped."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gui.conftest import OFFSCREEN_NOISE, params_of

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def diverged_window(make_window, qtbot):
    """A window whose Exploding preset has just diverged: training paused, banner shown."""
    window = make_window()
    window.apply_preset("Exploding")
    qtbot.waitUntil(lambda: window.latest_view is not None and window.latest_view.model_config["cell"] == "linear",
                    timeout=10_000)
    window.start_training()
    qtbot.waitUntil(lambda: window.banner.shown, timeout=20_000)
    return window


def test_exploding_preset_raises_the_banner_and_roll_back_restores_finite_weights(make_window, qtbot, dialogs):
    window = diverged_window(make_window, qtbot)
    assert not window.running  # divergence paused training
    assert window.banner.message.startswith("step ")  # names the step ...
    assert any(where in window.banner.message for where in ("layer", "parameter", "loss"))  # ... and where
    assert window.banner.message in window.banner.label.text()
    assert window.banner.rollback_button.text() == "Roll back to step 0"  # the checkpoint it returns to
    window.banner.rollback_button.click()
    assert not window.banner.shown
    qtbot.waitUntil(lambda: window.latest_view.status == "ready", timeout=10_000)
    assert window.latest_view.snapshot.step == 0
    for name, value in params_of(window.latest_view).items():
        assert np.all(np.isfinite(value)), name
    assert dialogs == []


def test_continue_with_clipping_trains_on_clipped(make_window, qtbot):
    window = diverged_window(make_window, qtbot)
    window.banner.clip_button.click()
    qtbot.waitUntil(lambda: window.latest_view.clip_mode == "norm" and window.latest_view.snapshot.step >= 5,
                    timeout=20_000)
    assert not window.banner.shown
    assert window.controls.clip_mode.currentText() == "norm"  # the form follows
    window.toggle_training()
    qtbot.waitUntil(lambda: not window.running, timeout=5000)
