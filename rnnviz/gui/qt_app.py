"""One QApplication per process, alive until the process ends, and widgets deleted before it.

PyQt deletes a QApplication as soon as its last Python reference goes. Made inside a function,
it goes when the function returns, and the function's other locals (a window, its worker
thread, some panels) are then destroyed after the application they belong to. Qt may crash
there, and did: ``rnnviz bench --threads 1`` died with SIGSEGV in CI after the window benchmark.
So every QApplication that rnnviz makes is made here and kept in a module global, and code that
makes its own top-level widgets deletes them with ``dispose`` while the application still runs.
"""

from __future__ import annotations

import os

_APP = None  # the QApplication made here; never dropped before the process exits


def application(argv: list[str], offscreen: bool = False):
    """The running QApplication, or a new one kept alive. ``offscreen``: unless a platform is
    already chosen, use Qt's offscreen one (exports and benchmarks never need a display)."""
    from PyQt6 import QtWidgets

    global _APP
    app = QtWidgets.QApplication.instance()
    if app is None:
        if offscreen and not os.environ.get("QT_QPA_PLATFORM", "").strip():  # read when the app is created
            # an empty value chooses no platform: Qt then tries the display and aborts without one
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = _APP = QtWidgets.QApplication(argv)
    return app


def dispose(*widgets) -> None:
    """Close and delete ``widgets`` now (not at some later garbage collection), so that none
    outlives the application. A widget already deleted is skipped."""
    from PyQt6 import sip

    for widget in widgets:
        if widget is not None and not sip.isdeleted(widget):
            widget.close()  # a MainWindow stops its worker thread here
            sip.delete(widget)


def dispose_python_widgets(app) -> None:
    """Every top-level widget that Python made and still owns, deleted now (``dispose``): also
    those only a reference cycle keeps, which a garbage collection would otherwise delete at
    whatever moment it ran, perhaps in the middle of Qt's work on them."""
    from PyQt6 import sip

    dispose(*(widget for widget in app.topLevelWidgets() if sip.ispyowned(widget)))
