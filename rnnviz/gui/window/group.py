"""The Compare dialog: fork the window's run, train the forks side by side, read them overlaid.

"Fork…" (Train menu) copies the run as it is now (the worker hands over a deep copy between two
steps) into a ``RunGroup``; each fork changes one setting (learning rate, clipping, optimizer,
recurrent scale, cell, ...). "Train side by side" trains every run the same number of steps on
the same batches, on this dialog's own thread, and the overlaid panel follows; "Seeds" turns
every curve into a median with a min–max band over that many seeds. "Show in window" sends a
copy of the chosen run to the main window, where every other panel shows it (the run
selector); "Save group…" writes every run as a session plus group.json, "Open group…" reads one.
"""

from __future__ import annotations

import copy
import time

from PyQt6 import QtCore, QtWidgets

from rnnviz.core.errors import UserError
from rnnviz.core.train.group import MAX_RUNS, MAX_SEEDS, RunGroup
from rnnviz.core.train.sweep import MODEL_FIELDS, TRAIN_FIELDS, coerce
from rnnviz.gui.panels.group import GroupPanel

FORKABLE = ("lr", "clip_norm", "clip_value", "optimizer", "recurrent_scale", "cell", "hidden", "layers",
            "init", "init_scale", "forget_bias", "batch")
SLICE_STEPS = 10  # steps between two looks at the stop flag and the clock
VIEW_SECONDS = 0.5  # the overlays are recomputed at most twice a second while training
DEFAULT_STEPS = 200


def fork_changes(name: str, text: str) -> dict:
    """A setting as typed in the form -> the config fields a fork changes. Raises UserError."""
    if name not in FORKABLE:
        raise UserError(f"cannot fork on {name!r}; choose one of {', '.join(FORKABLE)}")
    if name in ("clip_norm", "clip_value") and text.strip().lower() in ("", "none", "off"):
        return {"clip_mode": "none"}
    value = coerce(name, text.strip())
    if name in ("clip_norm", "clip_value"):
        return {"clip_mode": name.split("_")[1], "clip_threshold": value}
    if name == "cell" and value == "irnn":
        return {"cell": "relu", "init": "identity"}
    return {MODEL_FIELDS.get(name) or TRAIN_FIELDS[name]: value}


class GroupWorker(QtCore.QObject):
    overlays_ready = QtCore.pyqtSignal(object)
    finished = QtCore.pyqtSignal(str)

    def __init__(self, group: RunGroup) -> None:
        super().__init__()
        self.group = group
        self.stop_asked = False

    @QtCore.pyqtSlot(int)
    def train(self, steps: int) -> None:
        message = ""
        try:
            last, done = 0.0, 0
            while done < steps and not self.stop_asked:
                done += self.group.step_all(min(SLICE_STEPS, steps - done))
                if time.perf_counter() - last >= VIEW_SECONDS or done >= steps:
                    last = time.perf_counter()
                    self.overlays_ready.emit(self.group.overlays())
        except Exception as exc:  # noqa: BLE001 - reported in the dialog, never kills the thread
            message = f"training stopped: {type(exc).__name__}: {exc}"
        finally:
            self.finished.emit(message)


