"""The learning rate's growth and the read-out's own rate in the Settings form (under More
settings): shown from a preset, waiting for Reset, and reaching the new run; and More settings
opens by itself when the data needs its encoder-decoder fields."""

from __future__ import annotations

import pytest

from rnnviz.core.train.presets import get_preset
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_the_exploding_preset_shows_its_rates_and_a_reset_keeps_them(make_window, qtbot):
    window = make_window()
    controls = window.controls
    assert controls.lr_growth.value() == 1.0 and controls.readout_lr.rate() is None
    assert controls.readout_lr.text() == "as lr"
    window.apply_preset("Exploding")
    preset = get_preset("Exploding")
    qtbot.waitUntil(lambda: controls.readout_lr.rate() == preset.train["readout_lr"], timeout=10_000)
    assert controls.lr.value() == preset.train["lr"]  # 1e-16 survives the box's rounding
    assert controls.init_scale.value() == preset.model["init_scale"]
    assert controls.pending_changes() == []
    window.reset()  # from the form: the very same run
    qtbot.waitUntil(lambda: window.latest_view is not None
                    and window.latest_view.train_config.get("readout_lr") == preset.train["readout_lr"], timeout=10_000)
    assert window.latest_view.train_config["lr"] == preset.train["lr"]


def test_rates_wait_for_reset_and_reach_the_new_run(make_window, qtbot):
    window = make_window()
    controls = window.controls
    controls.lr_growth.setValue(1.2)
    controls.readout_lr.stepBy(1)  # from "as lr", the first arrow starts at the learning rate
    assert controls.readout_lr.rate() == controls.lr.value()
    controls.readout_lr.stepBy(1)  # then doubles it
    assert controls.readout_lr.rate() == 2 * controls.lr.value()
    pending = controls.pending_changes()
    assert "lr growth" in pending and "read-out lr" in pending
    window.reset()
    qtbot.waitUntil(lambda: window.latest_view is not None
                    and window.latest_view.train_config.get("lr_growth") == 1.2, timeout=10_000)
    assert window.latest_view.train_config["readout_lr"] == 2 * controls.lr.value()
    controls.readout_lr.stepBy(-5)
    controls.readout_lr.set_rate(None)
    assert controls.readout_lr.text() == "as lr" and controls.train_settings()["readout_lr"] is None


def test_more_settings_opens_by_itself_when_the_data_needs_a_decoder(make_window):
    controls = make_window().controls
    assert not controls.more.is_open()
    index = next(i for i in range(controls.data_combo.count())
                 if (controls.data_combo.itemData(i) or {}).get("name") == "reverse")
    controls.data_combo.setCurrentIndex(index)
    assert controls.more.is_open() and controls.decoder_cell.isVisible() is controls.isVisible()
    controls.more.set_open(False)  # folded by hand, it stays folded while the data stays paired
    controls.task_length.setValue(controls.task_length.value() + 1)
    assert not controls.more.is_open()
