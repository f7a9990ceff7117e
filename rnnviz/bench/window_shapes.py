"""The window's two targets for every network shape, and its redraw with all twelve plot docks open.

For each shape the window draws (one-way stack on text, bidirectional stack on the marker task,
encoder-decoder on the bottleneck copy, vector-to-sequence on the waveform, many-to-one on the
labelled reviews):
- a full redraw: every panel's ``update_view`` from one snapshot, then each panel painted into
  a pixmap (``grab``), as in ``rnnviz.bench.window.panel_update``, from views of successive
  training steps (what the window draws while the network trains); 256 hidden units (128 per
  direction for the bidirectional net) over 200 steps (100 source + 100 target steps for the
  encoder-decoder; the reviews' own lengths for the text);
- training with the real window open and redrawing against the same trainer headless, all shapes
  round-robin in one run (window A, headless A, window B, headless B, ...), so that a neighbour's
  load lands on every ratio alike.

And the real MainWindow with all twelve plot docks side by side (none tabbed away), redrawing
through its own ``redraw`` (what its 30 Hz timer calls) and then painting what changed, as it
does on screen (its pending paint events processed; grabbing each dock as well painted every
dock twice): the figure its redraw budget is about. Qt is imported inside the functions only.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from rnnviz.bench.window import EVERY_VIEW_NEW, _app, _count_steps, headless_rate, successive_views

REDRAW_SIZE = (256, 200)  # hidden units, steps: the unidirectional redraw line's size
TRAIN_SIZE = (64, 25)  # the training-with-window line's size
QUICK_SIZE = (16, 12)
BATCH = 16
MAX_EVENT_ROUNDS = 10  # rounds of Qt's events a redraw's repaints may take (two in practice)
EARLY_WARMUP = 5  # a run's first views are drawn after this many steps: ranges still being found
LATER_STEP = 40  # and again from about this step of the same run on, where they mostly hold


def shape_settings(shape: str, hidden: int, steps: int) -> tuple[dict, dict, dict]:
    """(model, train, data) settings of ``shape`` with ``hidden`` units in all and about ``steps`` steps."""
    train = {"seq_len": steps, "batch_size": BATCH, "steps": 10**9}
    if shape == "unidirectional":
        return {"hidden_size": hidden}, train, {"kind": "sample", "name": None}
    if shape == "bidirectional":
        return ({"hidden_size": hidden // 2, "bidirectional": True}, train,
                {"kind": "task", "name": "marker", "length": steps})
    if shape == "seq2seq":
        return ({"hidden_size": hidden, "arch": "seq2seq", "context": "init"}, train,
                {"kind": "task", "name": "bottleneck", "length": steps // 2})
    if shape == "vec2seq":
        return ({"hidden_size": hidden, "arch": "vec2seq", "context": "init"}, train,
                {"kind": "task", "name": "waveform", "length": steps})
    if shape == "many-to-one text":
        return {"hidden_size": hidden}, train, {"kind": "sample", "name": "reviews.tsv"}
    raise ValueError(f"unknown shape {shape!r}")


SHAPES = ("unidirectional", "bidirectional", "seq2seq", "vec2seq", "many-to-one text")


def _trainer(shape: str, hidden: int, steps: int, every_view_new: bool = False):
    """The trainer of ``shape``; ``every_view_new``: recording at every step, for the redraw lines
    (see rnnviz.bench.window.EVERY_VIEW_NEW)."""
    from rnnviz.core.train.presets import make_trainer

    model, train, data = shape_settings(shape, hidden, steps)
    return make_trainer(model, {**train, **(EVERY_VIEW_NEW if every_view_new else {})}, data)


def _training_views(trainer, count: int) -> list:
    """``count`` snapshots of successive training steps: every one new numbers, none skippable."""
    return successive_views(trainer, count, warmup=EARLY_WARMUP)


def _phases(trainer, count: int, untimed: int, quick: bool = False) -> list[tuple[str, list]]:
    """(label, views) for the two phases a run is drawn in, ``count`` successive views each: its
    first steps, where each plot's ranges are still being found (axes laid out again at most
    redraws), then later in the same run, where the ranges mostly hold. The label names the
    training steps of the views timed: all but the first ``untimed``."""
    early = _training_views(trainer, count)
    later_warmup = 1 if quick else max(LATER_STEP - EARLY_WARMUP - count, 0)
    later = successive_views(trainer, count, warmup=later_warmup)
    return [(f"training steps {views[untimed].snapshot.step}-{views[-1].snapshot.step}", views)
            for views in (early, later)]


def _time_redraw(app, draw, paint, view) -> tuple[float, float, float, float]:
    """Seconds of ``draw(view)`` and of ``draw(view)`` then ``paint()``: (wall, wall, CPU, CPU)."""
    wall, cpu = time.perf_counter(), time.process_time()
    draw(view)
    wall_drawn, cpu_drawn = time.perf_counter(), time.process_time()
    paint()
    app.processEvents()
    return wall_drawn - wall, time.perf_counter() - wall, cpu_drawn - cpu, time.process_time() - cpu


def _redraw_row(label: str, times: list, repeats: int, against=None) -> tuple[str, str, str]:
    """One row from per-repeat ``_time_redraw`` results (the first is dropped: it warms caches)."""
    update, whole, update_cpu, whole_cpu = (statistics.median(column) for column in zip(*times[1:]))
    value = (f"update {update * 1e3:.1f} ms, with paint {whole * 1e3:.1f} ms; CPU time {update_cpu * 1e3:.1f} / "
             f"{whole_cpu * 1e3:.1f} ms")
    if against is not None:
        value += f" ({whole_cpu / against:.2f}x the unidirectional's)"
    return label, value, f"< 33 ms update and paint; median of {repeats}"


def _panel_set(view):
    from rnnviz.gui.panels import PANEL_CLASSES

    panels = [cls() for cls in PANEL_CLASSES]
    for panel in panels:
        panel.resize(640, 420)  # about a dock's size in the default window
        panel.update_view(view)  # the first view of a run builds what the shape needs
    return panels


def redraw_per_shape(quick: bool = False):
    """Rows: a full redraw of every panel, per shape, against the 33 ms budget. The shapes take
    turns, phase by phase, each drawn by a set of panels of its own that is the only one alive
    while it draws, as in the window: five sets alive at once made the same views of the
    one-way stack ~10 % slower (33.1 – 33.9 against 36.6 – 37.8 ms)."""
    app = _app()
    from rnnviz.bench import machine
    from rnnviz.gui.qt_app import dispose

    hidden, steps = QUICK_SIZE if quick else REDRAW_SIZE
    repeats = 1 if quick else 9
    speed = [machine.measure(1 if quick else 5)]
    phases = {shape: _phases(_trainer(shape, hidden, steps, every_view_new=True), repeats + 2, 2, quick)
              for shape in SHAPES}
    times = {(shape, phase): [] for shape in SHAPES for phase in range(2)}
    for phase in range(2):
        for shape in SHAPES:
            views = phases[shape][phase][1]
            shown = _panel_set(views[0])  # the phase's first view builds what the shape needs
            count = len(shown)

            def draw(view):
                for panel in shown:
                    panel.update_view(view)

            def paint():
                for panel in shown:
                    panel.grab()

            try:
                for i in range(repeats + 1):
                    times[shape, phase].append(_time_redraw(app, draw, paint, views[i + 1]))
            finally:
                dispose(*shown)
    speed.append(machine.measure(1 if quick else 5))
    rows = []
    for phase in range(2):
        for shape in SHAPES:
            label, views = phases[shape][phase]
            drawn = views[0].snapshot.hidden.shape  # (T, L, H) of the sample drawn
            base = (statistics.median(t[3] for t in times["unidirectional", phase][1:])
                    if shape != "unidirectional" else None)
            rows.append(_redraw_row(f"redraw of all {count} panels, {shape}, {label} (T={drawn[0]}, "
                                    f"{drawn[-1]} units, 640x420 each, offscreen)", times[shape, phase], repeats, base))
    return rows + [machine.row(speed)]


def _window(settings_dir: str):
    """A shown MainWindow whose settings live in ``settings_dir`` (never the user's saved layout)."""
    from PyQt6 import QtCore

    from rnnviz.gui.window.main import MainWindow

    settings = QtCore.QSettings(os.path.join(settings_dir, "bench.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.show()
    return window


def training_per_shape(quick: bool = False):
    """Rows: steps/s with the window open and redrawing against headless, per shape, interleaved;
    also per CPU second of the process, which a neighbour's load moves far less than wall time."""
    app = _app()
    from rnnviz.bench import machine
    from rnnviz.gui.qt_app import dispose
    from rnnviz.runtime import blas_thread_count

    hidden, steps = QUICK_SIZE if quick else TRAIN_SIZE
    seconds, rounds = (0.15, 1) if quick else (3.0, 3)
    speed = [machine.measure(1 if quick else 5)]
    windowed = {shape: [] for shape in SHAPES}  # per round: (steps/s, views/s, steps per CPU s)
    headless = {shape: [] for shape in SHAPES}  # per round: (steps/s, steps per CPU s)
    folder = tempfile.TemporaryDirectory()  # never touch the user's saved layout
    window = _window(folder.name)
    try:
        for _ in range(rounds):
            for shape in SHAPES:
                data = shape_settings(shape, hidden, steps)[2]
                windowed[shape].append(_count_steps(app, window, _trainer(shape, hidden, steps), seconds, data))
                headless[shape].append(headless_rate(_trainer(shape, hidden, steps), seconds))
    finally:
        dispose(window)  # stops the worker thread; gone before the application can be
        folder.cleanup()
    speed.append(machine.measure(1 if quick else 5))
    threads = blas_thread_count()
    rows = []
    for shape in SHAPES:
        w, views, w_cpu = (statistics.median(column) for column in zip(*windowed[shape]))
        h, h_cpu = (statistics.median(column) for column in zip(*headless[shape]))
        rows.append((f"training with the window open vs headless, {shape} ({hidden} units, ~{steps} steps, "
                     f"B={BATCH}; {threads} BLAS thread{'s' if threads != 1 else ''})",
                     f"{w:.0f} vs {h:.0f} steps/s ({w / h:.0%}); per CPU second {w_cpu:.0f} vs {h_cpu:.0f} "
                     f"({w_cpu / h_cpu:.0%}); {views:.1f} views/s",
                     f">= 80%; medians of {rounds}, shapes interleaved"))
    return rows + [machine.row(speed)]


def open_every_dock(window) -> list:
    """Bring every tabbed plot dock out beside its partner, so all of them are on screen at once."""
    from PyQt6.QtCore import Qt

    from rnnviz.gui.window.layout import TABBED_WITH

    by_name = {panel.view_name: window.docks[panel] for panel in window.panels}
    for name, host in TABBED_WITH.items():
        if name in by_name and host in by_name:
            window.splitDockWidget(by_name[host], by_name[name], Qt.Orientation.Horizontal)
    return [panel for panel in window.panels if panel.view_name != "text"]


def _count_paint_time(canvases) -> list:
    """Make each canvas add the CPU seconds of its paint events to the returned one-item list
    (on the instances only; ``_stop_counting`` puts them back)."""
    spent = [0.0]
    for canvas in canvases:
        def paint_event(event, canvas=canvas, paint=type(canvas).paintEvent):
            began = time.process_time()
            paint(canvas, event)
            spent[0] += time.process_time() - began
        canvas.paintEvent = paint_event
    return spent


def _stop_counting(canvases) -> None:
    for canvas in canvases:
        del canvas.paintEvent


def _split_row(shape: str, splits: list, repeats: int) -> tuple[str, str, str]:
    """Where a redraw's CPU time goes: (redraw(), canvases' paint events, the rest of the paint phase)."""
    redraw, canvases, rest = (statistics.median(column) * 1e3 for column in zip(*splits[1:]))
    return (f"  {shape}: the window's redraw() / canvases' paint events / rest of the paint phase",
            f"{redraw:.1f} / {canvases:.1f} / {rest:.1f} ms CPU",
            "rest: Qt's repaint manager, dock frames, the scenes' update processing; "
            f"medians of {repeats}")


def _window_redraws(app, window, canvases, spent, views) -> tuple[list, list]:
    """The window drawing ``views`` one after the other: per view, ``_time_redraw``'s seconds and
    the CPU split (redraw(), canvases' paint events, the rest); ``spent`` counts the paint events."""
    def draw(view):
        window.latest_view = view
        window.redraw()  # what the window's redraw timer calls

    def paint():
        """Qt's events until the docks' repaints are done: the scene's changes are processed in
        one round of events and the repaint they ask for in a later one."""
        start = sum(canvas.paints for canvas in canvases)
        for _ in range(MAX_EVENT_ROUNDS):
            before = sum(canvas.paints for canvas in canvases)
            app.processEvents()
            after = sum(canvas.paints for canvas in canvases)
            if after == before and after > start:
                return

    times, splits = [], []
    for view in views:
        spent[0] = 0.0
        times.append(_time_redraw(app, draw, paint, view))
        _, _, redraw_cpu, whole_cpu = times[-1]
        splits.append((redraw_cpu, spent[0], whole_cpu - redraw_cpu - spent[0]))
    return times, splits


def redraw_all_docks(quick: bool = False):
    """Rows: the real window's redraw with all twelve plot docks open, per shape and phase of a run,
    against 33 ms, each with its split (redraw() / canvases' paint / the rest), and the machine's
    speed. One window; the shapes one after the other (a window shows one run at a time)."""
    app = _app()
    from rnnviz.bench import machine
    from rnnviz.gui.qt_app import dispose
    from rnnviz.gui.window.main import in_sight

    hidden, steps = QUICK_SIZE if quick else REDRAW_SIZE
    repeats = 1 if quick else 9
    speed = [machine.measure(1 if quick else 5)]
    folder = tempfile.TemporaryDirectory()
    window = _window(folder.name)
    rows, base = [], {}  # phase -> the unidirectional's CPU time
    try:
        plots = open_every_dock(window)
        app.processEvents()
        shown = [panel for panel in plots if in_sight(panel)]
        canvases = [panel.canvas for panel in shown]
        size = f"{window.width()}x{window.height()}"
        spent = _count_paint_time(canvases)
        for shape in ("bidirectional",) if quick else SHAPES:
            trainer = _trainer(shape, hidden, steps, every_view_new=True)
            for phase, (label, views) in enumerate(_phases(trainer, repeats + 1, 1, quick)):
                times, splits = _window_redraws(app, window, canvases, spent, views)  # the first warms up
                row = _redraw_row(f"the window's redraw with all {len(shown)} of {len(plots)} plot docks in "
                                  f"sight, {shape}, {label} ({hidden} units, T={views[0].snapshot.hidden.shape[0]}, "
                                  f"window {size}, offscreen)", times, repeats, base.get(phase))
                whole_cpu = statistics.median(t[3] for t in times[1:])
                rows += [(row[0], f"{row[1]}; {machine.in_units(whole_cpu, speed)}", row[2]),
                         _split_row(f"{shape}, {label}", splits, repeats)]
                if shape == "unidirectional":
                    base[phase] = whole_cpu
        _stop_counting(canvases)
    finally:
        dispose(window)
        folder.cleanup()
    speed.append(machine.measure(1 if quick else 5))
    return rows + [machine.row(speed)]
