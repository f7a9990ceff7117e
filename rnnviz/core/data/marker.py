"""The future-marker task: a tag at every step that only a network reading backwards can know.

Why it exists: it is the smallest task on which a bidirectional network beats every
unidirectional one. Each sequence is noise symbols with markers A or B dropped in at random
(the last step is always a marker); the tag at step t is the kind of the first marker at or
after t. Markers' kinds are independent coin flips, so nothing before t says anything about
the tag at t: a forward-reading network, however good its memory, can do no better than a
network with none. Both get a marker step right (the tag is the input itself) and must guess
every other step (ln 2 each): the memoryless baseline. A backward direction has read the
steps after t, carries the last marker it met, and can reach a loss near 0.
"""

from __future__ import annotations

import math

import numpy as np

from rnnviz.core.errors import DataError
from rnnviz.core.data.task_base import Task

NOISE = ("a", "b", "c", "d")  # ids 0..3: symbols that carry nothing
MARK_A, MARK_B = len(NOISE), len(NOISE) + 1  # ids 4 and 5
SYMBOLS = NOISE + ("A", "B")
DEFAULT_RATE = 0.2  # a marker every ~5 steps: short gaps, so a small backward net learns fast


class FutureMarkerTask(Task):
    title = "marker"
    default_length = 20
    input_size = len(SYMBOLS)
    output_size = 2  # the tag: A or B

    def __init__(self, length=None, seed=0, rate: float = DEFAULT_RATE):
        super().__init__(length, seed)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < 1:
            raise DataError(f"the marker rate must be a number between 0 and 1, got {rate!r}")
        self.rate = float(rate)

    @property
    def description(self) -> str:
        return (
            f"Future marker: {self.length} symbols, mostly noise (a-d), with markers A or B at random "
            f"(about one step in {1 / self.rate:.0f}, and always at the last step). At every step the "
            f"network must tag the kind of the next marker at or after that step. The past says nothing "
            f"about it, so a forward-reading network stays at the memoryless baseline "
            f"({self.baseline():.2f} nats per sequence: ln 2 at each non-marker step); a bidirectional "
            f"network's backward direction has already seen the marker and can go far below it.")

    def generate(self, batch_size, rng):
        steps = self.length
        noise = rng.integers(0, len(NOISE), size=(steps, batch_size))  # (T, B)
        marked = rng.random((steps, batch_size)) < self.rate  # (T, B)
        marked[-1] = True
        kinds = rng.integers(0, 2, size=(steps, batch_size))  # (T, B) 0 = A, 1 = B
        inputs = np.where(marked, MARK_A + kinds, noise)
        tags = np.empty((steps, batch_size), dtype=np.int64)  # (T, B)
        tags[-1] = kinds[-1]
        for t in range(steps - 2, -1, -1):
            tags[t] = np.where(marked[t], kinds[t], tags[t + 1])
        return inputs.astype(np.int64), tags

    def baseline(self, seq_len=None) -> float:
        """ln 2 at each non-marker step: (T - 1)(1 - rate) ln 2 expected per sequence."""
        return (self.length - 1) * (1 - self.rate) * math.log(2)

    def token_labels(self, inputs_for_one_sample):
        return [SYMBOLS[int(i)] for i in np.asarray(inputs_for_one_sample).reshape(-1)]
