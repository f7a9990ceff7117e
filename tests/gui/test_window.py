"""The main window as a user drives it: train, diverge and recover, bad files, export, close."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog

from tests.gui.conftest import OFFSCREEN_NOISE, params_of

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def latest_step(window) -> int:
    return -1 if window.latest_view is None else window.latest_view.snapshot.step


def test_window_opens_with_every_panel_drawn(make_window):
    from rnnviz.gui.panels import PANEL_CLASSES

    window = make_window()
    names = [panel.view_name for panel in window.panels]
    assert names == [cls.view_name for cls in PANEL_CLASSES] + ["text", "compare"]
    tabs = {name: {d.objectName() for d in window.tabifiedDockWidgets(window.docks[window.panels[names.index(name)]])}
            for name in ("gates", "compare", "connectivity", "distributions", "units")}
    assert tabs == {"gates": {"dock-hidden"}, "compare": {"dock-gradients", "dock-units"},  # tabs: nine plots
                    "connectivity": {"dock-chain"}, "distributions": {"dock-flow"},  # fit 1600 x 1000
                    "units": {"dock-gradients", "dock-compare"}}
    for panel in window.panels:
        assert window.docks[panel].isVisible(), panel.title
        assert panel.view is window.latest_view  # the first view reached every panel
    assert window.latest_view.snapshot.step == 0
    assert "adding" in window.windowTitle()
    assert window.controls.pending_changes() == []  # the form shows the settings in use


def test_train_button_trains_and_the_panels_change(make_window, qtbot):
    window = make_window()
    loss_panel = window.panels[0]
    assert loss_panel.view.series["loss"][0].size == 0  # nothing trained yet
    first_hidden = np.array(window.panels[1].view.snapshot.hidden)
    qtbot.mouseClick(window.controls.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.running, timeout=5000)
    qtbot.waitUntil(lambda: all(p.view is not None and p.view.snapshot.step >= 5 for p in window.panels),
                    timeout=20_000)
    qtbot.mouseClick(window.controls.train_button, Qt.MouseButton.LeftButton)  # Pause
    qtbot.waitUntil(lambda: not window.running, timeout=5000)
    assert loss_panel.view.series["loss"][0].size >= 5
    assert not np.array_equal(np.array(window.panels[1].view.snapshot.hidden), first_hidden)
    assert window.status.labels["step"].text().startswith("step ")
    assert int(window.status.labels["step"].text().split()[1]) >= 5


def test_step_applies_exactly_one_update(make_window, qtbot):
    window = make_window()
    window.controls.step_button.click()
    qtbot.waitUntil(lambda: latest_step(window) == 1, timeout=5000)
    window.controls.step_button.click()
    qtbot.waitUntil(lambda: latest_step(window) == 2, timeout=5000)


def test_space_toggles_training(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.running, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.running, timeout=5000)


def test_s_and_right_arrow_step_once(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: latest_step(window) == 1, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: latest_step(window) == 2, timeout=5000)


def test_single_key_shortcuts_leave_input_widgets_their_keys(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    fired = []  # a shortcut triggers its action synchronously, inside the key event
    window.train_action.triggered.connect(lambda *_: fired.append("train"))
    window.step_action.triggered.connect(lambda *_: fired.append("step"))
    slider = window.text_panel.temperature
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus, timeout=5000)
    value = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Right)  # moves the slider, takes no training step
    assert slider.value() > value and fired == []
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_S)  # away from input widgets, S still steps
    assert fired == ["step"]


def test_space_trains_after_choosing_a_cell_and_after_typing_a_rate(make_window, qtbot):
    """A chosen combo box does not keep Space; a text field keeps it until Enter or Escape."""
    window = make_window()
    window.show()
    window.activateWindow()
    fired = []
    window.train_action.triggered.connect(lambda *_: fired.append("train"))
    combo = window.controls.cell
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=5000)
    qtbot.keyClick(combo, Qt.Key.Key_Space)  # a chosen cell: Space trains, the chooser stays shut
    assert fired == ["train"] and not combo.view().isVisible()
    field = window.controls.lr
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=5000)
    qtbot.keyClick(field, Qt.Key.Key_Space)  # typing in a field: the key is the field's
    assert fired == ["train"]
    qtbot.keyClick(field, Qt.Key.Key_Return)  # commits, and gives the keys back
    qtbot.waitUntil(lambda: not field.hasFocus(), timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert fired == ["train", "train"]
    assert window.controls.key_hint.isVisible() and "Enter or Esc" in window.controls.key_hint.text()


def diverged_window(make_window, qtbot):
    """A window whose Exploding preset has just diverged: training paused, banner shown."""
    window = make_window()
    window.apply_preset("Exploding")
    qtbot.waitUntil(lambda: window.latest_view is not None and window.latest_view.model_config["cell"] == "relu",
                    timeout=10_000)
    window.start_training()
    qtbot.waitUntil(lambda: window.banner.shown, timeout=20_000)
    return window


def test_exploding_preset_raises_the_banner_and_roll_back_restores_finite_weights(make_window, qtbot, dialogs):
    window = diverged_window(make_window, qtbot)
    assert not window.running  # divergence paused training
    assert window.banner.message.startswith("step ")  # names the step ...
    assert "layer" in window.banner.message or "parameter" in window.banner.message  # ... and where
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


BAD_FILES = {  # name -> contents: each must be refused with a dialog, the run kept
    "binary.txt": b"\x00\x01\x02 not text \x00" * 50,
    "short.txt": b"too short",  # loads as text, but holds no training window
    "short.csv": b"a,b\n1,2\n3,4\n5,6\n7,8\n",  # a valid series, too short for one window
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_gives_a_dialog_and_keeps_the_run(make_window, qtbot, dialogs, tmp_path, monkeypatch, name):
    window = make_window()
    window.train_steps(3)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 3, timeout=10_000)
    before = window.latest_view
    bad = tmp_path / name
    bad.write_bytes(BAD_FILES[name])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    window.choose_data()
    assert len(dialogs) == 1 and name in dialogs[0][1]
    window.worker_request_view()
    qtbot.waitUntil(lambda: window.latest_view is not before, timeout=5000)
    after = window.latest_view
    assert after.snapshot.step == 3 and after.source_name == before.source_name
    for name, value in params_of(before).items():
        np.testing.assert_array_equal(params_of(after)[name], value)


def test_opening_a_file_reports_loading_progress(make_window, qtbot, tmp_path, monkeypatch):
    import rnnviz.gui.window.files as window_files

    seen = []
    shown = window_files._show_progress
    monkeypatch.setattr(window_files, "_show_progress", lambda dialog, f: (seen.append(f), shown(dialog, f)))
    text = tmp_path / "notes.txt"
    text.write_text("The river keeps its own counsel. " * 400, encoding="utf-8")
    window = make_window()
    assert window.open_data(str(text))
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


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


def test_export_all_and_this_panel_write_files(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window()
    window.train_steps(2)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 2, timeout=10_000)
    folder = tmp_path / "plots"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    window.choose_export_all()
    qtbot.waitUntil(lambda: (folder / "history.npz").exists(), timeout=30_000)
    for view in ("loss", "hidden", "gradients", "chain", "flow", "weights", "spectrum", "norms", "gates"):
        for suffix in (".png", ".svg", ".csv"):
            assert (folder / f"{view}{suffix}").stat().st_size > 0, view + suffix
    assert '"steps_done": 2' in (folder / "metadata.json").read_text()  # the command line's keys

    qtbot.mouseClick(window.panels[3].canvas.viewport(), Qt.MouseButton.LeftButton)  # the chain panel
    assert window.current_panel is window.panels[3]
    assert window.panels[3].title in window.export_panel_action.text()
    target = tmp_path / "one" / "chain.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "SVG drawing (*.svg)")))
    window.choose_export_panel()
    root = ET.parse(target).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 10  # a real drawing, not an empty file


def test_closing_while_training_stops_the_thread_within_a_second(make_window, qtbot):
    window = make_window()
    window.start_training()
    qtbot.waitUntil(lambda: latest_step(window) >= 2, timeout=10_000)
    began = time.perf_counter()
    window.close()
    elapsed = time.perf_counter() - began
    assert not window.worker_thread.isRunning()
    assert elapsed < 1.0, f"closing took {elapsed:.2f} s"


def test_layout_and_settings_persist(make_window, settings):
    window = make_window()
    window.controls.lr.setValue(0.02)
    window.close()
    settings.sync()
    assert settings.value("window_state") is not None and settings.value("geometry") is not None
    assert '"lr": 0.02' in settings.value("last_train")


def test_save_and_open_a_session_and_a_bad_session_keeps_the_run(make_window, qtbot, dialogs, tmp_path,
                                                                  monkeypatch):
    window = make_window()
    window.train_steps(4)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 4, timeout=10_000)
    path = tmp_path / "run.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "")))
    with qtbot.waitSignal(window.worker.saved, timeout=10_000):
        window.choose_save()
    window.train_steps(2)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 6, timeout=10_000)

    truncated = tmp_path / "broken.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(truncated), "")))
    window.choose_session()
    assert len(dialogs) == 1 and "broken.npz" in dialogs[0][1]
    assert latest_step(window) == 6

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    window.choose_session()
    qtbot.waitUntil(lambda: latest_step(window) == 4, timeout=10_000)
    assert len(dialogs) == 1
    assert window.controls.data_combo.currentText() == "session: run.npz"
    assert window.controls.pending_changes() == []
    assert any("run.npz" in action.text() for action in window.recent_menu.actions())


def test_text_data_gets_samples_and_next_token_suggestions(make_window, qtbot):
    window = make_window(data={"kind": "sample", "name": None})
    panel = window.text_panel
    assert panel.is_text and panel.text_box.isVisible()
    qtbot.waitUntil(lambda: len(panel.sample_text) > 0, timeout=10_000)
    panel.prefix.setText("The ")
    qtbot.waitUntil(lambda: len(panel.suggestion_pairs) == 5, timeout=10_000)
    probabilities = [p for _, p in panel.suggestion_pairs]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1 + 1e-9
    assert panel.suggestion_view.text().startswith("next:")


def test_tasks_show_prediction_against_target(make_window):
    window = make_window()
    panel = window.text_panel
    assert not panel.is_text and panel.canvas.isVisible()
    header, rows = panel.csv_table()
    assert header == ["x", "target", "prediction"] and len(rows) >= 1  # the adding task: one answer
    target = np.asarray(window.latest_view.snapshot.targets, dtype=float).reshape(-1)
    assert [row[1] for row in rows] == pytest.approx(list(target))


def test_command_line_choices_are_checked_before_any_window(tmp_path):
    import argparse

    from rnnviz.core.errors import UserError
    from rnnviz.gui.app import start_plan

    def args(**given):
        base = {"data": None, "task": None, "session": None, "preset": None, "autostart": False}
        return argparse.Namespace(**{**base, **given})

    missing = str(tmp_path / "nope.txt")
    for bad in (args(data=missing), args(session=str(tmp_path / "nope.npz")), args(preset="Imploding"),
                args(task="juggling"), args(data=missing, task="adding")):
        with pytest.raises(UserError):
            start_plan(bad)
    trainer, data = start_plan(args(preset="IRNN", task="copy"))
    assert data["name"] == "copy" and trainer.model_config.init == "identity"


def test_launch_opens_the_window_autostarts_and_returns_when_closed(qtbot, dialogs):
    import argparse

    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from rnnviz.gui.app import launch
    from rnnviz.gui.window.main import MainWindow

    seen = {}

    def close_when_trained():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and not w.closed]
        if windows and latest_step(windows[0]) >= 2:
            seen["step"] = latest_step(windows[0])
            seen["running"] = windows[0].running
            windows[0].close()
            return
        QTimer.singleShot(20, close_when_trained)

    QTimer.singleShot(0, close_when_trained)
    args = argparse.Namespace(data=None, task="adding", session=None, preset="Vanishing", autostart=True)
    assert launch(args) == 0
    assert seen["step"] >= 2 and seen["running"]  # --autostart trained without a click
    assert dialogs == []


def test_view_menu_hides_a_dock_and_reset_layout_brings_it_back(make_window, qtbot):
    window = make_window()
    norms = next(p for p in window.panels if p.view_name == "norms")
    window.docks[norms].toggleViewAction().trigger()
    assert not window.docks[norms].isVisible()
    window.train_steps(2)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: window.drawn.get(window.panels[0]) is window.latest_view, timeout=5000)
    assert norms.view.snapshot.step == 0  # a hidden panel is not redrawn
    window.reset_layout()
    assert window.docks[norms].isVisible()
    qtbot.waitUntil(lambda: norms.view.snapshot.step == 2, timeout=5000)  # and catches up when shown


def test_status_bar_shows_a_dash_before_the_first_step(make_window):
    window = make_window()
    stats = {"status": "ready", "step": 0, "steps_per_sec": 0.0, "loss": float("nan"), "grad_norm": float("nan")}
    window.status.show_stats(stats)
    assert window.status.labels["loss"].text() == "loss —" and window.status.labels["grad"].text() == "‖g‖ —"
    window.status.show_stats({**stats, "step": 3, "loss": 0.1234567, "grad_norm": 2.5})
    assert window.status.labels["loss"].text() == "loss 0.1235"


@pytest.mark.parametrize("agree", [True, False])
def test_a_text_in_another_encoding_can_be_reopened_as_latin_1(make_window, qtbot, dialogs, tmp_path,
                                                               monkeypatch, agree):
    from PyQt6.QtWidgets import QMessageBox

    asked = []
    answer = QMessageBox.StandardButton.Yes if agree else QMessageBox.StandardButton.No
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *args: (asked.append(args[2]), answer)[1]))
    text = tmp_path / "café.txt"
    text.write_bytes("Le café est très chaud, dit le héron. ".encode("latin-1") * 200)
    window = make_window()
    before = window.latest_view
    assert window.open_data(str(text)) is agree
    assert len(asked) == 1 and "offset" in asked[0] and "latin-1" in asked[0]
    if agree:
        qtbot.waitUntil(lambda: window.latest_view is not before and "café" in window.latest_view.source_name,
                        timeout=10_000)
        assert dialogs == []
    else:
        assert len(dialogs) == 1 and "utf-8" in dialogs[0][1]
