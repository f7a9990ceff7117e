"""Window benchmarks: how long a full redraw takes, and what the open window costs training.

Two measurements:
- ``panel_update``: every panel in rnnviz.gui.panels.PANEL_CLASSES fed one ViewData at
  H = 256, T = 200 (``update_view``: setData / setImage), and the same followed by painting
  each panel into a pixmap (``grab``), which is what the screen would cost. The views are those
  the window draws while the network trains: one per training step (a step at this size takes
  longer than the window's 33 ms between redraws), each a new batch, new weights and new
  numbers, so no panel can skip work because nothing changed. A second line alternates two
  views 20 steps apart instead, a history that jumps back and forth: every range and colour
  scale moves at every redraw, the worst case for the axes (a window never goes back in steps).
- ``training_rate``: steps per second of the real MainWindow (worker thread, 30 Hz redraw
  timer, all docks visible) against the same Trainer settings run headless, alternating
  A, B, A, B ... windows of a few seconds so that a neighbour's load lands on both.

Both run offscreen (QT_QPA_PLATFORM=offscreen unless a platform is already chosen), so the
benchmark never opens a window on the user's screen and works over ssh. Qt is imported here,
inside the functions, never by rnnviz.core.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

HIDDEN, SEQ_LEN = 256, 200  # the size for the redraw target
BATCH = 16  # TrainConfig's default batch


def _app():
    from rnnviz.gui import qt_app

    return qt_app.application(["rnnviz-bench"], offscreen=True)


# the redraw lines' trainers record a gradient profile and the distributions at every step: each
# view is then new to every panel (at the default, every 10 steps, the flow and distributions
# panels would skip the views between records), as when the window draws views 10 or more steps
# apart, the usual case: it redraws at most every 33 ms, less often when a redraw costs more
EVERY_VIEW_NEW = {"diag_every": 1}


def _trainer(hidden: int, seq_len: int, batch: int, every_view_new: bool = False):
    from rnnviz.core.train.presets import make_trainer

    train = {"seq_len": seq_len, "batch_size": batch, "steps": 10**9, **(EVERY_VIEW_NEW if every_view_new else {})}
    return make_trainer({"hidden_size": hidden}, train,
                        {"kind": "sample", "name": None})


def successive_views(trainer, count: int, warmup: int = 20) -> list:
    """``count`` views one training step apart, after ``warmup`` steps: what the window draws
    while a network whose step outlasts a redraw interval trains."""
    trainer.run(warmup)
    views = []
    for _ in range(count):
        trainer.run(1)
        views.append(trainer.view_data())
    return views


def _redraw_times(app, panels, views) -> tuple[float, float]:
    """Median seconds (update, update and paint) of every panel drawing views[1], views[2], ...
    in turn; views[0] is drawn first, untimed, as the window's previous redraw."""
    update, paint = [], []
    for i, view in enumerate(views):
        began = time.perf_counter()
        for panel in panels:
            panel.update_view(view)
        updated = time.perf_counter()
        for panel in panels:
            panel.grab()
        app.processEvents()
        if i:
            update.append(updated - began)
            paint.append(time.perf_counter() - began)
    return statistics.median(update), statistics.median(paint)


