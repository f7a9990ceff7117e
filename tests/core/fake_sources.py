"""Tiny data sources for the engine's tests: a character stream and the adding problem.

They implement rnnviz.core.data.source.Source in a few lines, so the trainer, sessions and the
optimizers can be tested without the real loaders (and independently of them).
"""

from __future__ import annotations

import math

import numpy as np

TEXT = ("the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat "
        "by the log, and the cat sat down. ") * 8


class FakeText:
    """A character stream read by B parallel cursors, window after window (char-rnn batching)."""

    carry_state = True

    def __init__(self, text: str = TEXT) -> None:
        self.vocab = sorted(set(text))
        self.ids = np.array([self.vocab.index(c) for c in text], dtype=np.int64)
        self.input_size = self.output_size = len(self.vocab)
        self.name = "fake text"
        self.description = "a short repeating English text"
        self.cursor = 0

    def train_batch(self, batch_size, seq_len, rng):
        n = self.ids.size - 1
        lane = n // batch_size
        starts = (np.arange(batch_size) * lane + self.cursor) % (n - seq_len)
        index = starts[None, :] + np.arange(seq_len)[:, None]  # (T, B)
        self.cursor = (self.cursor + seq_len) % max(lane, 1)
        return self.ids[index], self.ids[index + 1]

    def validation_batch(self, batch_size, seq_len):
        index = (np.arange(batch_size) * 7)[None, :] % (self.ids.size - seq_len - 1) + np.arange(seq_len)[:, None]
        return self.ids[index], self.ids[index + 1]

    def baseline(self, seq_len):
        return seq_len * math.log(len(self.vocab))

    def token_labels(self, inputs):
        return [self.vocab[i] for i in inputs]

    def get_state(self):
        return {"cursor": int(self.cursor)}

    def set_state(self, state):
        self.cursor = int(state["cursor"])


class FakeAdding:
    """The adding problem (Hochreiter & Schmidhuber 1997): sum the two marked numbers."""

    carry_state = False
    input_size = 2
    output_size = 1

    def __init__(self, length: int = 10) -> None:
        self.length = length
        self.name = f"adding (T={length})"
        self.description = "sum of the two marked values; predicting 1 scores 1/6"

    def _batch(self, batch_size, rng):
        values = rng.uniform(0, 1, (self.length, batch_size))
        marks = np.zeros((self.length, batch_size))
        half = max(1, self.length // 2)
        first = rng.integers(0, half, batch_size)
        second = rng.integers(half, self.length, batch_size)
        cols = np.arange(batch_size)
        marks[first, cols] = 1
        marks[second, cols] = 1
        inputs = np.stack([values, marks], axis=-1)  # (T, B, 2)
        targets = (values * marks).sum(axis=0)[:, None]  # (B, 1)
        return inputs, targets

    def train_batch(self, batch_size, seq_len, rng):
        return self._batch(batch_size, rng)

    def validation_batch(self, batch_size, seq_len):
        return self._batch(256, np.random.default_rng(12345))

    def baseline(self, seq_len):
        return 1 / 6  # variance of the sum of two U(0, 1)

    def token_labels(self, inputs):
        return [f"{v:.2f}{'*' if m else ''}" for v, m in inputs]

    def get_state(self):
        return {}

    def set_state(self, state):
        pass


class ExplodingSource(FakeAdding):
    """The adding problem with huge inputs on demand: the trainer's divergence path, made certain.

    The call count is not part of the saved state: the blow-up happens once, even when the
    trainer rewinds the data after a failed step."""

    def __init__(self, length: int = 6, blow_up_at_call: int | None = None, value: float = np.inf) -> None:
        super().__init__(length)
        self.calls = 0
        self.blow_up_at_call = blow_up_at_call
        self.value = value

    def train_batch(self, batch_size, seq_len, rng):
        inputs, targets = self._batch(batch_size, rng)
        self.calls += 1
        if self.calls == self.blow_up_at_call:
            inputs[3, 0, 0] = self.value  # timestep 3, first sample
        return inputs, targets

