"""What every table shares: how a number, a step and a floored value are written."""

from __future__ import annotations

import numpy as np

FLOOR_NOTE = "0 or negative: drawn at the log floor"  # what a CSV says about a value a log axis floors
LOG_FLOOR_WHEN_NOTHING_POSITIVE = 1e-30  # float64 gradients reach ~1e-30 in the vanishing preset


def as_float(values) -> np.ndarray:
    """A float array copy (empty when None)."""
    if values is None:
        return np.zeros(0)
    return np.array(values, dtype=float)


def step_cell(step):
    """A training step for a CSV cell: an int when whole (history may store steps as floats)."""
    step = float(step)
    return int(step) if step.is_integer() else step


def token(labels: list, t: int) -> str:
    """The label of step ``t``, or "" past the labels."""
    return str(labels[t]) if t < len(labels) else ""


def log_floor(*arrays) -> float:
    """The value that 0 (or a negative) is drawn at on a log axis: a decade below the smallest
    positive finite value among ``arrays``, so a zero is visible but never hides the real range."""
    smallest = np.inf
    for values in arrays:
        values = as_float(values)
        with np.errstate(invalid="ignore"):
            positive = values[np.isfinite(values) & (values > 0)]
        if positive.size:
            smallest = min(smallest, float(positive.min()))
    return smallest / 10.0 if np.isfinite(smallest) else LOG_FLOOR_WHEN_NOTHING_POSITIVE
