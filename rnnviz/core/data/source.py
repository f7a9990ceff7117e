"""What the trainer needs from a data source: the one seam between data and training.

Text files, CSV series and synthetic tasks all implement ``Source``. The trainer never
looks inside a source; the app asks it for a description, token labels and a baseline.
Shapes follow the model: inputs (T, B) token ids or (T, B, X) floats; targets as in
``RNN.loss_and_grads``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Source(Protocol):
    name: str  # short, shown in titles: "sample: fables.txt", "adding (T=50)"
    description: str  # one paragraph the app shows: what the task is and what to look for
    input_size: int  # vocabulary size for token ids, channels for floats
    output_size: int  # vocabulary size for classification, channels for regression
    carry_state: bool  # True for a stream read window after window (carry h between batches)

    def train_batch(self, batch_size: int, seq_len: int, rng: np.random.Generator):
        """The next training batch ``(inputs, targets)``. Streams advance an internal cursor;
        tasks draw fresh sequences from ``rng``."""

    def validation_batch(self, batch_size: int, seq_len: int):
        """A fixed held-out batch ``(inputs, targets)``, or None when there is no held-out data."""

    def baseline(self, seq_len: int) -> float | None:
        """The memoryless baseline, in the model's loss units (summed over scored steps,
        averaged over the batch), or None when there is none."""

    def token_labels(self, inputs_for_one_sample: np.ndarray) -> list[str]:
        """A short label per timestep for plot axes (a character, a word, a value)."""

    # Optional, for finite streams (text, series): check_window(batch_size, seq_len) raises
    # DataError unless one training window fits; the trainer calls it before a run starts.

    def get_state(self) -> dict:
        """JSON-able cursor state, so a saved session resumes on the same batch."""

    def set_state(self, state: dict) -> None:
        ...