class CompareDialog(QtWidgets.QDialog):
    train_requested = QtCore.pyqtSignal(int)

    def __init__(self, trainer, show_run, parent=None) -> None:
        """``show_run(trainer, data_choice)`` puts a copy of a run into the main window."""
        super().__init__(parent)
        self.setWindowTitle("Compare runs")
        self.group = RunGroup(trainer)
        self.show_run = show_run
        self.thread = self.worker = None
        layout = QtWidgets.QVBoxLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.setting = QtWidgets.QComboBox()
        self.setting.addItems(FORKABLE)
        self.value = QtWidgets.QLineEdit()
        self.value.setPlaceholderText("new value (clip: a threshold, or none)")
        self.value.returnPressed.connect(self.fork)
        self.fork_button = QtWidgets.QPushButton("Fork")
        self.fork_button.setToolTip("a sibling of the selected run with this setting changed: same weights, "
                                    "optimizer state and data position (fresh weights when the shape changes)")
        self.fork_button.clicked.connect(self.fork)
        self.tanh_button = QtWidgets.QPushButton("Fork with tanh")
        self.tanh_button.clicked.connect(lambda: self.fork_with({"cell": "tanh"}))
        for widget in (QtWidgets.QLabel("fork on"), self.setting, self.value, self.fork_button, self.tanh_button):
            row.addWidget(widget)
        layout.addLayout(row)
        row = QtWidgets.QHBoxLayout()
        self.runs = QtWidgets.QListWidget()
        self.runs.setMaximumHeight(90)
        row.addWidget(self.runs, 1)
        side = QtWidgets.QVBoxLayout()
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        self.show_button = QtWidgets.QPushButton("Show in window")
        self.show_button.setToolTip("every panel of the main window shows a copy of the selected run")
        self.show_button.clicked.connect(self.show_selected)
        self.save_button = QtWidgets.QPushButton("Save group…")
        self.save_button.clicked.connect(self.choose_save)
        self.open_button = QtWidgets.QPushButton("Open group…")
        self.open_button.setToolTip("replace these runs by a group saved before, each where it stopped")
        self.open_button.clicked.connect(self.choose_open)
        for widget in (self.remove_button, self.show_button, self.save_button, self.open_button):
            side.addWidget(widget)
        row.addLayout(side)
        layout.addLayout(row)
        row = QtWidgets.QHBoxLayout()
        self.steps = QtWidgets.QSpinBox()
        self.steps.setRange(1, 1_000_000)
        self.steps.setValue(DEFAULT_STEPS)
        self.train_button = QtWidgets.QPushButton("Train side by side")
        self.train_button.clicked.connect(self.train)
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.seeds = QtWidgets.QSpinBox()
        self.seeds.setRange(1, MAX_SEEDS)
        self.seeds.setToolTip("each run over this many seeds: curves become the median with a min–max band")
        self.seeds_button = QtWidgets.QPushButton("Apply seeds")
        self.seeds_button.clicked.connect(self.apply_seeds)
        for widget in (QtWidgets.QLabel("steps"), self.steps, self.train_button, self.stop_button,
                       QtWidgets.QLabel("seeds"), self.seeds, self.seeds_button):
            row.addWidget(widget)
        layout.addLayout(row)
        self.state = QtWidgets.QLabel("")
        layout.addWidget(self.state)
        self.panel = GroupPanel()
        layout.addWidget(self.panel, 1)
        self.resize(1100, 620)
        self.refresh()

    # ----------------------------------------------------------------- the group
    def refresh(self) -> None:
        same = self.group.same_batches()
        self.runs.clear()
        for member, shared in zip(self.group.members, same):
            note = "" if shared else "  [other batches]"
            self.runs.addItem(f"{member.label} — step {member.trainer.step_count}{note}")
        self.runs.setCurrentRow(max(self.runs.currentRow(), 0))
        self.seeds.setValue(self.group.seed_count)
        self.fork_button.setEnabled(len(self.group.members) < MAX_RUNS and self.thread is None)
        self.tanh_button.setEnabled(self.fork_button.isEnabled())
        self.panel.show_overlays(self.group.overlays())

    def fork(self) -> None:
        try:
            changes = fork_changes(self.setting.currentText(), self.value.text())
        except UserError as exc:
            QtWidgets.QMessageBox.warning(self, "Fork", str(exc))
            return
        self.fork_with(changes)

    def fork_with(self, changes: dict) -> None:
        if self.thread is not None:
            return
        try:
            self.group.fork(max(self.runs.currentRow(), 0), **changes)
        except UserError as exc:
            QtWidgets.QMessageBox.warning(self, "Fork", str(exc))
            return
        self.refresh()

    def remove(self) -> None:
        if self.thread is not None:
            return
        try:
            self.group.remove(self.runs.currentRow())
        except UserError as exc:
            QtWidgets.QMessageBox.warning(self, "Remove", str(exc))
            return
        self.refresh()

    def apply_seeds(self) -> None:
        if self.thread is None:
            self.group.with_seeds(self.seeds.value())
            self.refresh()

    def show_selected(self) -> None:
        member = self.group.members[max(self.runs.currentRow(), 0)]
        trainer = copy.deepcopy(member.trainer)
        self.show_run(trainer, dict(trainer.source_spec or {}))

    def choose_save(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Save the group into a folder")
        if folder:
            self.save_to(folder)

    def save_to(self, folder) -> None:
        try:
            written = self.group.save(folder)
        except UserError as exc:
            QtWidgets.QMessageBox.warning(self, "Save group", str(exc))
            return
        self.state.setText(f"saved {len(written) - 1} runs and group.json to {folder}")

    def choose_open(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Open a saved group (a folder with group.json)")
        if folder:
            self.open_from(folder)

    def open_from(self, folder) -> None:
        """Replace the group by the one saved in ``folder``; a bad folder leaves it as it was."""
        if self.thread is not None:
            return
        try:
            group = RunGroup.load(folder)
        except UserError as exc:
            QtWidgets.QMessageBox.warning(self, "Open group", str(exc))
            return
        self.group = group
        self.refresh()
        self.state.setText(f"opened {len(group.members)} runs from {folder}")

    # ----------------------------------------------------------------- training
    def train(self) -> None:
        if self.thread is not None:
            return
        self.worker = GroupWorker(self.group)
        self.thread = QtCore.QThread(self)
        self.worker.moveToThread(self.thread)
        self.train_requested.connect(self.worker.train, QtCore.Qt.ConnectionType.QueuedConnection)
        self.worker.overlays_ready.connect(self.panel.show_overlays)
        self.worker.finished.connect(self.on_finished)
        self.thread.start()
        for button in (self.train_button, self.fork_button, self.tanh_button, self.remove_button,
                       self.seeds_button, self.save_button, self.open_button):
            button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.state.setText(f"training {len(self.group.members)} runs side by side…")
        self.train_requested.emit(self.steps.value())

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop_asked = True

    def on_finished(self, message: str) -> None:
        self.train_requested.disconnect(self.worker.train)
        self.thread.quit()
        self.thread.wait()
        self.thread = self.worker = None
        for button in (self.train_button, self.remove_button, self.seeds_button, self.save_button, self.open_button):
            button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.state.setText(message or "trained: " + ", ".join(
            f"{m.label} at step {m.trainer.step_count}" for m in self.group.members))
        self.refresh()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.thread is not None:
            self.stop()
            self.thread.quit()
            self.thread.wait(30_000)
        super().closeEvent(event)


# ---------------------------------------------------------------------- the window's side
def add_fork_action(window, menu):
    return window._action(menu, "&Fork and compare…", lambda: request_fork(window), "Ctrl+K")


class ForkReceiver(QtCore.QObject):
    """Lives in the GUI thread (a child of the window), so the worker's copy arrives here queued."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        window.worker.run_copy.connect(self.arrived)

    @QtCore.pyqtSlot(object)
    def arrived(self, trainer) -> None:
        open_compare_dialog(self.window, trainer)


def request_fork(window) -> None:
    """Ask the worker for a copy of the run; the dialog opens when it arrives."""
    if getattr(window, "fork_receiver", None) is None:
        window.fork_receiver = ForkReceiver(window)
    QtCore.QMetaObject.invokeMethod(window.worker, "copy_run", QtCore.Qt.ConnectionType.QueuedConnection)


def open_compare_dialog(window, trainer) -> CompareDialog | None:
    if trainer is None:
        window.show_error("Fork", "there is no run to fork yet")
        return None
    from rnnviz.core.train.group import check_forkable

    try:
        check_forkable(trainer)
    except UserError as exc:
        window.show_error("Fork", str(exc))
        return None
    old = getattr(window, "compare_dialog", None)
    if old is not None:
        old.close()
    dialog = window.compare_dialog = CompareDialog(trainer, window.start_with_trainer, window)
    dialog.show()
    dialog.raise_()
    return dialog
