"""Starting the app: command-line choices are checked before any window opens, and launch opens
the window, autostarts, and returns when it is closed."""

from __future__ import annotations

import pytest

from tests.gui.conftest import OFFSCREEN_NOISE, latest_step

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


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
    import gc

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
            seen["automatic_gc"] = gc.isenabled()
            windows[0].close()
            return
        QTimer.singleShot(20, close_when_trained)

    QTimer.singleShot(0, close_when_trained)
    args = argparse.Namespace(data=None, task="adding", session=None, preset="Vanishing", autostart=True)
    gc.enable()  # as in any process (this suite's GUI tests run without it)
    assert launch(args) == 0
    assert seen["step"] >= 2 and seen["running"]  # --autostart trained without a click
    assert not seen["automatic_gc"] and gc.isenabled()  # collected on the GUI thread while the window ran
    assert dialogs == []
