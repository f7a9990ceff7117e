"""Training off the GUI thread: a QObject that owns the Trainer and lives on a QThread.

Only this object touches the Trainer. The window talks to it with queued signals (each slot
runs in the worker's thread) and gets back copies only: a ViewData (built by
``Trainer.view_data()``), small dicts of step statistics, progress, and messages.

Training is a chain of short slices driven by a zero-interval QTimer in the worker thread:
each slice runs steps for about ``SLICE_SECONDS`` and returns to the event loop, so Pause,
a new learning rate or a Reset queued by the window are handled between two steps. A
``threading.Event`` stop flag, which any thread may set, is checked between steps too; on
close the window sets it, then calls ``quit()`` and ``wait()`` on the thread.

Throttling (the first of two; the window's redraw timer is the second): statistics go out at
most every ``STATS_SECONDS``, a ViewData as often as ``view_interval`` allows: building views
(and drawing each of them in the window, which competes for the same GIL) may take only
``VIEW_BUDGET`` of the time, yet a view still comes at least every ``MAX_VIEW_SECONDS``.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
import traceback
from collections import deque

import numpy as np
from PyQt6.QtCore import QCoreApplication, QMetaObject, QObject, Qt, QThread, QTimer, pyqtSignal, pyqtSlot

from rnnviz.core.errors import UserError
from rnnviz.core.nn.shapes import make_model

SLICE_SECONDS = 0.02  # run steps for ~20 ms, then let queued requests (pause, lr) in
VIEW_SECONDS = 0.033  # no more views than the window can draw (30 Hz)
# Building views (copies + diagnostics) may take at most this share of training time. Each view
# also costs the GUI thread a redraw, and both hold the GIL that training needs: with 0.07 (and
# the window's REDRAW_BUDGET 0.10) training at H=64, T=25 kept 60-77 % of its headless speed,
# with 0.03 (and 0.05) 82-89 %, while views still came 1.5-3 times a second (rnnviz bench,
# window-training).
VIEW_BUDGET = 0.03
MAX_VIEW_SECONDS = 2.0  # however slow the diagnostics (T=200, H=256: ~0.1 s), the plots move every 2 s
STATS_SECONDS = 0.1  # the status bar needs no more than 10 updates a second
RATE_SECONDS = 1.0  # steps/s is averaged over at least this long: pauses for views would make it jump


def view_interval(cost_seconds: float) -> float:
    """Seconds between views when one costs ``cost_seconds`` to build: at most VIEW_BUDGET of
    the time goes to views, never more often than VIEW_SECONDS, never rarer than MAX_VIEW_SECONDS."""
    return min(MAX_VIEW_SECONDS, max(VIEW_SECONDS, cost_seconds / VIEW_BUDGET))


class TrainingWorker(QObject):
    """Owns one Trainer at a time; trains it in slices; reports with copies."""

    view_ready = pyqtSignal(object)  # rnnviz.core.train.records.ViewData
    stats = pyqtSignal(dict)  # step, loss, grad_norm, clipped_norm, steps_per_sec, status, lr
    progress = pyqtSignal(int, int)  # steps done, steps asked for ("Train N steps")
    running_changed = pyqtSignal(bool)
    diverged = pyqtSignal(str, int)  # where the first NaN/Inf appeared, for people; the step Roll back returns to
    error = pyqtSignal(str)  # a message for a dialog; the run is left as it was
    finished = pyqtSignal()  # a run (continuous or N steps) ended, for whatever reason
    trainer_changed = pyqtSignal(dict)  # info about a new trainer: configs, source name, is_text
    saved = pyqtSignal(str)  # a session was written to this path
    export_bundle = pyqtSignal(str, object, dict, dict)  # folder, ViewData, metadata, history arrays
    weights_written = pyqtSignal(list)  # the paths File > Export weights wrote (weights, vocabulary)
    generated = pyqtSignal(str)  # text sampled from a copy of the model
    suggestions = pyqtSignal(str, list)  # prefix, [(token, probability), ...]
    classified = pyqtSignal(str, object)  # sentence, rnnviz.core.train.classify.Classification or a message
    run_copy = pyqtSignal(object)  # a deep copy of the Trainer as it is now (to fork), None if there is none

    def __init__(self, trainer=None) -> None:
        super().__init__()  # no parent: a QObject with a parent cannot be moved to a thread
        self._trainer = trainer
        self._stop = threading.Event()
        self._timer = QTimer(self)  # a child, so it moves to the worker thread with us
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)
        self._target = 0  # steps asked for by "Train N steps"; 0 = until paused
        self._done = 0  # steps done in this run
        self._last_stats = 0.0
        self._last_view = 0.0
        self._view_cost = 0.0  # seconds the last view_data() took
        self._rate_marks: deque = deque()  # (time, step count) at recent stats emissions
        self.started_at = time.time()
        self._view_failed = False  # a failing view_data() is reported once, until it works again
        self._rank_next = False  # the next view ranks the units whatever it costs ("Rank units")

    # ----------------------------------------------------------------- thread helpers
    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def stop(self) -> None:
        """Thread-safe: ask the current slice to end after this step, and no new one to start."""
        self._stop.set()

    @pyqtSlot()
    def shutdown(self) -> None:
        """Last request before the thread ends: stop the slice timer here, in its own thread
        (Qt forbids stopping a timer from another one), hand this object back to the main
        thread so it can be deleted there, and end the thread's event loop."""
        self._stop.set()
        self._timer.stop()
        self.moveToThread(QCoreApplication.instance().thread())
        QThread.currentThread().quit()

    # ----------------------------------------------------------------- requests (queued)
    @pyqtSlot()
    def start(self) -> None:
        self._begin(0)

    @pyqtSlot(int)
    def train_n(self, steps: int) -> None:
        self._begin(max(1, int(steps)))

    @pyqtSlot()
    def pause(self) -> None:
        if self.running:
            self._end_run()

    @pyqtSlot()
    def step_once(self) -> None:
        self._begin(1)

    @pyqtSlot(object)
    def set_trainer(self, trainer) -> None:
        """Replace the trainer (opened file, loaded session, reset): the old run stops first."""
        if self.running:
            self._end_run()
        self._trainer = trainer
        self.started_at = time.time()
        self.trainer_changed.emit(self.trainer_info())
        self._emit_view()
        self._emit_stats(force=True)

    @pyqtSlot(object, object)
    def rebuild(self, model_config, train_config) -> None:
        """Reset: a fresh Trainer on the same source with new settings. On error the old one stays."""
        from rnnviz.core.train.trainer import Trainer

        if self._trainer is None:
            return
        source = self._trainer.source
        now_state = copy.deepcopy(source.get_state())
        try:
            source.set_state(self._trainer.initial_source_state())  # a reset replays the first batches
            trainer = Trainer(source, model_config, train_config,
                              source_spec=getattr(self._trainer, "source_spec", None))
        except (UserError, ValueError) as exc:
            source.set_state(now_state)  # the old run goes on exactly where it was
            self.error.emit(f"Could not reset with these settings: {exc}")
            return
        self.set_trainer(trainer)

    @pyqtSlot(dict)
    def apply_settings(self, changes: dict) -> None:
        """Learning rate and clipping, between two steps, even while training."""
        if self._trainer is None or not changes:
            return
        try:
            self._trainer.update_train_config(**changes)
        except (UserError, ValueError) as exc:
            self.error.emit(f"Could not apply {', '.join(changes)}: {exc}")

    @pyqtSlot()
    def rollback(self) -> None:
        if self.running or self._trainer is None:
            return
        try:
            self._trainer.rollback()
        except (UserError, ValueError, RuntimeError) as exc:
            self.error.emit(f"Could not roll back: {exc}")
            return
        self._emit_view()
        self._emit_stats(force=True)

    @pyqtSlot(float)
    def continue_with_clipping(self, threshold: float) -> None:
        """Roll back to the last finite parameters, clip by global norm, and train on."""
        self.rollback()
        self.apply_settings({"clip_mode": "norm", "clip_threshold": float(threshold)})
        self.start()

    @pyqtSlot(list, str)
    def switch_units_off(self, units: list, mode: str) -> None:
        """Hold exactly ``units`` [(layer, unit), ...] (none: free them all); training goes on."""
        if self._trainer is None:
            return
        try:
            self._trainer.switch_units_off([tuple(u) for u in units], mode)
        except (UserError, ValueError) as exc:
            self.error.emit(f"Could not switch the units off: {exc}")
            return
        self._emit_view()

    @pyqtSlot()
    def rank_units(self) -> None:
        """A view with the units ranked on up to 2048 copies of the batch, now."""
        self._rank_next = True
        self._emit_view()

    @pyqtSlot(str)
    def save_session(self, path: str) -> None:
        from rnnviz.core.train import session

        try:
            save = getattr(self._trainer, "save_session", None)  # runs compared: the whole group beside it
            save(path) if save is not None else session.save(self._trainer, path)
        except (UserError, OSError, ValueError) as exc:
            self.error.emit(f"Could not save the session to {path}: {exc}")
            return
        self.saved.emit(path)

    @pyqtSlot(str)
    def request_export(self, folder: str) -> None:
        """Everything "Export all plots" needs, as copies; the window renders it."""
        try:
            view = self._trainer.view_data()
            if getattr(view, "group", None) is not None:  # runs compared: their overlays as they are now
                view = dataclasses.replace(view, group=self._trainer.group_view(force=True))
            arrays = {k: np.array(v, copy=True) for k, v in self._trainer.history.to_arrays().items()}
            self.export_bundle.emit(folder, view, self.metadata(view), arrays)
        except Exception as exc:  # noqa: BLE001 - reported, never crashes the window
            self.error.emit(f"Could not gather the data to export: {exc}")

    @pyqtSlot(str)
    def export_weights(self, path: str) -> None:
        """The network as a PyTorch state_dict (safetensors), between two steps."""
        from rnnviz.core.train.imported import export_weights

        try:
            written = export_weights(self._trainer, path)
        except (UserError, OSError) as exc:
            self.error.emit(f"Could not export the weights to {path}: {exc}")
            return
        self.weights_written.emit([str(p) for p in written])

    @pyqtSlot()
    def request_view(self) -> None:
        self._emit_view()
        self._emit_stats(force=True)

    @pyqtSlot(int, float, str)
    def generate(self, length: int, temperature: float, prime: str) -> None:
        """Sample text from a copy of the model (never the live one)."""
        from rnnviz.core.train.sampling import sample

        if not self._is_text():
            return
        try:
            text = sample(self._model_copy(), self._trainer.source, length,
                          temperature=temperature, rng=np.random.default_rng(), prime=prime)
        except (UserError, ValueError, FloatingPointError) as exc:
            text = f"(cannot sample: {exc})"
        self.generated.emit(text)

    @pyqtSlot(str, int)
    def suggest(self, prefix: str, k: int) -> None:
        from rnnviz.core.train.sampling import suggest

        if not self._is_text():
            return
        try:
            pairs = [(str(t), float(p)) for t, p in suggest(self._model_copy(), self._trainer.source, prefix, k=k)]
        except (UserError, ValueError) as exc:
            pairs = [(f"({exc})", float("nan"))]
        self.suggestions.emit(prefix, pairs)

    @pyqtSlot(str)
    def classify(self, sentence: str) -> None:
        """Label a typed sentence with a copy of the model, and the gradient reaching each word."""
        from rnnviz.core.train.classify import classify

        if not self._is_labelled():
            return
        try:
            result = classify(self._model_copy(), self._trainer.source, sentence)
        except (UserError, ValueError) as exc:
            result = str(exc)
        self.classified.emit(sentence, result)

    @pyqtSlot()
    def copy_run(self) -> None:
        """A deep copy of the run between two steps, for forks compared outside the worker."""
        import copy

        self.run_copy.emit(None if self._trainer is None else copy.deepcopy(self._trainer))

    # ----------------------------------------------------------------- information (copies)
    def trainer_info(self) -> dict:
        t = self._trainer
        if t is None:
            return {}
        return {"model_config": t.model_config.to_dict(), "train_config": t.train_config.to_dict(),
                "source_name": getattr(t.source, "name", "?"),
                "description": getattr(t.source, "description", ""),
                "is_text": self._is_text(), "classes": getattr(t.source, "classes", None),
                "predicts_next": bool(getattr(t.source, "predicts_next", False)), "step": t.step_count,
                "status": _shown_status(t), "units_held": len(t.units_off.units) if t.units_off is not None else 0,
                "units_mode": t.units_mode}

    def metadata(self, view) -> dict:
        """metadata.json of an export of ``view``: the command line's keys, with the window's status
        (it trains until paused) and the seconds since the window started this run."""
        from rnnviz.core.exports import run_metadata
        from rnnviz.gui.export import exported_files

        return run_metadata(self._trainer, view, wall_time=time.time() - self.started_at,
                            status=_shown_status(self._trainer), files=exported_files())

    # ----------------------------------------------------------------- the run
    def _ready(self) -> bool:
        if self._trainer is None:
            return False
        if self._trainer.status == "diverged":
            self.diverged.emit(self._trainer.divergence or "training has diverged", self._trainer.rollback_target())
            return False
        return True

    def _begin(self, target: int) -> None:
        if self.running or not self._ready():
            return
        self._stop.clear()
        self._target, self._done = target, 0
        self._rate_marks = deque([(time.perf_counter(), self._trainer.step_count)])
        self._timer.start()
        self.running_changed.emit(True)

    @pyqtSlot()  # a decorated slot runs in the worker's thread; a plain method would get a
    def _tick(self) -> None:  # proxy left in the thread that connected it (the GUI thread)
        """One slice: steps until ~SLICE_SECONDS passed, the run's end, or the stop flag."""
        deadline = time.perf_counter() + SLICE_SECONDS
        try:
            while True:
                if self._stop.is_set():
                    self._end_run()
                    return
                result = self._trainer.step()
                self._done += 1
                if result.diverged or self._trainer.status == "diverged":
                    self._end_run(divergence=result.divergence or self._trainer.divergence)
                    return
                if self._target and self._done >= self._target:
                    self._end_run()
                    return
                if time.perf_counter() >= deadline:
                    break
            self._emit_stats()
            now = time.perf_counter()
            if now - self._last_view >= view_interval(self._view_cost):
                self._emit_view()
        except Exception as exc:  # noqa: BLE001 - a bug or bad data must not kill the thread
            self._end_run(failure=_describe(exc))

    def _end_run(self, divergence: str = "", failure: str = "") -> None:
        try:
            self._timer.stop()
            if not self._stop.is_set():  # closing: nobody is left to look at a last view
                self._emit_stats(force=True)
                self._emit_view()
            if divergence:
                self.diverged.emit(divergence, self._trainer.rollback_target())
            if failure:
                self.error.emit(failure)
        finally:
            self._target = 0
            self.running_changed.emit(False)
            self.finished.emit()

    def _emit_stats(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self._trainer is None or (not force and now - self._last_stats < STATS_SECONDS):
            return
        self._last_stats = now
        t = self._trainer
        rate = self._steps_per_second(now, t.step_count) if self.running else 0.0
        _, losses = t.history.series("loss")
        _, norms = t.history.series("grad_norm")
        self.stats.emit({"step": int(t.step_count), "steps_per_sec": float(rate),
                         "loss": float(losses[-1]) if len(losses) else float("nan"),
                         "grad_norm": float(norms[-1]) if len(norms) else float("nan"),
                         "status": "running" if self.running else _shown_status(t),
                         # a rising rate (LR growth) is worth watching; a constant one is in the form
                         "lr": float(t.rate()) if t.train_config.lr_growth != 1.0 else float("nan")})
        if self._target:
            self.progress.emit(self._done, self._target)

    def _steps_per_second(self, now: float, step: int) -> float:
        """Steps per second over the last RATE_SECONDS or more (since the run began, if shorter)."""
        marks = self._rate_marks
        marks.append((now, step))
        while len(marks) > 2 and now - marks[1][0] >= RATE_SECONDS:
            marks.popleft()  # keep the newest mark that is still at least RATE_SECONDS old
        then, first = marks[0]
        return (step - first) / (now - then) if now > then else 0.0

    def _emit_view(self) -> None:
        if self._trainer is None:
            return
        began = time.perf_counter()
        try:
            view = self._trainer.view_data(ranking="always" if self._rank_next else "auto")
            self._rank_next = False
        except Exception as exc:  # noqa: BLE001 - training goes on; the plots wait for a good view
            if not self._view_failed:  # one dialog, not one every 33 ms
                self._view_failed = True
                self.error.emit(f"Could not build the plots' data: {_describe(exc)}")
            return
        self._view_failed = False
        self._view_cost = time.perf_counter() - began
        self._last_view = time.perf_counter()
        self.view_ready.emit(view)

    def _is_text(self) -> bool:
        """Text the model continues (samples, suggestions); labelled text is classified instead."""
        return (self._trainer is not None and hasattr(self._trainer.source, "vocab")
                and not self._is_labelled())

    def _is_labelled(self) -> bool:
        return self._trainer is not None and hasattr(self._trainer.source, "classes")

    def _model_copy(self):
        model = make_model(self._trainer.model.config)
        model.params = {name: value.copy() for name, value in self._trainer.model.params.items()}
        return model


def _describe(exc: Exception) -> str:
    if isinstance(exc, UserError):
        return str(exc)
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" ({where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    return f"{type(exc).__name__}: {exc}{place}"


def start_worker_thread(worker: TrainingWorker) -> QThread:
    """Move ``worker`` to a new QThread and start it; the caller keeps both references."""
    thread = QThread()
    thread.setObjectName("rnnviz-training")
    worker.moveToThread(thread)
    thread.start()
    return thread


def stop_worker_thread(worker: TrainingWorker, thread: QThread, timeout_ms: int = 1000) -> bool:
    """Set the stop flag, queue ``shutdown`` behind the current slice, and wait for the thread;
    True when it ended in time."""
    worker.stop()
    if thread.isRunning():
        QMetaObject.invokeMethod(worker, "shutdown", Qt.ConnectionType.QueuedConnection)
    if thread.wait(timeout_ms):
        return True
    thread.quit()  # the shutdown request could not run (event loop blocked): force the loop to end
    return thread.wait(timeout_ms)


def _shown_status(trainer) -> str:
    """What the window says of a run: it has no planned length (it trains until paused), so a
    run past ``TrainConfig.steps`` is "ready", not "finished"."""
    return "diverged" if trainer.status == "diverged" else "ready"
