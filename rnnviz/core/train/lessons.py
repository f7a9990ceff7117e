"""Plain-number checks on a run's history that the panels state in words.

The loss panel's overfitting note reads ``overfitting`` here, so the rule lives in one place,
and the window, the exports and the tests agree on when a run counts as overfitting.
"""

from __future__ import annotations

import numpy as np

OVERFIT_MARGIN = 0.10  # validation 10 % above its own minimum: more than the noise of a fixed batch
OVERFIT_MIN_POINTS = 4  # validation points needed before judging (one every val_every steps)


def overfitting(val_steps, val, train_steps, train_smooth) -> tuple[int, float] | None:
    """(step of the validation minimum, rise above it as a fraction) when the latest validation
    loss lies OVERFIT_MARGIN or more above its minimum while the smoothed training loss kept
    falling since that step; None otherwise."""
    val_steps, val = np.asarray(val_steps, dtype=float), np.asarray(val, dtype=float)
    train_steps, train_smooth = np.asarray(train_steps, dtype=float), np.asarray(train_smooth, dtype=float)
    finite = np.isfinite(val) & (val > 0)
    if finite.sum() < OVERFIT_MIN_POINTS or train_steps.size < 2:
        return None
    val_steps, val = val_steps[finite], val[finite]
    best = int(np.argmin(val))
    rise = float(val[-1] / val[best] - 1)
    if best == len(val) - 1 or rise < OVERFIT_MARGIN:
        return None
    at_best = np.interp(val_steps[best], train_steps, train_smooth)
    if not (np.isfinite(train_smooth[-1]) and train_smooth[-1] < at_best):
        return None
    return int(val_steps[best]), rise
