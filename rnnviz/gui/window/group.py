"""Fork and compare inside the main window: the Runs dock.

"Fork and compare…" (Train menu, Ctrl+K) turns the window's run into a group of runs that the
window's own training thread trains side by side, on the same batches (``GroupedTrainer``).
The Runs dock forks the selected run with one setting changed (learning rate, clipping,
optimizer, recurrent scale, cell, ...; "Fork with tanh" is the old tanh comparison), removes
forks, sets seeds (every curve then a median with a min–max band), and chooses which run every
other panel shows (the run selector). The loss, gradient and chain panels overlay the other runs
with a legend naming what differs; the dock's own panel shows all three overlaid with their
bands. File > Save saves the whole group beside the session; opening that session restores it.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from rnnviz.core.errors import UserError
from rnnviz.core.train.group import MAX_RUNS, MAX_SEEDS, RunGroup
from rnnviz.core.train.group_settings import (FOR_SHAPES, FORKABLE, TIPS, check_fits, fits_shape, fork_changes,
                                              tanh_changes)
from rnnviz.core.train.group_trainer import GroupedTrainer
from rnnviz.gui.panels.group import GroupPanel

NO_GROUP = "One run. Fork it to compare: the forks train beside it on the same batches."


class RunsDock(QtWidgets.QWidget):
    """Fork, remove, seeds and the run selector of the window's group, above the overlaid panel."""

    def __init__(self, window) -> None:
        super().__init__()
        self.window = window
        self._pending: dict | None = None  # a fork asked for before the group existed (the copy is on its way)
        self._awaiting = False  # the group was handed to the worker; views of the old run may still arrive
        self._overlays = None  # the overlays drawn last (recomputed by the core at most twice a second)
        layout = QtWidgets.QVBoxLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.setting = QtWidgets.QComboBox()
        self.setting.addItems(FORKABLE)
        for i, name in enumerate(FORKABLE):
            tip = FOR_SHAPES[name][1] if name in FOR_SHAPES else TIPS.get(name, "a fork with this setting changed")
            self.setting.setItemData(i, tip, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.setting.setToolTip("the setting the fork changes (hover an entry for what it does); settings of "
                                "other network shapes are greyed out")
        self.value = QtWidgets.QLineEdit()
        self.value.setPlaceholderText("new value (clip: a threshold, or none)")
        self.value.returnPressed.connect(self.fork)
        self.fork_button = QtWidgets.QPushButton("Fork")
        self.fork_button.setToolTip("a sibling of the selected run with this setting changed: same weights, "
                                    "optimizer state and data position (fresh weights when the shape changes)")
        self.fork_button.clicked.connect(self.fork)
        self.tanh_button = QtWidgets.QPushButton("Fork with tanh")
        self.tanh_button.setToolTip("the selected run with a tanh cell (fresh weights unless it is tanh already); "
                                    "every shape: both directions, or the encoder and the decoder, become tanh")
        self.tanh_button.clicked.connect(self.fork_with_tanh)
        for widget in (QtWidgets.QLabel("fork on"), self.setting, self.value, self.fork_button, self.tanh_button):
            row.addWidget(widget)
        layout.addLayout(row)
        row = QtWidgets.QHBoxLayout()
        self.selector = QtWidgets.QComboBox()
        self.selector.setToolTip("the run every other panel shows (each run keeps its own snapshot)")
        self.selector.activated.connect(self.select)
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.remove_button.setToolTip("remove the selected fork (the first run stays)")
        self.remove_button.clicked.connect(self.remove)
        self.seeds = QtWidgets.QSpinBox()
        self.seeds.setRange(1, MAX_SEEDS)
        self.seeds.setToolTip("each run over this many seeds: curves become the median with a min–max band")
        self.seeds_button = QtWidgets.QPushButton("Apply seeds")
        self.seeds_button.clicked.connect(self.apply_seeds)
        for widget in (QtWidgets.QLabel("show run"), self.selector, self.remove_button,
                       QtWidgets.QLabel("seeds"), self.seeds, self.seeds_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        self.state = QtWidgets.QLabel(NO_GROUP)
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.panel = GroupPanel()
        layout.addWidget(self.panel, 1)
        window.worker.view_ready.connect(self.on_view)
        self._enable(None)

    # ----------------------------------------------------------------- the group
    @property
    def grouped(self) -> GroupedTrainer | None:
        return getattr(self.window, "grouped", None)

    def _enable(self, grouped) -> None:
        count = len(grouped.group.members) if grouped is not None else 1
        self.fork_button.setEnabled(count < MAX_RUNS)
        self.tanh_button.setEnabled(count < MAX_RUNS)
        self._offer_for(grouped.current.model_config if grouped is not None else None)
        for widget in (self.selector, self.remove_button, self.seeds, self.seeds_button):
            widget.setEnabled(grouped is not None)

    def _offer_for(self, model_config) -> None:
        """Grey out the settings that mean nothing for the shown run's shape (all offered without a run)."""
        items = self.setting.model()
        for i, name in enumerate(FORKABLE):
            items.item(i).setEnabled(model_config is None or fits_shape(name, model_config))

    def on_view(self, view) -> None:
        """A new view of the window's run: the selector and the overlays follow its group."""
        from rnnviz.core.config import ModelConfig

        if getattr(view, "model_config", None):
            self._offer_for(ModelConfig.from_dict(view.model_config))
        group = getattr(view, "group", None)
        if group is None and self._awaiting:
            return  # a view of the run the group was copied from, sent before the group arrived
        self._awaiting = False
        if group is None:  # a new run replaced the group (a preset, Reset, an opened file)
            self.window.grouped = None
            self.selector.clear()
            self.state.setText(NO_GROUP)
            self._enable(None)
            if self._overlays is not None:
                self._overlays = None
                self.panel.show_overlays([])
            return
        self._enable(self.grouped)
        labels = [f"{k}: {label} — step {step}" + ("" if same else "  [other batches]")
                  for k, (label, step, same) in enumerate(zip(group.labels, group.steps, group.same_batches))]
        if [self.selector.itemText(i).split(" — ")[0] for i in range(self.selector.count())] != \
                [text.split(" — ")[0] for text in labels]:
            self.selector.clear()
            self.selector.addItems(labels)
        else:
            for i, text in enumerate(labels):
                self.selector.setItemText(i, text)
        self.selector.setCurrentIndex(group.selected)
        self.seeds.setValue(group.seeds)
        self.state.setText(f"{len(group.labels)} runs side by side on the same batches; the other panels show "
                           f"run {group.selected} ({group.labels[group.selected]})")
        if group.overlays is not self._overlays:
            self._overlays = group.overlays
            self.panel.show_overlays(group.overlays)

    def fork(self) -> None:
        try:
            if not self.setting.model().item(self.setting.currentIndex()).isEnabled():
                check_fits(self.setting.currentText(), self._shown_config())
            changes = fork_changes(self.setting.currentText(), self.value.text())
        except UserError as exc:
            self.window.show_error("Fork", str(exc))
            return
        self.fork_with(changes)

    def _shown_config(self):
        """The ModelConfig of the run the window shows (None before it has one)."""
        from rnnviz.core.config import ModelConfig

        grouped = self.grouped
        if grouped is not None:
            return grouped.current.model_config
        model = getattr(getattr(self.window, "latest_view", None), "model_config", None)
        return ModelConfig.from_dict(model) if model else None

    def fork_with_tanh(self) -> None:
        """The shown run with tanh units in every stack (an encoder-decoder's decoder too)."""
        config = self._shown_config()
        self.fork_with(tanh_changes(config.to_dict() if config is not None else {}))

    def fork_with(self, changes: dict) -> None:
        """Fork the selected run; the first fork turns the window's run into a group."""
        grouped = self.grouped
        if self._pending is not None or self._awaiting:
            return  # the group is being made: one fork at a time
        if grouped is None:
            self._pending = dict(changes)
            request_copy(self.window)  # the group starts from a copy taken between two steps
            return
        try:
            grouped.fork(changes)
        except UserError as exc:
            self.window.show_error("Fork", str(exc))
            return
        self._changed()

    def start_group(self, trainer) -> None:
        """The worker's copy of the run arrived: make it the group's first run, fork it, train the group."""
        changes, self._pending = self._pending, None
        if trainer is None:
            self.window.show_error("Fork", "there is no run to fork yet")
            return
        try:
            grouped = GroupedTrainer(RunGroup(trainer))
            if changes:
                grouped.fork(changes)
        except UserError as exc:
            self.window.show_error("Fork", str(exc))
            return
        self.adopt(grouped)
        self.window.start_with_trainer(grouped, dict(self.window.data_choice))

    def adopt(self, grouped: GroupedTrainer) -> None:
        """``grouped`` is about to become the window's run."""
        self.window.grouped = grouped
        self._awaiting = True
        self._enable(grouped)

    def select(self, index: int) -> None:
        grouped = self.grouped
        if grouped is None or index < 0:
            return
        grouped.select(index)
        self.window.on_trainer_changed(self.window.worker.trainer_info())  # the form shows that run's settings
        self._changed()

    def remove(self) -> None:
        grouped = self.grouped
        if grouped is None:
            return
        try:
            grouped.remove(grouped.selected)
        except UserError as exc:
            self.window.show_error("Remove", str(exc))
            return
        self._changed()

    def apply_seeds(self) -> None:
        grouped = self.grouped
        if grouped is not None:
            try:
                grouped.with_seeds(self.seeds.value())
            except UserError as exc:
                self.window.show_error("Seeds", str(exc))
                return
            self._changed()

    def _changed(self) -> None:
        self._enable(self.grouped)
        self.window.request_view.emit()  # a fresh view with the group as it now is


# ---------------------------------------------------------------------- the window's side
def add_fork_action(window, menu):
    return window._action(menu, "&Fork and compare…", lambda: show_runs(window), "Ctrl+K")


class CopyReceiver(QtCore.QObject):
    """Lives in the GUI thread (a child of the window), so the worker's copy arrives here queued."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        window.worker.run_copy.connect(self.arrived)

    @QtCore.pyqtSlot(object)
    def arrived(self, trainer) -> None:
        runs_dock(self.window).start_group(trainer)


def request_copy(window) -> None:
    """Ask the worker for a copy of the run, taken between two steps."""
    if getattr(window, "copy_receiver", None) is None:
        window.copy_receiver = CopyReceiver(window)
    QtCore.QMetaObject.invokeMethod(window.worker, "copy_run", QtCore.Qt.ConnectionType.QueuedConnection)


def runs_dock(window) -> RunsDock:
    """The window's Runs dock, built on first use (below the plots)."""
    dock = getattr(window, "runs_dock", None)
    if dock is None:
        widget = RunsDock(window)
        dock = window._dock("Runs side by side", "runs", widget)
        beside = next((window.docks[p] for p in window.panels if p.view_name == "weights"), None)
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if beside is not None:  # a tab of its own in the plots' grid: the other plots keep their height
            window.tabifyDockWidget(beside, dock)
        window.runs_dock = dock
    return dock.widget()


def show_runs(window) -> RunsDock:
    """Show the Runs dock (Train > Fork and compare…)."""
    widget = runs_dock(window)
    window.runs_dock.show()
    window.runs_dock.raise_()
    return widget


def group_saved_beside(window, path, trainer):
    """The group saved with the session at ``path`` (shown in the Runs dock), or ``trainer`` itself
    when the session was saved without one or its group cannot be read (said in a dialog)."""
    from rnnviz.core.train.group_trainer import load_group_beside

    try:
        grouped = load_group_beside(path, trainer)
    except (UserError, OSError) as exc:
        window.show_error("Open session", f"The run is opened alone: the runs saved beside it could not be "
                                          f"read:\n{exc}")
        return trainer
    if grouped is None:
        return trainer
    show_runs(window).adopt(grouped)
    return grouped


def compare_with_tanh(window) -> None:
    """The tanh comparison as one case of fork and compare: a tanh fork of the selected run."""
    show_runs(window).fork_with_tanh()
