"""One strip at a time above the plots: a preset's story steps aside for the divergence banner
and comes back after it, unless the person closed it."""

from __future__ import annotations

from PyQt6.QtWidgets import QMainWindow
from PyQt6.QtCore import Qt

from rnnviz.gui.window.banner import DivergenceBanner, LessonBanner


def window_with_banners(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    divergence, lesson = DivergenceBanner(window), LessonBanner(window)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, divergence)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, lesson)
    divergence.visibilityChanged.connect(lesson.make_way)
    window.show()
    qtbot.waitExposed(window)
    return window, divergence, lesson  # the window too: its banners live as long as it does


def test_the_story_makes_way_for_the_divergence_banner_and_comes_back(qtbot):
    _window, divergence, lesson = window_with_banners(qtbot)
    lesson.show_story("Exploding", "the chain grows like 2^k")
    assert lesson.shown and not divergence.shown
    divergence.show_message("step 2: hidden state, layer 0, t=36 is Inf", 0)
    qtbot.waitUntil(lambda: divergence.shown)
    assert not lesson.shown  # never two strips stacked
    divergence.hide_banner()  # rolled back, or continued with clipping
    qtbot.waitUntil(lambda: lesson.shown)


def test_a_story_the_person_closed_stays_closed(qtbot):
    _window, divergence, lesson = window_with_banners(qtbot)
    lesson.show_story("Exploding", "the chain grows like 2^k")
    lesson.hide_banner()
    divergence.show_message("step 2: loss is Inf", None)
    divergence.hide_banner()
    assert not lesson.shown


def test_every_preset_story_fits_one_line_of_a_1600_px_window(qtbot):
    """The strip is one line (a wrapped label takes three lines' height from every dock): a story
    longer than the window is cut mid-word, so each must fit."""
    from PyQt6.QtGui import QFontMetrics, QTextDocument

    from rnnviz.core.train.presets import PRESETS

    lesson = LessonBanner()
    qtbot.addWidget(lesson)
    metrics = QFontMetrics(lesson.label.font())
    room = 1600 - 2 * 10 - 40 - 30  # the window less the frame's margins, the × button and spacing
    for name, preset in PRESETS.items():
        lesson.show_story(name, preset.story)
        document = QTextDocument()
        document.setHtml(lesson.label.text())
        plain = document.toPlainText()
        bold = QFontMetrics(lesson.label.font()).horizontalAdvance(name) * 0.1  # the name is bold: ~10 % wider
        assert metrics.horizontalAdvance(plain) + bold <= room, f"{name}: {metrics.horizontalAdvance(plain):.0f} px"
