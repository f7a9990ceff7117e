"""The two losses, each with its gradient right below it.

Both are summed over time steps (and over output units for squared error, with no 1/2) and
averaged over the batch: PyTorch's ``reduction="sum"`` divided by B. The leading axes of
``outputs`` are whatever steps are scored, (T, B) or just (B,); the batch is the axis before
the last.
"""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Stable softmax over the last axis."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def cross_entropy(logits: np.ndarray, targets: np.ndarray, batch: int):
    """Softmax cross-entropy. logits (..., Y), targets int (...). Returns (loss, dlogits).

    One pass for the softmax and one for its gradient, both in a single new (..., Y) array:
    loss = sum(log sum exp(z - max) - (z_target - max)) / B, dlogits = (softmax - onehot) / B.
    ``logits`` is left unchanged (the trace keeps it).
    """
    flat = logits.reshape(-1, logits.shape[-1])  # (N, Y)
    rows = np.arange(flat.shape[0])
    picked = flat[rows, targets.reshape(-1)]  # (N,) z_target
    shift = flat.max(axis=-1)  # (N,)
    probs = np.subtract(flat, shift[:, None])  # (N, Y), becomes dlogits in place
    np.exp(probs, out=probs)
    total = probs.sum(axis=-1)  # (N,)
    loss = (np.log(total) - (picked - shift)).sum() / batch
    total *= batch
    probs /= total[:, None]  # softmax / B
    probs[rows, targets.reshape(-1)] -= 1 / batch  # (p - onehot) / B, without a one-hot matrix
    return loss, probs.reshape(logits.shape)


def squared_error(predictions: np.ndarray, targets: np.ndarray, batch: int):
    """Summed squared error, no 1/2. predictions and targets (..., Y). Returns (loss, dpred)."""
    diff = predictions - targets
    loss = (diff * diff).sum() / batch
    diff *= 2 / batch
    return loss, diff
