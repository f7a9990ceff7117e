"""The main window's behaviour: the worker, the redraw timer, the status bar, closing.

What the window is made of (docks, their arrangement, menus) is in ``window_layout``; the
File menu's actions are in ``window_files``.

The window never trains and never touches the Trainer: it sends requests to the
``TrainingWorker`` on its QThread (queued signals) and keeps only the LATEST ViewData it
received. A ~30 Hz timer pushes that view into every visible panel, so however fast the
worker reports, the window redraws at most 30 times a second and stays responsive.

A bad file or setting shows a dialog and leaves the current run as it was: sources and
trainers are built first, and only handed to the worker once they exist.
"""

from __future__ import annotations

import json
import sys
import time

from PyQt6.QtCore import QSettings, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QMainWindow, QMessageBox

from rnnviz import __version__, runtime
from rnnviz.core.train import presets
from rnnviz.core.errors import UserError
from rnnviz.gui.window import help as help_text
from rnnviz.gui.window.banner import DivergenceBanner, LessonBanner
from rnnviz.gui.window.controls import ControlsForm
from rnnviz.gui.window.keys import InputKeysFirst
from rnnviz.gui.window.status import StatusFields
from rnnviz.gui.window.files import FileActions
from rnnviz.gui.window.layout import WINDOW_SIZE, WindowLayout
from rnnviz.gui.worker import TrainingWorker, start_worker_thread, stop_worker_thread

REDRAW_MS = 33  # at most ~30 redraws a second: smooth to the eye, cheap for the GUI thread
REDRAW_BUDGET = 0.05  # drawing may take at most this share of the time: the worker needs the GIL
#                        for the rest (see worker.VIEW_BUDGET for what 0.10 cost training)
MAX_REDRAW_MS = 1000  # however slow the drawing, the plots still move once a second


def redraw_interval_ms(cost_seconds: float) -> int:
    """Milliseconds between redraws so that a redraw costing ``cost_seconds`` (update and
    paint) keeps within REDRAW_BUDGET of the GUI thread, between REDRAW_MS and MAX_REDRAW_MS."""
    return int(min(MAX_REDRAW_MS, max(REDRAW_MS, 1000 * cost_seconds / REDRAW_BUDGET)))


