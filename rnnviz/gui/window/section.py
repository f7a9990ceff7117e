"""A collapsible section: a title with an arrow that shows or hides the fields below it.

The settings form keeps rarely changed fields (seeds, the encoder-decoder's options) behind one,
so that the everyday fields fit their dock without a scroll bar. The arrow is a real button:
Tab reaches it, Enter opens or folds it (Space stays the window's train/pause key, as on every
button), and the fields inside stay in the Tab order once open.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget


class _Header(QToolButton):
    """The section's title button; Enter and Return toggle it like a click."""

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() in (
                Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
            self.toggle()
            event.accept()
            return
        super().keyPressEvent(event)


class Section(QWidget):
    """``title`` above ``body``; the body starts folded unless ``opened``."""

    toggled = pyqtSignal(bool)  # True when the body is shown

    def __init__(self, title: str, body: QWidget, tip: str = "", opened: bool = False, parent=None) -> None:
        super().__init__(parent)
        self.button = _Header()
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setAutoRaise(True)
        self.button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # reachable with Tab, opened with Space
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.setToolTip(f"{tip} Enter opens or folds it." if tip else "Enter opens or folds it.")
        self.body = body
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.button)
        layout.addWidget(body)
        self.button.toggled.connect(self._show_body)
        self.button.setChecked(opened)
        self._show_body(opened)

    def is_open(self) -> bool:
        return self.button.isChecked()

    def set_open(self, opened: bool) -> None:
        self.button.setChecked(bool(opened))

    def _show_body(self, opened: bool) -> None:
        self.button.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        self.body.setVisible(opened)
        self.toggled.emit(opened)
