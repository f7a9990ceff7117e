"""The cost of the network shapes: a bidirectional step against a unidirectional one of the same
size, and an encoder-decoder's against its two stacks run alone.

Both directions do the same matrix work as one stack, plus the reversing gathers, so a
bidirectional step should cost about twice a unidirectional one: the target is at most 2.2x.
Measured interleaved, on the bench's usual character-model size (H=256, B=32, T=100, a
vocabulary of 64, a loss at every step), in wall time and in CPU time of the process (which a
neighbour's load moves far less; with one BLAS thread it is the step's own). The window's
targets for every shape are in ``rnnviz.bench.window_shapes``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from rnnviz.core.config import ModelConfig
from rnnviz.core.nn.shapes import make_model


def _timed(contenders: dict, repeats: int) -> dict[str, list[tuple[float, float]]]:
    """Per contender, every (wall, CPU) seconds, measured round-robin."""
    samples = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            samples[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return samples


def _ratio_rows(times, slow: str, fast: str, labels: tuple[str, str, str], size: str, target: str, repeats: int):
    """Rows: each contender's medians (wall and CPU), and their ratio with its per-repeat range."""
    medians = {name: [statistics.median(column) for column in zip(*values)] for name, values in times.items()}
    (slow_wall, slow_cpu), (fast_wall, fast_cpu) = medians[slow], medians[fast]
    paired = [s[1] / f[1] for s, f in zip(times[slow], times[fast])]
    return [
        (labels[0], f"{fast_wall * 1e3:.1f} ms (CPU {fast_cpu * 1e3:.1f} ms)", f"{size}, median of {repeats}"),
        (labels[1], f"{slow_wall * 1e3:.1f} ms (CPU {slow_cpu * 1e3:.1f} ms)",
         f"{size}, median of {repeats}, interleaved"),
        (labels[2], f"{slow_wall / fast_wall:.2f}x wall, {slow_cpu / fast_cpu:.2f}x CPU",
         f"target {target}; CPU per repeat {min(paired):.2f}x .. {max(paired):.2f}x"),
    ]


FULL = (256, 32, 100, 64)  # H, B, T, vocabulary
QUICK = (16, 4, 10, 8)
FULL_REPEATS, QUICK_REPEATS = 7, 1


def bidirectional_vs_unidirectional(quick: bool = False):
    """Rows per case: tanh, the LSTM (whose gates and cell state are more arrays per step), and two
    tanh layers (shown, not held to the target)."""
    hidden, batch, steps, vocab = QUICK if quick else FULL
    repeats = QUICK_REPEATS if quick else FULL_REPEATS
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, vocab, size=(steps, batch))
    targets = rng.integers(0, vocab, size=(steps, batch))
    rows = []
    for cell, layers in (("tanh", 1), ("lstm", 1), ("tanh", 2)):
        models = {name: make_model(ModelConfig(input_size=vocab, hidden_size=hidden, output_size=vocab, cell=cell,
                                               num_layers=layers, bidirectional=name == "bidirectional"))
                  for name in ("unidirectional", "bidirectional")}
        for model in models.values():  # warm-up: first-call allocations stay out of the timing
            model.loss_and_grads(inputs, targets)
        times = _timed({name: (lambda m=model: m.loss_and_grads(inputs, targets))
                        for name, model in models.items()}, repeats)
        what = f"{cell}" if layers == 1 else f"{cell}, {layers} layers"
        # a layer above the first reads [forward, backward]: each direction has twice the inputs of a
        # unidirectional layer, so its input products are four times the unidirectional layer's
        target = "<= 2.2x" if layers == 1 else "none: above 2x by design (layer 2 reads 2H inputs per direction)"
        rows += _ratio_rows(times, "bidirectional", "unidirectional",
                            (f"unidirectional step, {what}", f"bidirectional step, {what}",
                             f"ratio bidirectional / unidirectional, {what}"),
                            f"H={hidden} B={batch} T={steps} V={vocab}", target, repeats)
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
    times = _timed(contenders, repeats)
    return _ratio_rows(times, "seq2seq", "alone",
                       ("encoder + decoder steps alone", "encoder-decoder step", "ratio encoder-decoder / the two alone"),
                       f"H={hidden} B={batch} S=U={steps} V={vocab}, tanh, context init", "<= 1.1x", repeats)
