"""The Sweep dialog: a grid around the current settings, run on Dask, its phase diagram filling live.

The grid starts from the window's settings (the form's model and training settings, the
current task); the user picks up to three settings to vary, with the same syntax as
``rnnviz sweep --vary`` (``0.5:2.0:8``, ``10,20,50``), the seeds and the steps. Points run on
a local cluster started for the sweep, or on the cluster whose scheduler address is given.
They run from a ``SweepWorker`` on its own QThread, so the window stays responsive; every
finished point arrives as a signal and the diagram is drawn again from the core's table.
Clicking a cell trains that point again, from its first seed, in the main window.

Without Dask the window's Sweep action is disabled and says how to install it.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from rnnviz.core.errors import UserError
from rnnviz.core.train.sweep import SETTINGS, build_trainer
from rnnviz.core.train.sweep_grid import check_points, make_grid
from rnnviz.core.train.sweep_table import METRIC_LABELS, phase_table
from rnnviz.gui.panels.sweep import PhasePanel

VARY_ROWS = 3  # x, y and facet of the phase diagram
DEFAULT_VARY = (("recurrent_scale", "0.5:1.5:6"), ("length", "10,20,40"), ("", ""))
DEFAULT_STEPS = 200  # a few seconds a point at the window's usual sizes
DEFAULT_SEEDS = 2


def sweep_settings(model: dict, train: dict, data: dict) -> dict:
    """The window's form as sweep settings (rnnviz run's flag names)."""
    settings = {"cell": model.get("cell"), "hidden": model.get("hidden_size"), "layers": model.get("num_layers"),
                "init": model.get("init"), "init_scale": model.get("init_scale"),
                "recurrent_scale": model.get("recurrent_scale"), "forget_bias": model.get("forget_bias"),
                "optimizer": train.get("optimizer"), "lr": train.get("lr"), "batch": train.get("batch_size")}
    if model.get("bidirectional"):
        settings["bidirectional"] = True
    if model.get("arch", "stack") != "stack":  # the shape's own settings (defaults left out of the grid)
        settings.update(arch=model["arch"], context=model.get("context"), decoder_hidden=model.get("decoder_hidden_size"),
                        decoder_cell=model.get("decoder_cell"), reverse_source=model.get("reverse_source") or None)
    if train.get("clip_mode") in ("norm", "value"):
        settings[f"clip_{train['clip_mode']}"] = train.get("clip_threshold")
    if data.get("kind") == "task":
        settings.update(task=data.get("name"), length=data.get("length"))
    else:
        settings.update(task="adding")  # sweeps in the window run on tasks: they have a success criterion
    return {k: v for k, v in settings.items() if v is not None}


class SweepWorker(QtCore.QObject):
    """Runs one sweep on its thread: start a cluster (or connect), run the points, close."""

    started = QtCore.pyqtSignal(str)  # where it runs
    point_done = QtCore.pyqtSignal(dict)  # settings + seed + the row
    finished = QtCore.pyqtSignal(str)  # "" when it ran to the end, else why it stopped

    def __init__(self) -> None:
        super().__init__()
        self.point_run = None
        self.stop_asked = False

    @QtCore.pyqtSlot(object, object, object)
    def run(self, tasks, scheduler, workers) -> None:
        from rnnviz.core.train.sweep_dask import Cluster, PointRun

        message = ""
        try:
            with Cluster(scheduler, workers) as cluster:
                self.started.emit(cluster.description)
                self.point_run = PointRun(cluster, tasks)
                if not self.stop_asked:
                    self.point_run.run(lambda key, settings, seed, row:
                                       self.point_done.emit({**settings, "seed": seed, **row}))
                if self.stop_asked:
                    message = "stopped"
        except UserError as exc:
            message = str(exc)
        except Exception as exc:  # noqa: BLE001 - a cluster failure is reported, never a crash
            message = f"the sweep failed: {type(exc).__name__}: {exc}"
        finally:
            self.point_run = None
            self.finished.emit(message)

    def stop(self) -> None:
        """From any thread: cancel the pending points."""
        self.stop_asked = True
        if self.point_run is not None:
            self.point_run.stop()


class SweepDialog(QtWidgets.QDialog):
    """``open_run(trainer, data_choice, steps)`` is called when a cell is clicked."""

    run_requested = QtCore.pyqtSignal(object, object, object)

    def __init__(self, base: dict, open_run, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.base = dict(base)
        self.open_run = open_run
        self.grid = None
        self.rows: list[dict] = []
        self.total = 0
        self.worker = self.thread = None
        layout = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        layout.addLayout(form)
        self.base_label = QtWidgets.QLabel("")
        self.base_label.setWordWrap(True)
        self.base_label.setToolTip("every point uses these settings from the window, except those varied")
        form.addRow("held fixed", self.base_label)
        self.set_base(base)
        self.vary_rows = []
        names = [""] + list(SETTINGS)
        for i, (name, values) in enumerate(DEFAULT_VARY):
            combo = QtWidgets.QComboBox()
            combo.addItems(names)
            combo.setCurrentText(name)
            edit = QtWidgets.QLineEdit(values)
            edit.setPlaceholderText("START:STOP:COUNT or V1,V2,...")
            row = QtWidgets.QHBoxLayout()
            row.addWidget(combo)
            row.addWidget(edit, 1)
            form.addRow(("x across", "y up", "one map per")[i], row)
            self.vary_rows.append((combo, edit))
        self.seeds = QtWidgets.QSpinBox()
        self.seeds.setRange(1, 100)
        self.seeds.setValue(DEFAULT_SEEDS)
        form.addRow("seeds per point", self.seeds)
        self.steps = QtWidgets.QSpinBox()
        self.steps.setRange(0, 1_000_000)
        self.steps.setValue(DEFAULT_STEPS)
        form.addRow("steps per point", self.steps)
        self.metric = QtWidgets.QComboBox()
        for key, label in METRIC_LABELS.items():
            self.metric.addItem(label, key)
        self.metric.currentIndexChanged.connect(self.redraw)
        form.addRow("diagram shows", self.metric)
        self.scheduler = QtWidgets.QLineEdit()
        self.scheduler.setPlaceholderText("empty: a local cluster, one worker per core; or tcp://HOST:8786")
        form.addRow("Dask scheduler", self.scheduler)
        buttons = QtWidgets.QHBoxLayout()
        self.run_button = QtWidgets.QPushButton("Run sweep")
        self.run_button.clicked.connect(self.start)
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.export_button = QtWidgets.QPushButton("Export diagram…")
        self.export_button.setToolTip("write the phase diagram as PNG, SVG or CSV (the numbers behind it)")
        self.export_button.clicked.connect(self.choose_export)
        self.progress = QtWidgets.QProgressBar()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.progress, 1)
        layout.addLayout(buttons)
        self.state = QtWidgets.QLabel("Set the grid and press Run sweep. Click a cell to train that point "
                                      "in the main window.")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.phase = PhasePanel()
        self.phase.cell_clicked.connect(self.open_cell)
        layout.addWidget(self.phase, 1)
        self.resize(900, 720)

    def set_base(self, base: dict) -> None:
        """New fixed settings (the window's form changed since the dialog was made)."""
        self.base = dict(base)
        self.base_label.setText(", ".join(f"{k}={v}" for k, v in self.base.items()))

    # ----------------------------------------------------------------- the grid
    def build_grid(self):
        vary = [f"{combo.currentText()}={edit.text().strip()}" for combo, edit in self.vary_rows
                if combo.currentText()]
        fixed = {**self.base, "steps": self.steps.value()}
        varied_names = {text.split("=", 1)[0] for text in vary}
        fixed = {k: v for k, v in fixed.items() if k not in varied_names}
        if {"clip_norm", "clip_value"} <= set(fixed) | varied_names:
            fixed.pop("clip_value" if "clip_norm" in varied_names else "clip_norm", None)
        grid = make_grid(vary, fixed, list(range(self.seeds.value())))
        check_points(grid)
        return grid

    def start(self) -> None:
        if self.thread is not None:
            return
        try:
            grid = self.build_grid()
            scheduler = self.scheduler.text().strip() or None
            if scheduler is not None:
                from rnnviz.core.train.sweep_dask import check_address

                check_address(scheduler)
        except UserError as exc:
            QtWidgets.QMessageBox.warning(self, "Sweep", str(exc))
            return
        self.grid, self.rows = grid, []
        tasks = grid.tasks()
        self.total = len(tasks)
        self.progress.setRange(0, self.total)
        self.progress.setValue(0)
        self.state.setText(f"starting {'a local cluster' if scheduler is None else scheduler} for "
                           f"{self.total} runs…")
        self.redraw()
        self.worker = SweepWorker()
        self.thread = QtCore.QThread(self)
        self.worker.moveToThread(self.thread)
        self.run_requested.connect(self.worker.run, QtCore.Qt.ConnectionType.QueuedConnection)
        self.worker.started.connect(lambda where: self.state.setText(f"running {self.total} runs on a {where}"))
        self.worker.point_done.connect(self.on_point)
        self.worker.finished.connect(self.on_finished)
        self.thread.start()
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.run_requested.emit(tasks, scheduler, None)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.state.setText("stopping: cancelling the pending points…")

    def on_point(self, row: dict) -> None:
        self.rows.append(row)
        self.progress.setValue(len(self.rows))
        self.redraw()

    def on_finished(self, message: str) -> None:
        self.run_requested.disconnect(self.worker.run)
        self.thread.quit()
        self.thread.wait()
        self.thread = self.worker = None
        self.run_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        done = f"{len(self.rows)} of {self.total} runs done"
        self.state.setText(f"{done}: {message}" if message else f"{done}. Click a cell to train that point.")

    def redraw(self) -> None:
        if self.grid is None:
            return
        self.phase.show_table(phase_table(self.rows, self.grid.varied, self.metric.currentData()))

    def choose_export(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the phase diagram", "phase.png",
                                                        "Images and numbers (*.png *.svg *.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path) -> None:
        """The diagram as the CLI writes it (same panel, same exporter); a bad path is a dialog."""
        from rnnviz.gui.export import export_panel

        if self.grid is None:
            QtWidgets.QMessageBox.warning(self, "Export diagram", "run a sweep first: there is no diagram yet")
            return
        try:
            written = export_panel(self.phase, path)
        except UserError as exc:
            QtWidgets.QMessageBox.warning(self, "Export diagram", str(exc))
            return
        self.state.setText(f"exported the phase diagram to {written}")

    # ----------------------------------------------------------------- opening a point
    def open_cell(self, chosen: dict) -> None:
        if self.grid is None:
            return
        settings = {**self.grid.points()[0], **chosen}  # a varied setting off the axes: its first value
        seed = self.grid.seeds[0]
        try:
            trainer = build_trainer(settings, seed)
        except UserError as exc:
            QtWidgets.QMessageBox.warning(self, "Sweep", str(exc))
            return
        self.open_run(trainer, dict(trainer.source_spec), int(settings.get("steps") or 0))
        self.state.setText("training " + ", ".join(f"{k}={v}" for k, v in chosen.items())
                           + f", seed {seed} in the main window")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.thread is not None:
            self.worker.stop()
            self.thread.quit()
            self.thread.wait(30_000)
        super().closeEvent(event)


# ---------------------------------------------------------------------- the window's side
def add_sweep_action(window, menu):
    """The Train menu's "Sweep…": disabled, with the install hint, when Dask is missing."""
    from rnnviz.core.train.sweep_dask import INSTALL_HINT, dask_available

    action = window._action(menu, "S&weep…", lambda: open_sweep_dialog(window))
    if dask_available():
        action.setStatusTip("train a grid of settings around this run on Dask and draw its phase diagram")
    else:
        action.setEnabled(False)
        action.setStatusTip(INSTALL_HINT)
        action.setToolTip(INSTALL_HINT)
    return action


def open_sweep_dialog(window) -> SweepDialog | None:
    model = window.controls.model_settings()
    base = sweep_settings(model, window.controls.train_settings(), window.controls.data_choice())
    dialog = getattr(window, "sweep_dialog", None)
    if dialog is None:
        def open_run(trainer, data_choice, steps):
            window.start_with_trainer(trainer, data_choice)
            if steps > 0:
                window.train_steps(steps)

        dialog = window.sweep_dialog = SweepDialog(base, open_run, window)
    else:
        dialog.set_base(base)
    dialog.show()
    dialog.raise_()
    return dialog
