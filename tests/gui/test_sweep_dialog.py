"""The Sweep dialog: a grid from the window's settings, run on a scheduler on loopback, the phase
diagram filled as points finish, and a clicked cell trained again in the main window."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed")


def test_the_window_offers_a_sweep_from_its_settings(make_window):
    from rnnviz.gui.window.sweep import open_sweep_dialog

    window = make_window()
    assert window.sweep_action.isEnabled()
    dialog = open_sweep_dialog(window)
    assert dialog.base["task"] == "adding" and dialog.base["length"] == 12 and dialog.base["hidden"] == 8
    assert open_sweep_dialog(window) is dialog  # one dialog per window


def test_a_sweep_fills_the_diagram_and_a_cell_opens_its_run(qtbot, scheduler, dialogs, tmp_path):
    from rnnviz.gui.window.sweep import SweepDialog

    opened = []
    base = {"task": "adding", "length": 6, "hidden": 4, "batch": 4, "cell": "tanh"}
    dialog = SweepDialog(base, lambda trainer, data, steps: opened.append((trainer, data, steps)))
    qtbot.addWidget(dialog)
    dialog.vary_rows[0][1].setText("0.5,1.5")
    dialog.vary_rows[1][0].setCurrentText("cell")
    dialog.vary_rows[1][1].setText("tanh,lstm")
    dialog.steps.setValue(10)
    dialog.seeds.setValue(1)
    dialog.scheduler.setText(scheduler)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.run_button.isEnabled(), timeout=60_000)
    assert dialog.state.text().startswith("4 of 4 runs done"), dialog.state.text()
    table = dialog.phase.table
    assert (table.x_name, table.y_name) == ("recurrent_scale", "cell")
    np.testing.assert_array_equal(table.counts, np.ones((1, 2, 2)))
    assert np.isfinite(table.values).all()
    dialog.metric.setCurrentIndex(dialog.metric.findData("chain_start_log10"))
    chain = dialog.phase.table.values[0]  # (cell, scale): a larger scale, a longer chain
    assert chain[0, 1] > chain[0, 0] and chain[1, 1] > chain[1, 0]
    chosen = dialog.phase.settings_at(0, 1.2, 0.9)  # the cell right of and above the first
    assert chosen == {"recurrent_scale": 1.5, "cell": "lstm"}
    dialog.phase.cell_clicked.emit(chosen)
    trainer, data, steps = opened[0]
    assert trainer.model_config.cell == "lstm" and trainer.model_config.recurrent_scale == 1.5
    assert data["name"] == "adding" and data["length"] == 6 and steps == 10
    assert dialogs == []
    dialog.export_to(tmp_path / "phase.csv")
    lines = (tmp_path / "phase.csv").read_text().splitlines()
    assert lines[0] == "facet,cell,recurrent_scale,chain_start_log10,seeds" and len(lines) == 5
    dialog.export_to(tmp_path / "phase.txt")
    assert dialogs and dialogs[-1][0] == "Export diagram" and ".png, .svg or .csv" in dialogs[-1][1]


def test_stop_cancels_the_pending_points(qtbot, scheduler):
    from rnnviz.gui.window.sweep import SweepDialog

    dialog = SweepDialog({"task": "adding", "length": 30, "hidden": 16}, lambda *a: None)
    qtbot.addWidget(dialog)
    dialog.vary_rows[0][1].setText("0.5:1.5:8")
    dialog.vary_rows[1][0].setCurrentText("")
    dialog.steps.setValue(300)
    dialog.seeds.setValue(1)
    dialog.scheduler.setText(scheduler)
    dialog.start()
    qtbot.waitUntil(lambda: len(dialog.rows) >= 1, timeout=60_000)
    dialog.stop()
    qtbot.waitUntil(lambda: dialog.run_button.isEnabled(), timeout=60_000)
    assert len(dialog.rows) < 8 and "stopped" in dialog.state.text()


def test_a_bad_grid_is_a_dialog_not_a_crash(qtbot, dialogs):
    from rnnviz.gui.window.sweep import SweepDialog

    dialog = SweepDialog({"task": "adding"}, lambda *a: None)
    qtbot.addWidget(dialog)
    dialog.vary_rows[0][1].setText("0.5:x")
    dialog.start()
    assert dialogs and dialogs[0][0] == "Sweep" and "recurrent_scale" in dialogs[0][1]
    assert dialog.run_button.isEnabled() and dialog.thread is None


def test_without_dask_the_action_is_disabled_with_the_install_hint(make_window, monkeypatch):
    from rnnviz.core.train import sweep_dask

    monkeypatch.setattr(sweep_dask, "dask_available", lambda: False)
    window = make_window()
    assert not window.sweep_action.isEnabled()
    assert "pip install" in window.sweep_action.statusTip()
