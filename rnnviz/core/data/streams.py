"""Batching one long sequence for truncated BPTT, the way char-rnn does it.

The training part of a text or a series is cut into B equal streams, read side by side, T
steps at a time. Window k of stream b starts where window k-1 ended, so the hidden state left
by one batch is the right state to start the next (``carry_state``). When a stream runs out,
reading starts again at the top (one epoch done).

Shapes: N items in the training part, B streams, T steps per window; a window of T inputs
needs T + 1 items (each input's target is the next item).
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.errors import DataError


class StreamWindows:
    """Where each of the B streams is, and which items the next window covers."""

    def __init__(self, length: int, unit: str = "token") -> None:
        self.length = int(length)  # N items in the training part
        self.unit = unit  # "character", "word", "row": for messages
        self.cursor = 0  # offset of the next window inside every stream
        self.batch_size = None  # B of the last batch; a new B starts the streams again
        self.epochs = 0  # times the streams have wrapped around

    def stream_length(self, batch_size: int) -> int:
        """Items per stream beyond the first: each stream holds stream_length + 1 items."""
        return (self.length - 1) // batch_size

    def check_window(self, batch_size: int, seq_len: int) -> None:
        """Raise DataError unless B streams can each give a window of T steps; changes nothing."""
        _check_positive(batch_size, "batch size")
        _check_positive(seq_len, "window length (seq_len)")
        if self.stream_length(batch_size) < seq_len:
            needed = batch_size * seq_len + 1
            raise DataError(
                f"the training part has {self.length:,} {self.unit}s, but {batch_size} streams of "
                f"{seq_len} steps need at least {needed:,} (B x T + 1); use a smaller batch size "
                f"or a shorter window, or a longer file")

    def next_indices(self, batch_size: int, seq_len: int) -> np.ndarray:
        """Indices (T + 1, B) into the training part for the next window; advances the cursor."""
        self.check_window(batch_size, seq_len)
        per_stream = self.stream_length(batch_size)
        if batch_size != self.batch_size:
            self.batch_size = batch_size
            self.cursor = 0
        if self.cursor + seq_len > per_stream:
            self.cursor = 0
            self.epochs += 1
        starts = np.arange(batch_size) * per_stream + self.cursor  # (B,)
        self.cursor += seq_len
        return starts[None, :] + np.arange(seq_len + 1)[:, None]  # (T + 1, B)

    def get_state(self) -> dict:
        return {"cursor": self.cursor, "batch_size": self.batch_size, "epochs": self.epochs}

    def set_state(self, state: dict) -> None:
        try:
            cursor = int(state.get("cursor", 0))
            batch_size = state.get("batch_size")
            batch_size = None if batch_size is None else int(batch_size)
            epochs = int(state.get("epochs", 0))
        except (AttributeError, TypeError, ValueError):
            raise DataError(f"the saved data position is not readable: {state!r}") from None
        if cursor < 0 or (batch_size is not None and batch_size < 1) or epochs < 0:
            raise DataError(f"the saved data position is out of range: {state!r}")
        self.cursor, self.batch_size, self.epochs = cursor, batch_size, epochs


def validation_indices(length: int, batch_size: int, seq_len: int) -> np.ndarray | None:
    """Indices (T + 1, b) of up to B consecutive windows from the start of the held-out part.

    Always the same windows, so validation losses from different steps compare. b may be
    smaller than B for a short held-out part; None when not even one window fits.
    """
    _check_positive(batch_size, "batch size")
    _check_positive(seq_len, "window length (seq_len)")
    count = min(batch_size, (length - 1) // seq_len) if length > 1 else 0
    if count < 1:
        return None
    starts = np.arange(count) * seq_len  # (b,)
    return starts[None, :] + np.arange(seq_len + 1)[:, None]  # (T + 1, b)


class StreamedSource:
    """What every source read as B parallel streams shares (text, series): its cursor is its
    state, and it can say whether a window fits. Subclasses set ``self._streams``."""

    predicts_next = True  # each target is the next token or row: a backward direction would read it

    _streams: StreamWindows

    def check_window(self, batch_size: int, seq_len: int) -> None:
        """Raise DataError unless the training part holds B streams of T steps (the trainer asks
        before a run starts, so data too short never replaces a working run)."""
        self._streams.check_window(batch_size, seq_len)

    def get_state(self) -> dict:
        return self._streams.get_state()

    def set_state(self, state: dict) -> None:
        self._streams.set_state(state)


def _check_positive(value, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataError(f"the {what} must be a whole number of at least 1, got {value!r}")
