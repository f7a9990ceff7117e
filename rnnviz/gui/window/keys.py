"""Training keys (Space, S, →) that work from anywhere in the window, except while typing.

Qt asks the focused widget first with a ShortcutOverride event. Text fields (line edits, spin
boxes such as the learning rate) keep every unmodified key while they have the focus: the
person is typing. Enter or Escape in such a field commits it (Qt sends editingFinished) and
then takes the focus away, so that Space trains again: the hint under the buttons says so.
Combo boxes, sliders, check boxes and buttons keep only their navigation keys (arrows, Page
Up/Down, Home, End); Space and S go to the training shortcuts, so choosing a cell and then
pressing Space starts training instead of reopening the chooser. Ctrl shortcuts work everywhere.

Only the focused widget is watched (and the spin box or combo box it belongs to): Qt sends both
events to it. A filter on the whole application would run Python for every event of every
widget, the plots' paint events among them, a cost paid at every redraw.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtWidgets import (QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit,
                             QTextEdit, QWidget)

TEXT_FIELDS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)
ONE_LINE_FIELDS = (QLineEdit, QAbstractSpinBox)  # Enter commits these (a text edit takes a newline)
CHOOSERS = (QComboBox, QAbstractSlider)
NAVIGATION = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
              Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End)
GIVE_BACK = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)
PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.KeypadModifier)
HINT = "Keys: Space train/pause · S step · Enter or Esc in a field gives the keys back · F1 help"


class InputKeysFirst(QObject):
    """Typing goes to text fields, training keys work elsewhere: follows the application's focus
    and watches the focused widget's events."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watched: list[QWidget] = []
        app = QApplication.instance()
        app.focusChanged.connect(self._follow_focus)  # disconnected by Qt when this object goes
        self._follow_focus(None, app.focusWidget())

    def _follow_focus(self, _old, new) -> None:
        """Watch ``new`` (and the spin box or combo box whose editor it is) instead of the last ones."""
        for widget in self._watched:
            try:
                widget.removeEventFilter(self)
            except RuntimeError:  # deleted meanwhile: nothing to remove
                pass
        self._watched = []
        if new is None:
            return
        self._watched.append(new)
        owner = new.parent()
        if isinstance(owner, (QAbstractSpinBox, QComboBox)):
            self._watched.append(owner)
        for widget in self._watched:
            widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt name
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and event.modifiers() in PLAIN:
            if isinstance(watched, TEXT_FIELDS) or (isinstance(watched, CHOOSERS) and event.key() in NAVIGATION):
                event.accept()  # "this widget wants the key": Qt then delivers it as a key press
        elif kind == QEvent.Type.KeyPress and event.key() in GIVE_BACK and isinstance(watched, ONE_LINE_FIELDS):
            field = watched.parent() if isinstance(watched.parent(), QAbstractSpinBox) else watched
            QTimer.singleShot(0, field.clearFocus)  # after the field has handled the key (and committed)
        elif kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape and isinstance(watched, TEXT_FIELDS):
            QTimer.singleShot(0, watched.clearFocus)
        return False
