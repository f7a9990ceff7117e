"""Shared GUI fixtures: settings that never touch the user's, and a main-window factory that
closes every window it made and checks that no training thread is left behind.

Dialogs are replaced by recorders (``dialogs``), so a test asserts that a dialog WOULD have
been shown instead of blocking on a modal window nobody can click offscreen.
"""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QSettings

# Qt's offscreen platform prints this (harmless) line for every top-level window shown
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"

# a small, fast run for window tests: a task (no text sampling), 8 units, short sequences
FAST_MODEL = {"cell": "tanh", "hidden_size": 8, "num_layers": 1, "init": "normal", "init_scale": 1.0,
              "recurrent_scale": None, "seed": 0}
FAST_TRAIN = {"optimizer": "adam", "lr": 1e-2, "batch_size": 4, "seq_len": 12, "clip_mode": "none",
              "clip_threshold": 5.0, "seed": 0}
FAST_DATA = {"kind": "task", "name": "adding", "length": 12}


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory):
    """Every QSettings a test creates (native or INI, user or system scope) lives in a temp dir."""
    folder = str(tmp_path_factory.mktemp("qsettings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, folder)
    yield folder


@pytest.fixture(autouse=True)
def widgets_die_in_order(qapp):
    """No garbage collection during a GUI test, and every widget the test made deleted at its end.

    A widget dropped in a reference cycle is otherwise deleted by whichever garbage collection
    comes next: perhaps inside Qt's event processing, and after the collector has already
    emptied some of its pyqtgraph items, whose callbacks then run during the deletion on
    half-cleared objects. That crashed a test worker (SIGSEGV, "pure virtual method called")
    right after a test had returned. So collection waits, and the widgets Python made are
    deleted here, whole, while Qt is idle; the collector then frees only Python objects."""
    import gc

    from rnnviz.gui.qt_app import dispose_python_widgets

    gc.disable()
    try:
        yield
    finally:
        dispose_python_widgets(qapp)
        gc.collect(0)  # all the test made is still in the youngest generation: nothing was collected since
        gc.enable()


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "rnnviz-test.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def dialogs(monkeypatch):
    """Records (title, message) of every warning dialog the window would show."""
    from PyQt6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda parent, title, text, *rest: shown.append((title, text))))
    return shown


@pytest.fixture
def make_window(qtbot, settings, dialogs):
    """make_window(model=..., train=..., data=...) -> a shown MainWindow with its first view drawn."""
    from rnnviz.gui.window.main import MainWindow

    windows = []

    def factory(model=None, train=None, data=None):
        window = MainWindow(settings)
        windows.append(window)
        qtbot.addWidget(window)
        window.start_with(model or FAST_MODEL, train or FAST_TRAIN, data or FAST_DATA)
        window.show()
        qtbot.waitUntil(lambda: window.latest_view is not None, timeout=10_000)
        qtbot.waitUntil(lambda: all(window.drawn.get(p) is not None for p in window.panels), timeout=10_000)
        return window

    yield factory
    for window in windows:
        window.close()
        assert not window.worker_thread.isRunning(), "a training thread outlived its window"


def params_of(view) -> dict:
    return {name: np.array(value) for name, value in view.snapshot.params.items()}


def latest_step(window) -> int:
    """The step of the last view the window received, or -1 before any."""
    return -1 if window.latest_view is None else window.latest_view.snapshot.step
