"""The cost of the network shapes: a bidirectional step against a unidirectional one of the same size.

Both directions do the same matrix work as one stack, plus the reversing gathers and the
joined [forward, backward] arrays, so a bidirectional step should cost about twice a
unidirectional one: the target is at most 2.2x. Measured interleaved, on the bench's usual
character-model size (H=256, B=32, T=100, a vocabulary of 64, a loss at every step).
"""

from __future__ import annotations

import statistics

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
