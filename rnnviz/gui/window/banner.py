"""The divergence banner: a coloured strip at the top of the window, not a modal dialog.

When a NaN or Inf stops training, the run pauses and this strip says at which step and where
(hidden state, gradient, which layer, which time step), with the two ways on: roll back to
the last finite parameters, or roll back and continue with gradient-norm clipping. Training
can still be watched and the plots read while it is shown.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolBar

BANNER_STYLE = ("QFrame#divergence { background: #fde2dd; border: 1px solid #c0392b; border-radius: 4px; }"
                "QLabel { color: #7b1d12; font-weight: bold; }")  # red: something broke, but calmly


class DivergenceBanner(QToolBar):
    """A fixed tool bar holding one coloured frame; hidden until ``show_message``."""

    roll_back = pyqtSignal()
    continue_clipped = pyqtSignal()

    def __init__(self, parent=None) -> None:
        super().__init__("Divergence", parent)
        self.setObjectName("divergence-banner")  # for saveState
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)  # not something to switch on by hand
        self.frame = QFrame()
        self.frame.setObjectName("divergence")
        self.frame.setStyleSheet(BANNER_STYLE)
        row = QHBoxLayout(self.frame)
        row.setContentsMargins(10, 6, 10, 6)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.rollback_button = QPushButton("Roll back")
        self.rollback_button.setToolTip("Restore the last parameters that were all finite; training stays paused.")
        self.rollback_button.clicked.connect(self.roll_back)
        self.clip_button = QPushButton("Continue with clipping")
        self.clip_button.setToolTip("Roll back, switch on gradient-norm clipping, and train on.")
        self.clip_button.clicked.connect(self.continue_clipped)
        self.close_button = QPushButton("×")
        self.close_button.setToolTip("Hide this message (training stays paused).")
        self.close_button.setFlat(True)
        self.close_button.clicked.connect(self.hide_banner)
        row.addWidget(self.label, 1)
        row.addWidget(self.rollback_button)
        row.addWidget(self.clip_button)
        row.addWidget(self.close_button)
        self.addWidget(self.frame)
        self.message = ""
        self.setVisible(False)

    def show_message(self, where: str, back_to: int | None = None) -> None:
        """Show where training diverged; ``back_to`` is the step Roll back returns to, if known."""
        self.message = where
        if back_to is None:
            self.rollback_button.setText("Roll back")
        else:  # say where: a checkpoint is kept every so many steps, so it may be well before this one
            self.rollback_button.setText(f"Roll back to step {back_to}")
            self.rollback_button.setToolTip(
                f"Restore the weights, optimizer state and data position of step {back_to}, the latest "
                "checkpoint before the divergence (press again after another divergence to go further "
                "back); training stays paused.")
        self.label.setText(f"Training diverged and is paused — {where}. "
                           "The gradient exploded until a number overflowed to Inf/NaN.")
        self.setVisible(True)

    def show_warning(self, text: str, back_to: int | None = None) -> None:
        """The weights are finite but already overflow on the last batch: the next step will
        diverge. Same strip and buttons, since the same two ways on apply."""
        self.show_message(text, back_to)
        self.label.setText(f"The gradient exploded — {text}. The next step will diverge.")

    def hide_banner(self) -> None:
        self.setVisible(False)

    @property
    def shown(self) -> bool:
        return not self.isHidden()


LESSON_STYLE = ("QFrame#lesson { background: #e8f1fb; border: 1px solid #0072B2; border-radius: 4px; }"
                "QLabel { color: #0b3c6e; }")  # blue: information, not alarm


class LessonBanner(QToolBar):
    """A preset's story, shown above the plots until the person closes it (× or a new run)."""

    def __init__(self, parent=None) -> None:
        super().__init__("Lesson", parent)
        self.setObjectName("lesson-banner")  # for saveState
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)
        self.frame = QFrame()
        self.frame.setObjectName("lesson")
        self.frame.setStyleSheet(LESSON_STYLE)
        row = QHBoxLayout(self.frame)
        row.setContentsMargins(10, 6, 10, 6)
        self.label = QLabel("")  # one line: a wrapped label asks the tool bar for three lines' height
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.close_button = QPushButton("×")
        self.close_button.setToolTip("Hide the lesson (Presets menu shows it again)")
        self.close_button.setFlat(True)
        self.close_button.clicked.connect(self.hide_banner)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button)
        self.addWidget(self.frame)
        self.name = ""
        self.waiting = False  # hidden while the divergence banner has the strip, back when it goes
        self.setVisible(False)

    def show_story(self, name: str, story: str) -> None:
        self.name = name
        self.waiting = False
        self.label.setText(f"<b>{name}</b> — {story}")
        self.label.setToolTip(f"{name}: {story}")  # the whole line, should the window be narrow
        self.setVisible(True)

    def hide_banner(self) -> None:
        self.waiting = False
        self.setVisible(False)

    def make_way(self, divergence_shown: bool) -> None:
        """Step aside while the divergence banner is up and come back after it: two strips
        stacked took ~90 px from every dock and pushed the Settings into scrolling."""
        if divergence_shown and self.shown:
            self.setVisible(False)
            self.waiting = True
        elif not divergence_shown and self.waiting:
            self.waiting = False
            self.setVisible(True)

    @property
    def shown(self) -> bool:
        return not self.isHidden()