def panel_update(quick: bool = False):
    """Median seconds to update (and to update and paint) every panel from one ViewData: views
    of successive training steps, and views jumping back and forth between two steps."""
    app = _app()
    from rnnviz.bench import machine
    from rnnviz.gui.panels import PANEL_CLASSES
    from rnnviz.gui.qt_app import dispose

    hidden, seq_len = (64, 50) if quick else (HIDDEN, SEQ_LEN)
    repeats = 3 if quick else 9
    speed = [machine.measure(1 if quick else 5)]
    trainer = _trainer(hidden, seq_len, BATCH, every_view_new=True)
    training = successive_views(trainer, repeats + 1)
    trainer.run(20)
    jumping = [training[-1], trainer.view_data()] * ((repeats + 2) // 2)
    panels = [cls() for cls in PANEL_CLASSES]
    for panel in panels:
        panel.resize(640, 420)  # about a dock's size in the default window
        panel.update_view(training[0])  # the first view of a run builds what it needs
    try:
        up, pa = _redraw_times(app, panels, training)
        jump_up, jump_pa = _redraw_times(app, panels, jumping)
    finally:
        dispose(*panels)
    speed.append(machine.measure(1 if quick else 5))
    label = f"redraw of all {len(panels)} panels from one snapshot (H={hidden}, T={seq_len}, offscreen)"
    return [(label + ", successive training steps",
             f"update_view {up * 1e3:.1f} ms; update and paint {pa * 1e3:.1f} ms ({machine.in_units(pa, speed)})",
             f"< 33 ms; median of {repeats}"),
            (label + ", two steps 20 apart in turn (every range moves)",
             f"update_view {jump_up * 1e3:.1f} ms; update and paint {jump_pa * 1e3:.1f} ms",
             "worst case, for comparison"),
            machine.row(speed)]


def _count_steps(app, window, trainer, seconds: float, data: dict | None = None) -> tuple[float, float, float]:
    """(steps per second, views per second, steps per CPU second of the whole process: training,
    views and drawing) of the window training ``trainer`` (made from the data choice ``data``, the
    sample text if None) for ``seconds``."""
    from PyQt6 import QtCore

    window.start_with_trainer(trainer, data or {"kind": "sample", "name": None})
    window.start_training()
    views = [0]  # views that reached the window; the window draws the latest at its own pace

    def count_view(_view) -> None:  # counts only: keeping the views would hold their arrays
        views[0] += 1

    window.worker.view_ready.connect(count_view)
    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(int(seconds * 1000 * 0.25), loop.quit)  # let the run get going
    loop.exec()
    start_steps, began, cpu = trainer.step_count, time.perf_counter(), time.process_time()
    views[0] = 0
    QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    done = trainer.step_count - start_steps
    rate, view_rate = done / elapsed, views[0] / elapsed
    window.worker.view_ready.disconnect(count_view)
    window.request_pause.emit()
    deadline = time.perf_counter() + 5
    while window.worker.running and time.perf_counter() < deadline:
        app.processEvents()
    return rate, view_rate, done / cpu if cpu > 0 else float("nan")


def headless_rate(trainer, seconds: float) -> tuple[float, float]:
    """(steps per second, steps per CPU second) of ``trainer`` stepping alone for ``seconds``."""
    trainer.run(10)
    began, cpu, done = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - began < seconds:
        trainer.step()
        done += 1
    cpu = time.process_time() - cpu
    return done / (time.perf_counter() - began), done / cpu if cpu > 0 else float("nan")


NEW_DOCKS = ("connectivity", "distributions", "units")  # tabbed by default; raised for the second line


def training_rate_new_docks(quick: bool = False):
    """The same with the connectivity, distributions and units docks in front of their tab groups."""
    return training_rate(quick, front=NEW_DOCKS)


def training_rate(quick: bool = False, front: tuple = ()):
    """Steps/s with the window open and redrawing, against headless, interleaved. ``front``: views
    whose docks are raised in front of their tab groups (drawn instead of the ones they hide)."""
    app = _app()
    from PyQt6 import QtCore

    from rnnviz.bench import machine
    from rnnviz.gui.window.main import MainWindow
    from rnnviz.gui.qt_app import dispose

    seconds, rounds = (1.0, 1) if quick else (4.0, 3)
    speed = [machine.measure(1 if quick else 5)]
    settings_dir = tempfile.TemporaryDirectory()  # never touch the user's saved layout
    settings = QtCore.QSettings(os.path.join(settings_dir.name, "bench.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.show()
    for panel in window.panels:
        if panel.view_name in front:
            window.docks[panel].raise_()
    windowed, headless, views = [], [], []
    try:
        for _ in range(rounds):
            steps_per_second, views_per_second, _ = _count_steps(app, window, _trainer(64, 25, BATCH), seconds)
            windowed.append(steps_per_second)
            views.append(views_per_second)
            headless.append(headless_rate(_trainer(64, 25, BATCH), seconds)[0])
    finally:
        dispose(window)  # stops the worker thread; gone before the application can be
        settings_dir.cleanup()
    speed.append(machine.measure(1 if quick else 5))
    w, h = statistics.median(windowed), statistics.median(headless)
    from rnnviz.runtime import blas_thread_count

    threads = blas_thread_count()
    shown = f", docks in front: {', '.join(front)}" if front else ""
    return [(f"training with the window open and redrawing vs headless (H=64, T=25, B=16, sample text{shown}, "
             f"{threads} BLAS thread{'s' if threads != 1 else ''} as the window sets)",
             f"{w:.0f} vs {h:.0f} steps/s ({w / h:.0%}); {statistics.median(views):.1f} views/s reached the window",
             ">= 80%"), machine.row(speed)]
