"""Single-key shortcuts (Space, S, →) must not steal keys from the widget a person is typing in.

Qt asks the focused widget first with a ShortcutOverride event; line edits claim printable keys
themselves, but combo boxes and sliders do not, so Space in the cell chooser would start
training and → on the temperature slider would take a training step. This filter claims
unmodified keys for every input widget; shortcuts with Ctrl still work everywhere.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit

INPUT_WIDGETS = (QComboBox, QAbstractSlider, QAbstractSpinBox, QLineEdit, QTextEdit, QPlainTextEdit)
PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.KeypadModifier)


class InputKeysFirst(QObject):
    """Install on the QApplication: unmodified keys go to a focused input widget, not to shortcuts."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt name
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(watched, INPUT_WIDGETS)
                and event.modifiers() in PLAIN):
            event.accept()  # "this widget wants the key": Qt then delivers it as a key press
        return False
