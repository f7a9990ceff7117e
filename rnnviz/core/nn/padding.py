"""Padded batches: sequences of different lengths in one (T, B) window, each ended by its own length.

Labelled texts differ in length; a batch pads each after its end with the source's pad token,
and the network reads each sequence at its own last real step, so the gradient stops there.
"""

from __future__ import annotations

import numpy as np


def sequence_lengths(inputs: np.ndarray, pad_id: int | None) -> np.ndarray | None:
    """Each sequence's real length (B,) from its padding, or None when nothing is padded.

    A sequence is its tokens followed by ``pad_id`` up to the window's end: the (T, B) mask
    ``inputs != pad_id`` must be a prefix of ones, at least one long, in every column.
    """
    if pad_id is None or inputs.ndim != 2:
        return None
    real = inputs != pad_id  # (T, B) mask
    lengths = real.sum(axis=0)  # (B,)
    if lengths.min() < 1:
        raise ValueError("every padded sequence needs at least one real token")
    steps = np.arange(inputs.shape[0])[:, None]  # (T, 1)
    if not np.array_equal(real, steps < lengths[None, :]):
        raise ValueError("padding must come after a sequence's last real token, never inside it")
    if lengths.min() == inputs.shape[0]:
        return None  # nothing padded: the plain path
    return lengths


def last_steps(top: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
    """(B, H) each sequence's top state at its own last real step; top (T, B, H)."""
    if lengths is None:
        return top[-1]
    return top[lengths - 1, np.arange(top.shape[1])]
