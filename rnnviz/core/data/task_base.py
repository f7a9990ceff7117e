"""What every synthetic task shares: fixed-length independent sequences drawn from the trainer's
rng, a fixed validation batch, and the checks on a task's length and batch size.

Apart from the tasks themselves (``tasks``, ``marker``, ``seq2seq_tasks``, ``vec2seq_tasks``) so
that each builds on it and the registry in ``tasks`` imports them all without an import cycle.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.errors import DataError

MAX_LENGTH = 5000  # longer sequences make one step take seconds in numpy: no longer interactive
VALIDATION_SEED_OFFSET = 1_000_003  # validation sequences come from a stream apart from training


class Task:
    """What every task shares: fixed-length independent sequences, a fixed validation batch."""

    carry_state = False  # independent sequences: the state must start afresh each batch
    predicts_next = False  # True where each target is the next input (a bidirectional net would see it)
    default_length = 50
    min_length = 2
    title = "task"

    def __init__(self, length: int | None = None, seed: int = 0) -> None:
        self.length = check_length(self.default_length if length is None else length,
                                    self.min_length, self.title)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise DataError(f"the task seed must be a non-negative whole number, got {seed!r}")
        self.seed = int(seed)
        self._validation: dict[int, tuple] = {}

    @property
    def sequence_length(self) -> int:
        return self.length

    @property
    def name(self) -> str:
        return f"{self.title} (T={self.length})"

    def generate(self, batch_size: int, rng: np.random.Generator):
        raise NotImplementedError

    def train_batch(self, batch_size: int, seq_len: int | None = None, rng: np.random.Generator | None = None):
        if rng is None:
            rng = np.random.default_rng()
        return self.generate(check_batch(batch_size), rng)

    def validation_batch(self, batch_size: int, seq_len: int | None = None):
        batch_size = check_batch(batch_size)
        if batch_size not in self._validation:
            rng = np.random.default_rng([self.seed, VALIDATION_SEED_OFFSET])
            self._validation[batch_size] = self.generate(batch_size, rng)
        inputs, targets = self._validation[batch_size]
        return inputs.copy(), targets.copy()

    def get_state(self) -> dict:
        return {}  # nothing to resume: every batch is fresh

    def set_state(self, state: dict) -> None:
        pass


def check_length(length, minimum: int, title: str) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not minimum <= length <= MAX_LENGTH:
        raise DataError(f"the {title} task's length T must be a whole number from {minimum} to "
                        f"{MAX_LENGTH}, got {length!r}")
    return int(length)


def check_batch(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise DataError(f"the batch size must be a whole number of at least 1, got {batch_size!r}")
    return int(batch_size)
