"""The controls form: live settings apply at once, the others wait for Reset; the forget bias
belongs to the LSTM only."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gui.conftest import OFFSCREEN_NOISE, params_of

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_live_learning_rate_and_needs_reset(make_window, qtbot):
    window = make_window()
    window.controls.lr.setValue(0.05)  # applies at once
    window.controls.hidden_size.setValue(12)  # waits for Reset
    assert "hidden size" in window.controls.pending_label.text()
    window.worker_request_view()
    qtbot.waitUntil(lambda: window.latest_view.train_config["lr"] == 0.05, timeout=5000)
    assert window.latest_view.model_config["hidden_size"] == 8
    window.reset()
    qtbot.waitUntil(lambda: window.latest_view is not None and window.latest_view.model_config["hidden_size"] == 12,
                    timeout=10_000)
    assert window.controls.pending_label.text() == ""


def test_forget_bias_is_a_form_setting_of_the_lstm_only(make_window, qtbot):
    window = make_window()  # a tanh network: no forget gate to set
    controls = window.controls
    assert not controls.forget_bias.isEnabled()
    controls.cell.setCurrentText("lstm")
    assert controls.forget_bias.isEnabled()
    controls.forget_bias.setValue(2.5)
    assert "forget bias" in controls.pending_label.text()
    window.reset()
    qtbot.waitUntil(lambda: window.latest_view is not None and window.latest_view.model_config["cell"] == "lstm",
                    timeout=10_000)
    assert window.latest_view.model_config["forget_bias"] == 2.5
    params = params_of(window.latest_view)
    hid = window.latest_view.model_config["hidden_size"]
    forget = (params["bias_ih_l0"] + params["bias_hh_l0"])[hid:2 * hid]  # PyTorch's gate order i, f, g, o
    assert np.allclose(forget, 2.5, atol=0.05)  # at most a step or two of training since the reset
    controls.cell.setCurrentText("gru")
    assert not controls.forget_bias.isEnabled()