def in_sight(widget) -> bool:
    """On screen: shown, and not behind another tab of its dock area (Qt keeps a tabbed-away
    dock "visible"; only its visible region is empty)."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


DEFAULT_CLIP_FOR_CONTINUE = 1.0  # "Continue with clipping" when clipping was off: norm 1 is safe
LAST_WAIT_MS = 30_000  # after the first second, how long closing waits for one last long step
GATED_CELLS = ("lstm", "gru")  # a run with one of these brings the gate panel to the front


class MainWindow(WindowLayout, FileActions, QMainWindow):
    # requests to the worker: queued, because the worker lives in another thread
    request_start = pyqtSignal()
    request_pause = pyqtSignal()
    request_step = pyqtSignal()
    request_train_n = pyqtSignal(int)
    request_set_trainer = pyqtSignal(object)
    request_rebuild = pyqtSignal(object, object)
    request_apply = pyqtSignal(dict)
    request_rollback = pyqtSignal()
    request_continue_clipped = pyqtSignal(float)
    request_save = pyqtSignal(str)
    request_export = pyqtSignal(str)
    request_export_weights = pyqtSignal(str)
    request_view = pyqtSignal()
    request_views = pyqtSignal(object)  # the views in sight (frozenset): what the next views must hold
    request_units_off = pyqtSignal(list, str)  # every (layer, unit) to hold, "zero" or "mean"
    request_rank = pyqtSignal()

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        runtime.one_thread_for_the_window()  # a core for painting; see rnnviz.runtime
        self._keys_first = InputKeysFirst(self)  # Space in a combo box edits it, not training
        self.settings = settings if settings is not None else QSettings("rnnviz", "rnnviz")
        self.setWindowTitle("rnnviz")
        self.resize(*WINDOW_SIZE)
        self.latest_view = None  # the newest ViewData from the worker (a copy)
        self.drawn = {}  # panel -> the view it last drew
        self.redraw_cost = 0.0  # seconds the last redraw took
        self.running = False
        self.data_choice: dict = {"kind": "sample", "name": None}  # the data of the current run
        self.current_panel = None  # the panel "Export this panel" writes
        self._front_cell = None  # the cell whose kin panel was last brought to the front
        self.closed = False
        self._views_sent = None  # the views in sight as last told to the worker
        self._asked_for = None  # the view that lacked a shown panel's numbers, for which a fresh one was asked

        self.controls = ControlsForm()
        self._build_docks()
        self.catch_up_timer = QTimer(self)  # a hidden or tabbed-away panel skips redraws until it is shown
        self.catch_up_timer.setSingleShot(True)
        self.catch_up_timer.setInterval(0)  # after the dock has appeared
        self.catch_up_timer.timeout.connect(self._catch_up)
        for panel in self.panels:
            self.docks[panel].visibilityChanged.connect(lambda shown: shown and self.catch_up_timer.start())
        self.banner = DivergenceBanner(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.banner)
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.lesson = LessonBanner(self)  # a preset's story, until dismissed
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.lesson)
        self.banner.visibilityChanged.connect(self.lesson.make_way)  # one strip at a time
        self.status = StatusFields(self.statusBar())
        self._build_menus()
        self._connect_controls()
        self._load_data_choices()

        self.worker = TrainingWorker()
        self.worker_thread = start_worker_thread(self.worker)
        self._connect_worker()

        self.redraw_timer = QTimer(self)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self.redraw)
        self.redraw_timer.start()
        self.default_state = self.saveState()
        self._restore_layout()

    # ----------------------------------------------------------------- building
    def _connect_controls(self) -> None:
        c = self.controls
        c.train_toggled.connect(self.toggle_training)
        c.step_requested.connect(self.step_once)
        c.train_n_requested.connect(self.train_steps)
        c.reset_requested.connect(self.reset)
        c.open_file_requested.connect(self.choose_data)
        c.live_settings_changed.connect(self.request_apply)
        self.banner.roll_back.connect(self.roll_back)
        self.banner.continue_clipped.connect(self.continue_with_clipping)
        self._connect_units()

    def _connect_worker(self) -> None:
        w = self.worker
        for signal, slot in ((self.request_start, w.start), (self.request_pause, w.pause),
                             (self.request_step, w.step_once), (self.request_train_n, w.train_n),
                             (self.request_set_trainer, w.set_trainer), (self.request_rebuild, w.rebuild),
                             (self.request_apply, w.apply_settings), (self.request_rollback, w.rollback),
                             (self.request_continue_clipped, w.continue_with_clipping),
                             (self.request_save, w.save_session), (self.request_export, w.request_export),
                             (self.request_export_weights, w.export_weights),
                             (self.request_view, w.request_view), (self.request_views, w.set_views),
                             (self.request_units_off, w.switch_units_off), (self.request_rank, w.rank_units),
                             (self.text_panel.generate_requested, w.generate),
                             (self.text_panel.suggest_requested, w.suggest),
                             (self.text_panel.classify_requested, w.classify)):
            signal.connect(slot, Qt.ConnectionType.QueuedConnection)
        self.worker_links = ((w.view_ready, self.on_view), (w.stats, self.on_stats),
                             (w.progress, self.on_progress), (w.running_changed, self.on_running),
                             (w.diverged, self.on_diverged), (w.error, self.on_worker_error),
                             (w.trainer_changed, self.on_trainer_changed), (w.saved, self.on_saved),
                             (w.export_bundle, self.on_export_bundle),
                             (w.weights_written, self.on_weights_written),
                             (w.generated, self.text_panel.show_sample),
                             (w.suggestions, self.text_panel.show_suggestions),
                             (w.classified, self.text_panel.show_classification))
        for signal, slot in self.worker_links:
            signal.connect(slot)

    def _connect_units(self) -> None:
        """Units selected in the hidden-state map are switched off with the units panel's "hold at"."""
        hidden = next((p for p in self.panels if p.view_name == "hidden"), None)
        units = next((p for p in self.panels if p.view_name == "units"), None)
        if hidden is None or units is None:
            return
        hidden.units_off_requested.connect(lambda chosen: self._units_off(chosen, units.mode.currentText()))
        units.units_off_requested.connect(self._units_off)
        units.rank_requested.connect(self.request_rank.emit)

    def _units_off(self, chosen: list, mode: str) -> None:
        self.request_units_off.emit([list(u) for u in chosen], mode)
        units = next((p for p in self.panels if p.view_name == "units"), None)
        if units is not None and chosen:
            self._show_dock_of(units)

    def _load_data_choices(self) -> None:
        try:
            from rnnviz.core.data.files import SAMPLE_LABELLED, sample_names
            from rnnviz.core.data.tasks import TASK_NAMES
            samples, tasks = sample_names() + [SAMPLE_LABELLED], TASK_NAMES
        except ImportError:  # pragma: no cover - data modules not installed
            samples, tasks = [], ()
        self.controls.set_data_choices(samples, tasks)

    # ----------------------------------------------------------------- starting a run
    def start_with(self, model: dict, train: dict, data: dict, progress=None) -> None:
        """Build a Trainer from settings and hand it to the worker; raises UserError (the
        current run, if any, is then untouched). ``progress(fraction)`` follows a file's loading."""
        trainer = presets.make_trainer(model, train, data, progress)
        self.data_choice = dict(data)
        self.request_set_trainer.emit(trainer)
        if trainer.data_note:
            self.statusBar().showMessage(trainer.data_note[:1].upper() + trainer.data_note[1:] + ".")

    def start_with_trainer(self, trainer, data: dict) -> None:
        self.data_choice = dict(data)
        self.request_set_trainer.emit(trainer)

    def apply_preset(self, name: str) -> None:
        preset = presets.get_preset(name)
        try:
            self.start_with(preset.model, preset.train, preset.data)
        except UserError as exc:
            self.show_error(f"Preset {name}", str(exc))
            return
        self.banner.hide_banner()
        self.show_lesson(name)

    def show_lesson(self, name: str) -> None:
        """The preset's story above the plots until dismissed."""
        preset = presets.get_preset(name)
        self.lesson.show_story(presets.exact_name(name), preset.story)

    def reset(self) -> None:
        """Apply the form: a new network (and new data, when the data choice changed)."""
        choice = self.controls.data_choice()
        if choice.get("kind") == "session" and choice != self.data_choice:
            self.open_session(choice["path"])  # back to a session picked from the list: reopen it
            return
        try:
            if choice != self.data_choice and choice.get("kind") in ("sample", "task", "file"):
                self.start_with(self.controls.model_settings(), self.controls.train_settings(), choice)
            else:
                model_config, train_config = presets.make_configs(
                    self.controls.model_settings(), self.controls.train_settings())
                self.request_rebuild.emit(model_config, train_config)
        except UserError as exc:
            self.show_error("Reset", str(exc))
            return
        self.banner.hide_banner()

    # ----------------------------------------------------------------- training requests
    def toggle_training(self) -> None:
        (self.request_pause if self.running else self.request_start).emit()

    def worker_request_view(self) -> None:
        """Ask for a fresh view of the run as it is (after a failed open, say)."""
        self.request_view.emit()

    def start_training(self) -> None:
        self.request_start.emit()

    def step_once(self) -> None:
        if not self.running:
            self.request_step.emit()

    def train_steps(self, steps: int) -> None:
        if not self.running:
            self.status.start_progress(steps)
            self.request_train_n.emit(int(steps))

    def compare_with_tanh(self) -> None:
        """Train > Compare with tanh: a tanh fork of the shown run, in the Runs dock."""
        from rnnviz.gui.window.group import compare_with_tanh

        compare_with_tanh(self)

    def roll_back(self) -> None:
        self.banner.hide_banner()
        self.request_rollback.emit()

    def continue_with_clipping(self) -> None:
        self.banner.hide_banner()
        live = self.controls.live_settings()
        threshold = live["clip_threshold"] if live["clip_mode"] == "norm" else DEFAULT_CLIP_FOR_CONTINUE
        self.controls.clip_mode.setCurrentText("norm")  # the form shows what the run now does
        self.controls.clip_threshold.setValue(threshold)
        self.request_continue_clipped.emit(float(threshold))

    # ----------------------------------------------------------------- answers from the worker
    def on_view(self, view) -> None:
        self.latest_view = view  # drawn by the redraw timer, never here
        if self._asked_for is not None:  # a panel waits for this one: draw it as soon as it is here
            self._asked_for = None
            self.catch_up_timer.start()
        note = getattr(view.snapshot, "note", "")
        if note and view.status != "diverged" and not self.banner.shown:
            self.banner.show_warning(note)

    def on_worker_error(self, message: str) -> None:
        self.show_error("Training", message)

    def on_saved(self, path: str) -> None:
        self.statusBar().showMessage(f"Saved session to {path}", 5000)

    def on_stats(self, stats: dict) -> None:
        self.status.show_stats(stats)

    def on_progress(self, done: int, total: int) -> None:
        self.status.show_progress(done, total)

    def on_running(self, running: bool) -> None:
        self.running = running
        self.controls.set_running(running)
        if not running:
            self.status.end_progress()

    def on_diverged(self, message: str, back_to: int) -> None:
        self.banner.show_message(message, back_to)

    def on_trainer_changed(self, info: dict) -> None:
        self.controls.set_settings(info["model_config"], info["train_config"], self.data_choice)
        self.text_panel.set_text_mode(info.get("is_text", False), info.get("classes"))
        self.controls.set_loaded_predicts_next(info.get("predicts_next"))
        dock = self.docks.get(self.text_panel)
        if dock is not None:  # on a task the panel shows the answer against the target, not text
            dock.setWindowTitle("Text" if info.get("is_text", False) else "Answer")
        self.setWindowTitle(f"rnnviz — {info.get('source_name', '')}")
        self.latest_view = None
        self.drawn.clear()
        cell = info["model_config"].get("cell")
        if cell != self._front_cell:  # gates in front for a gated cell, hidden states otherwise
            self._front_cell = cell
            gates = next((p for p in self.panels if p.view_name == "gates"), None)
            hidden = next((p for p in self.panels if p.view_name == "hidden"), None)
            front = gates if cell in GATED_CELLS else hidden
            if front is not None:
                self.docks[front].raise_()
        units = next((p for p in self.panels if p.view_name == "units"), None)
        if info.get("units_held"):  # a session with units off: their comparison, the map's marks, its "hold at"
            if units is not None and info.get("units_mode") in ("zero", "mean"):
                units.mode.setCurrentText(info["units_mode"])
            for panel in (units, next((p for p in self.panels if p.view_name == "hidden"), None)):
                if panel is not None:
                    self._show_dock_of(panel)
        if info.get("status") == "diverged":
            self.banner.show_message("this run had diverged when it was saved")

    # ----------------------------------------------------------------- drawing
    def redraw(self) -> None:
        """Push the latest view into every panel in sight that has not drawn it yet."""
        view = self.latest_view
        if view is None:
            return
        began = time.perf_counter()
        self._tell_views_in_sight()
        self.status.show_regime(view)  # with the panels, so the badge and the status bar agree
        for panel in self.panels:  # out of sight, a panel draws only a new run's first view (none of the old run)
            if self.drawn.get(panel) is not view and (in_sight(panel) or (panel not in self.drawn and panel.isVisible())):
                self._draw_or_ask(panel, view)
        # painting happens after this returns, so the last paints measured stand in for this one's
        painted = sum(panel.graphics().last_paint_seconds for panel in self.panels
                      if in_sight(panel) and hasattr(panel.graphics(), "last_paint_seconds"))
        self.redraw_cost = time.perf_counter() - began + painted
        self.redraw_timer.setInterval(redraw_interval_ms(self.redraw_cost))

    def _draw(self, panel, view) -> None:
        try:
            panel.update_view(view)
        except Exception as exc:  # noqa: BLE001 - one broken panel must not stop the others
            self.statusBar().showMessage(f"{panel.title}: could not draw ({type(exc).__name__}: {exc})", 5000)
        self.drawn[panel] = view

    def _catch_up(self) -> None:
        """Docks just shown (a tab chosen, the View menu) draw the latest view as soon as they
        appear, not at the next redraw tick (up to a second away while a large network trains)."""
        view = self.latest_view
        if view is None or self.closed:
            return
        self._tell_views_in_sight()
        for panel in self.panels:
            if self.drawn.get(panel) is not view and in_sight(panel):
                self._draw_or_ask(panel, view)

    def _tell_views_in_sight(self) -> None:
        """The worker computes only the numbers of the views in sight (a hidden Spectrum spares
        W_hh's eigenvalues); tell it when they change."""
        shown = frozenset(panel.view_name for panel in self.panels if in_sight(panel))
        if shown != self._views_sent:
            self._views_sent = shown
            self.request_views.emit(shown)

    def _draw_or_ask(self, panel, view) -> None:
        """Draw the view, or, when it left out this panel's numbers (the panel was out of sight
        when it was made), leave the panel as it is: in sight, it asks for a fresh view and draws
        that one when it comes; out of sight, it waits until it is shown."""
        diagnostics = getattr(view.snapshot, "diagnostics", None)
        if panel.view_name in getattr(diagnostics, "skipped", ()):
            if in_sight(panel) and self._asked_for is not view:
                self._asked_for = view
                self.request_view.emit()
            return
        self._draw(panel, view)

    def show_error(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def show_help(self) -> None:
        help_text.show_help(self)

    def show_about(self) -> None:
        QMessageBox.about(self, "About rnnviz", help_text.about(__version__))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        """Save the layout and settings, stop the worker (within a second), then close."""
        if not self.closed:
            self.closed = True
            for dialog in (getattr(self, "sweep_dialog", None), getattr(self, "compare_dialog", None)):
                if dialog is not None:
                    dialog.close()  # stops its thread (a sweep also cancels its pending points)
            self.redraw_timer.stop()
            self.text_panel.timer.stop()
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("window_state", self.saveState())
            # JSON, because INI-backed settings would hand numbers back as strings
            self.settings.setValue("last_model", json.dumps(self.controls.model_settings()))
            self.settings.setValue("last_train", json.dumps(self.controls.train_settings()))
            if self.data_choice.get("kind") in ("sample", "task"):
                self.settings.setValue("last_data", json.dumps(self.data_choice))
            self.settings.sync()
            for signal, slot in self.worker_links:  # nothing may arrive at a closing window
                signal.disconnect(slot)
            if not stop_worker_thread(self.worker, self.worker_thread):
                # one long computation (diagnostics of a big network) is still finishing: the
                # window goes now; the process waits for that call rather than kill a thread
                self.hide()
                if not self.worker_thread.wait(LAST_WAIT_MS):
                    print("rnnviz: the training thread did not stop; forcing it", file=sys.stderr)
                    self.worker_thread.terminate()
                    self.worker_thread.wait()
        super().closeEvent(event)
