"""The cost of the network shapes: a bidirectional step against a unidirectional one of the same size.

Both directions do the same matrix work as one stack, plus the reversing gathers and the
joined [forward, backward] arrays, so a bidirectional step should cost about twice a
unidirectional one: the target is at most 2.2x. Measured interleaved, on the bench's usual
character-model size (H=256, B=32, T=100, a vocabulary of 64, a loss at every step). And the
window's two targets (redraw under 33 ms, training at >= 80 % of headless) for a bidirectional net.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from rnnviz.bench.timing import interleaved
from rnnviz.core.config import ModelConfig
from rnnviz.core.nn.shapes import make_model

FULL = (256, 32, 100, 64)  # H, B, T, vocabulary
QUICK = (16, 4, 10, 8)
FULL_REPEATS, QUICK_REPEATS = 7, 1


def bidirectional_vs_unidirectional(quick: bool = False):
    hidden, batch, steps, vocab = QUICK if quick else FULL
    repeats = QUICK_REPEATS if quick else FULL_REPEATS
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, vocab, size=(steps, batch))
    targets = rng.integers(0, vocab, size=(steps, batch))
    models = {name: make_model(ModelConfig(input_size=vocab, hidden_size=hidden, output_size=vocab,
                                           bidirectional=name == "bidirectional"))
              for name in ("unidirectional", "bidirectional")}
    for model in models.values():  # warm-up: first-call allocations stay out of the timing
        model.loss_and_grads(inputs, targets)
    times = interleaved({name: (lambda m=model: m.loss_and_grads(inputs, targets))
                         for name, model in models.items()}, repeats)
    one, two = statistics.median(times["unidirectional"]), statistics.median(times["bidirectional"])
    paired = [b / u for b, u in zip(times["bidirectional"], times["unidirectional"])]
    size = f"H={hidden} B={batch} T={steps} V={vocab}, tanh"
    return [
        ("unidirectional step", f"{one * 1e3:.1f} ms", f"{size}, median of {repeats}"),
        ("bidirectional step", f"{two * 1e3:.1f} ms", f"{size}, median of {repeats}, interleaved"),
        ("ratio bidirectional / unidirectional", f"{two / one:.2f}x",
         f"target <= 2.2x; per repeat {min(paired):.2f}x .. {max(paired):.2f}x"),
    ]


def _marker_trainer(hidden: int, length: int, batch: int):
    from rnnviz.core.train.presets import make_trainer

    return make_trainer({"hidden_size": hidden, "bidirectional": True}, {"batch_size": batch, "steps": 10**9},
                        {"kind": "task", "name": "marker", "length": length})


def window_bidirectional(quick: bool = False):
    """The window's two targets for a bidirectional net: a redraw of every panel under 33 ms
    (H=128 per direction, so 256 units as in the unidirectional line, T=200), and training with
    the window open at >= 80 % of headless (H=32 per direction, T=25, B=16), interleaved."""
    import os
    import tempfile

    from PyQt6 import QtCore

    from rnnviz.bench.window import _app, _count_steps
    from rnnviz.gui.panels import PANEL_CLASSES
    from rnnviz.gui.qt_app import dispose
    from rnnviz.gui.window.main import MainWindow

    app = _app()
    hidden, length = (32, 40) if quick else (128, 200)
    trainer = _marker_trainer(hidden, length, 16)
    trainer.run(5)
    views = (trainer.view_data(), (trainer.run(5), trainer.view_data())[1])
    panels = [cls() for cls in PANEL_CLASSES]
    for panel in panels:
        panel.resize(640, 420)
    update, paint = [], []
    for i in range((3 if quick else 9) + 1):  # the first round warms caches and is dropped
        began = time.perf_counter()
        for panel in panels:
            panel.update_view(views[i % 2])
        updated = time.perf_counter()
        for panel in panels:
            panel.grab()
        app.processEvents()
        if i:
            update.append(updated - began)
            paint.append(time.perf_counter() - began)
    dispose(*panels)
    rows = [(f"redraw of every panel, bidirectional (H={hidden} per direction, T={length}, offscreen)",
             f"update_view {statistics.median(update) * 1e3:.1f} ms; update and paint "
             f"{statistics.median(paint) * 1e3:.1f} ms", "< 33 ms")]

    seconds, rounds = (1.0, 1) if quick else (4.0, 3)
    folder = tempfile.TemporaryDirectory()
    settings = QtCore.QSettings(os.path.join(folder.name, "bench.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.show()
    windowed, headless = [], []
    try:
        for _ in range(rounds):
            windowed.append(_count_steps(app, window, _marker_trainer(32, 25, 16), seconds)[0])
            alone = _marker_trainer(32, 25, 16)
            alone.run(10)
            began, done = time.perf_counter(), 0
            while time.perf_counter() - began < seconds:
                alone.step()
                done += 1
            headless.append(done / (time.perf_counter() - began))
    finally:
        dispose(window)
        folder.cleanup()
    w, h = statistics.median(windowed), statistics.median(headless)
    rows.append(("training with the window open vs headless, bidirectional (H=32 per direction, T=25, B=16, "
                 "marker task)", f"{w:.0f} vs {h:.0f} steps/s ({w / h:.0%})", ">= 80%"))
    return rows


SEQ2SEQ_FULL = (256, 32, 50, 64)  # H (both stacks), B, S = U, vocabulary
SEQ2SEQ_QUICK = (16, 4, 6, 8)


def seq2seq_vs_two_stacks(quick: bool = False):
    """An encoder-decoder step against its encoder's and decoder's steps run alone (target <= 1.1x):
    what the bridge, the context and the stitching cost on top of the two recurrences."""
    from rnnviz.core.nn.model import RNN

    hidden, batch, steps, vocab = SEQ2SEQ_QUICK if quick else SEQ2SEQ_FULL
    repeats = QUICK_REPEATS if quick else FULL_REPEATS
    rng = np.random.default_rng(0)
    source = rng.integers(0, vocab, size=(steps, batch))
    read = rng.integers(0, vocab + 1, size=(steps, batch))
    targets = rng.integers(0, vocab, size=(steps, batch))
    model = make_model(ModelConfig(input_size=vocab + 1, hidden_size=hidden, output_size=vocab, arch="seq2seq",
                                   context="init", source_length=steps))
    encoder = RNN(ModelConfig(input_size=vocab + 1, hidden_size=hidden, output_size=1))
    decoder = RNN(ModelConfig(input_size=vocab + 1, hidden_size=hidden, output_size=vocab))
    inputs = np.concatenate([source, read])
    last = np.zeros((batch, 1))

    def alone():
        encoder.loss_and_grads(source, last)  # a last-step loss: its gradient crosses the whole source
        decoder.loss_and_grads(read, targets)

    contenders = {"seq2seq": lambda: model.loss_and_grads(inputs, targets), "alone": alone}
    for run in contenders.values():
        run()
    times = interleaved(contenders, repeats)
    both, apart = statistics.median(times["seq2seq"]), statistics.median(times["alone"])
    paired = [a / b for a, b in zip(times["seq2seq"], times["alone"])]
    size = f"H={hidden} B={batch} S=U={steps} V={vocab}, tanh, context init"
    return [
        ("encoder + decoder steps alone", f"{apart * 1e3:.1f} ms", f"{size}, median of {repeats}"),
        ("encoder-decoder step", f"{both * 1e3:.1f} ms", f"{size}, median of {repeats}, interleaved"),
        ("ratio encoder-decoder / the two alone", f"{both / apart:.2f}x",
         f"target <= 1.1x; per repeat {min(paired):.2f}x .. {max(paired):.2f}x"),
    ]
