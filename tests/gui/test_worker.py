"""The training worker on its own QThread: requests run there, answers are copies, and it
stops when asked: within a second, with no thread left behind."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PyQt6.QtCore import QObject, QThread, pyqtSignal

from rnnviz.core.train.presets import make_trainer, preset_trainer
from rnnviz.gui import worker as worker_module
from rnnviz.gui.worker import TrainingWorker, start_worker_thread, stop_worker_thread
from tests.gui.conftest import FAST_DATA, FAST_MODEL, FAST_TRAIN


class Requests(QObject):
    """Queued requests, the way the window sends them."""

    start = pyqtSignal()
    pause = pyqtSignal()
    step = pyqtSignal()
    train_n = pyqtSignal(int)
    set_trainer = pyqtSignal(object)


@pytest.fixture
def running_worker(qtbot):
    """(worker, requests, seen) with the worker on its own thread; stopped and checked after."""
    worker = TrainingWorker()
    thread = start_worker_thread(worker)
    requests = Requests()
    for signal, slot in ((requests.start, worker.start), (requests.pause, worker.pause),
                         (requests.step, worker.step_once), (requests.train_n, worker.train_n),
                         (requests.set_trainer, worker.set_trainer)):
        signal.connect(slot)
    seen = {"views": [], "stats": [], "progress": [], "diverged": [], "errors": [], "finished": 0,
            "threads": set()}

    def on_view(view):
        seen["views"].append(view)

    worker.view_ready.connect(on_view)
    worker.stats.connect(seen["stats"].append)
    worker.progress.connect(lambda done, total: seen["progress"].append((done, total)))
    worker.diverged.connect(seen["diverged"].append)
    worker.error.connect(seen["errors"].append)
    worker.finished.connect(lambda: seen.__setitem__("finished", seen["finished"] + 1))
    yield worker, requests, seen
    assert stop_worker_thread(worker, thread), "the worker thread did not stop within a second"
    assert not thread.isRunning()


def fast_trainer():
    return make_trainer(FAST_MODEL, {**FAST_TRAIN, "steps": 10**9}, FAST_DATA)


def test_worker_lives_on_its_own_thread_and_answers_with_copies(running_worker, qtbot):
    worker, requests, seen = running_worker
    assert worker.thread() is not QThread.currentThread()
    trainer = fast_trainer()
    with qtbot.waitSignal(worker.view_ready, timeout=10_000):
        requests.set_trainer.emit(trainer)
    view = seen["views"][-1]
    for name, value in view.snapshot.params.items():
        assert not np.shares_memory(value, trainer.model.params[name]), name


def test_step_applies_one_update(running_worker, qtbot):
    worker, requests, seen = running_worker
    trainer = fast_trainer()
    requests.set_trainer.emit(trainer)
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        requests.step.emit()
    assert trainer.step_count == 1
    assert seen["views"][-1].snapshot.step == 1 and seen["stats"][-1]["step"] == 1


def test_train_n_reports_progress_and_stops_at_n(running_worker, qtbot):
    worker, requests, seen = running_worker
    trainer = fast_trainer()
    requests.set_trainer.emit(trainer)
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        requests.train_n.emit(25)
    assert trainer.step_count == 25
    assert seen["progress"][-1] == (25, 25)
    assert seen["finished"] == 1 and not worker.running


def test_views_are_throttled(running_worker, qtbot, monkeypatch):
    worker, requests, seen = running_worker
    monkeypatch.setattr(worker_module, "VIEW_SECONDS", 0.2)  # read at each slice, in the worker
    trainer = fast_trainer()
    requests.set_trainer.emit(trainer)
    qtbot.waitUntil(lambda: len(seen["views"]) == 1, timeout=10_000)
    began = time.perf_counter()
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        requests.train_n.emit(150)
    elapsed = time.perf_counter() - began
    views = len(seen["views"]) - 1
    assert trainer.step_count == 150
    assert views < 150  # never one view per step ...
    assert views <= elapsed / 0.2 + 2  # ... but at most one per VIEW_SECONDS, plus the final one


def test_pause_stops_a_running_worker(running_worker, qtbot):
    worker, requests, seen = running_worker
    trainer = fast_trainer()
    requests.set_trainer.emit(trainer)
    requests.start.emit()
    qtbot.waitUntil(lambda: bool(seen["stats"]) and seen["stats"][-1]["step"] >= 3, timeout=10_000)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        requests.pause.emit()
    stopped_at = trainer.step_count
    qtbot.wait(100)  # (an event-loop wait, not a sleep) nothing trains after a pause
    assert trainer.step_count == stopped_at


def test_divergence_is_reported_and_finished_still_emitted(running_worker, qtbot):
    worker, requests, seen = running_worker
    trainer = preset_trainer("Exploding")
    trainer.update_train_config(steps=10**9)
    requests.set_trainer.emit(trainer)
    with qtbot.waitSignal(worker.diverged, timeout=20_000):
        requests.start.emit()
    qtbot.waitUntil(lambda: seen["finished"] == 1, timeout=5000)
    assert seen["diverged"][0].startswith("step ")
    assert not worker.running


def test_an_exception_in_a_step_becomes_an_error_message(running_worker, qtbot):
    worker, requests, seen = running_worker
    trainer = fast_trainer()

    def broken_batch(*args, **kwargs):
        raise RuntimeError("disk vanished")

    requests.set_trainer.emit(trainer)
    qtbot.waitUntil(lambda: len(seen["views"]) == 1, timeout=10_000)
    trainer.source.train_batch = broken_batch  # safe: the worker is idle until the next request
    with qtbot.waitSignal(worker.finished, timeout=5000):
        requests.start.emit()
    assert "disk vanished" in seen["errors"][0]
    assert not worker.running


def test_stop_while_training_ends_the_thread_within_a_second(qtbot):
    worker = TrainingWorker()
    thread = start_worker_thread(worker)
    requests = Requests()
    requests.set_trainer.connect(worker.set_trainer)
    requests.start.connect(worker.start)
    trainer = fast_trainer()
    requests.set_trainer.emit(trainer)
    requests.start.emit()
    qtbot.waitUntil(lambda: trainer.step_count >= 3, timeout=10_000)
    began = time.perf_counter()
    assert stop_worker_thread(worker, thread)
    assert time.perf_counter() - began < 1.0
    assert not thread.isRunning()
    assert worker.thread() is QThread.currentThread()  # handed back, so it can be deleted here


def test_a_failing_view_is_reported_once_and_training_goes_on(running_worker, qtbot):
    worker, requests, seen = running_worker
    trainer = fast_trainer()
    requests.set_trainer.emit(trainer)
    qtbot.waitUntil(lambda: len(seen["views"]) == 1, timeout=10_000)

    def broken_view(*args, **kwargs):
        raise ValueError("diagnostics hiccup")

    trainer.view_data = broken_view  # safe: the worker is idle until the next request
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        requests.train_n.emit(40)
    assert trainer.step_count == 40
    assert len(seen["errors"]) == 1 and "diagnostics hiccup" in seen["errors"][0]


def test_steps_per_second_is_averaged_over_a_second_not_a_tenth(qtbot):
    from collections import deque

    from rnnviz.gui.worker import RATE_SECONDS, TrainingWorker

    worker = TrainingWorker()
    worker._rate_marks = deque([(0.0, 0)])
    # 600 steps/s, but every 0.3 s the worker spends 0.1 s building a view and trains nothing
    rates, step, now = [], 0, 0.0
    for tick in range(1, 41):
        now = tick * 0.1
        step += 0 if tick % 3 == 0 else 60
        rates.append(worker._steps_per_second(now, step))
    settled = rates[int(RATE_SECONDS / 0.1) + 1:]
    assert max(settled) - min(settled) < 0.25 * 400  # over a 0.1 s window it would swing 0 .. 600
    assert abs(settled[-1] - 400) < 0.2 * 400  # the true average: 2 of 3 ticks train
