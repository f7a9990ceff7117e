"""The two losses, each with its gradient right below it.

Both are summed over time steps (and over output units for squared error, with no 1/2) and
averaged over the batch: PyTorch's ``reduction="sum"`` divided by B. The leading axes of
``outputs`` are whatever steps are scored, (T, B) or just (B,); the batch is the axis before
the last.
"""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Stable log-softmax over the last axis (the max is subtracted before exp)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def softmax(logits: np.ndarray) -> np.ndarray:
    """Stable softmax over the last axis."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def cross_entropy(logits: np.ndarray, targets: np.ndarray, batch: int):
    """Softmax cross-entropy. logits (..., Y), targets int (...). Returns (loss, dlogits)."""
    logp = log_softmax(logits)  # (..., Y)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)  # (..., 1)
    loss = -picked.sum() / batch
    dlogits = np.exp(logp)  # softmax, (..., Y)
    flat = dlogits.reshape(-1, dlogits.shape[-1])
    flat[np.arange(flat.shape[0]), targets.reshape(-1)] -= 1  # p - onehot, without a one-hot matrix
    dlogits /= batch
    return loss, dlogits


def squared_error(predictions: np.ndarray, targets: np.ndarray, batch: int):
    """Summed squared error, no 1/2. predictions and targets (..., Y). Returns (loss, dpred)."""
    diff = predictions - targets
    loss = (diff * diff).sum() / batch
    diff *= 2 / batch
    return loss, diff
