"""The QApplication outlives every widget rnnviz makes outside pytest-qt.

CI once saw ``rnnviz bench --threads 1`` die with SIGSEGV: the window benchmark's
QApplication was a local, so it went when the function returned, before the window that
belonged to it. These run in a fresh interpreter, because under pytest-qt the ``qapp``
fixture keeps the application alive and would hide exactly this.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.gui.conftest import FAST_DATA, FAST_MODEL, FAST_TRAIN


def run_python(code: str) -> subprocess.CompletedProcess:
    # one BLAS thread, as the suite runs (tests/conftest.py)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, env=env)


def test_window_benchmarks_keep_the_application_and_leave_no_widget_behind():
    result = run_python("""
        from PyQt6.QtWidgets import QApplication
        from rnnviz.gui.window.main import MainWindow
        from rnnviz.gui.panels.base import Panel
        from rnnviz.bench.window import panel_update, training_rate

        def leftovers():  # pyqtgraph's parentless context menus may wait for the garbage collector
            return [w for w in QApplication.topLevelWidgets()
                    if w.isVisible() or isinstance(w, (MainWindow, Panel))]

        panel_update(quick=True)
        app = QApplication.instance()
        assert app is not None, "the application went with the benchmark's locals"
        assert leftovers() == [], leftovers()
        training_rate(quick=True)
        assert QApplication.instance() is app, "a second application was made"
        assert leftovers() == [], leftovers()
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_dispose_stops_a_training_window_and_deletes_it(tmp_path):
    result = run_python(f"""
        from PyQt6 import QtCore, sip
        from PyQt6.QtWidgets import QApplication
        import time

        from rnnviz.gui import qt_app
        from rnnviz.gui.window.main import MainWindow

        app = qt_app.application(["test"], offscreen=True)
        settings = QtCore.QSettings({str(tmp_path / "s.ini")!r}, QtCore.QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.start_with({FAST_MODEL!r}, {FAST_TRAIN!r}, {FAST_DATA!r})
        window.show()
        window.start_training()
        deadline = time.monotonic() + 30
        while not (window.running and window.latest_view is not None) and time.monotonic() < deadline:
            app.processEvents()
        assert window.running, "the window is not training"
        thread = window.worker_thread
        qt_app.dispose(window, window)  # twice: the second is skipped
        assert sip.isdeleted(window) and (sip.isdeleted(thread) or not thread.isRunning())
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
