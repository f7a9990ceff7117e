"""The status bar's regime field is wide enough for every regime: a regime that changes while
training never moves the other fields (a re-layout and repaint of the whole bar)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QApplication, QMainWindow

from rnnviz.gui.plot import style
from rnnviz.gui.window.status import StatusFields
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def _view(regime: str):
    return SimpleNamespace(snapshot=SimpleNamespace(diagnostics=SimpleNamespace(regime=regime)))


def test_a_changing_regime_moves_no_field(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(1200, 300)
    fields = StatusFields(window.statusBar())
    window.show()
    fields.show_regime(_view("stable"))
    QApplication.processEvents()
    where = {key: label.geometry() for key, label in fields.labels.items()}
    for regime in [*style.REGIME_COLORS, "", "stable"]:
        fields.show_regime(_view(regime))
        QApplication.processEvents()
        assert {key: label.geometry() for key, label in fields.labels.items()} == where, regime


def test_the_regime_is_shown_bold_in_its_colour(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    fields = StatusFields(window.statusBar())
    label = fields.labels["regime"]
    for regime, color in style.REGIME_COLORS.items():
        fields.show_regime(_view(regime))
        assert label.text() == f"regime: {regime}" and label.font().bold()
        assert label.palette().color(QPalette.ColorRole.WindowText) == QColor(color), regime
    fields.show_regime(_view(""))
    assert label.text() == "" and label.palette().color(QPalette.ColorRole.WindowText) == QColor(style.UNKNOWN_COLOR)
