"""A redraw repaints the plots and nothing else of the window.

A widget outside the plots that changes size at a redraw (a wrapped line of text whose words
change, a style sheet set again) makes Qt lay out its dock, the main window and the tab bars
again and repaint them all: a few milliseconds at every view. The status bar's fields change
at every view and up to ten times a second while a network trains: they repaint themselves
and nothing else.
"""

from __future__ import annotations

import pytest
from PyQt6 import QtCore, QtWidgets

from rnnviz.bench.window import successive_views
from rnnviz.bench.window_shapes import SHAPES, open_every_dock, shape_settings
from rnnviz.core.train.presets import make_trainer
from rnnviz.gui.window.main import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


class PaintLog(QtCore.QObject):
    """Records the paint events of every widget that is neither a plot's canvas nor in the status bar."""

    def __init__(self, window: QtWidgets.QMainWindow) -> None:
        super().__init__()
        self.window = window
        self.painted: list[str] = []

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Type.Paint and isinstance(obj, QtWidgets.QWidget):
            canvas = isinstance(obj.parentWidget(), QtWidgets.QGraphicsView)
            bar = self.window.statusBar()
            status = (bar.isAncestorOf(obj) or obj is bar  # or the window's background under the bar:
                      or (obj is self.window and bar.geometry().contains(event.rect())))
            if not canvas and not status:
                label = obj.text()[:60] if isinstance(obj, QtWidgets.QLabel) else obj.objectName()
                self.painted.append(f"{type(obj).__name__} {label!r}")
        return False


@pytest.fixture
def window(qtbot, settings):
    """The window at the bench's size with every plot dock in sight, settled."""
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    open_every_dock(window)
    qtbot.wait(500)  # the docks moved: the window is laid out and painted again, on a timer
    return window


def _logged(window, work) -> list[str]:
    log = PaintLog(window)
    app = QtWidgets.QApplication.instance()
    app.installEventFilter(log)
    try:
        work()
    finally:
        app.removeEventFilter(log)
    return log.painted


def test_a_redraw_repaints_only_the_plots(window):
    for shape in SHAPES:  # one window: a shape's first views size the docks to what they hold
        views = successive_views(make_trainer(*shape_settings(shape, 16, 24)), 5, warmup=2)

        def draw(views):
            for view in views:
                window.latest_view = view
                window.redraw()
                for _ in range(3):
                    QtWidgets.QApplication.processEvents()

        draw(views[:2])
        painted = _logged(window, lambda: draw(views[2:]))
        assert painted == [], (shape, sorted(set(painted)))


def test_the_training_figures_repaint_only_the_status_bar(window):
    def feed():
        for i in range(6):  # the step, the speed, the loss and the norm change at every update
            window.status.show_stats({"status": "running", "step": 10 ** i, "steps_per_sec": 3.0 ** i,
                                      "loss": 10.0 ** -i, "grad_norm": 10.0 ** (3 * i), "lr": 0.1 ** i})
            for _ in range(3):
                QtWidgets.QApplication.processEvents()

    assert _logged(window, feed) == []
