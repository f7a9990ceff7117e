"""Plain-number checks on a run's history that the panels state in words.

The loss panel's overfitting note reads ``overfitting`` here, so the rule lives in one place,
and the window, the exports and the tests agree on when a run counts as overfitting.
"""

from __future__ import annotations

import numpy as np

OVERFIT_MARGIN = 0.20  # validation 20 % above its own (3-point averaged) minimum: past a batch's noise
OVERFIT_MIN_POINTS = 4  # validation points needed before judging (one every val_every steps)
AVERAGE = 3  # validation points averaged, so that one lucky low batch is not the minimum
NOISE_FACTOR = 5  # a rise counts only past this many times the validation's own point-to-point scatter:
#                   the lowest of 70 noisy 3-point means sits well under the rest (a vec2seq run whose
#                   validation scatters by 11 % read "+30 %, overfitting" with both curves flat)
TRAIN_FALL = 0.05  # the smoothed training loss fell at least 5 % since the validation's minimum


def overfitting(val_steps, val, train_steps, train_smooth) -> tuple[int, float] | None:
    """(step of the validation minimum, rise above it as a fraction) when the validation loss
    (averaged over AVERAGE points) lies OVERFIT_MARGIN (and NOISE_FACTOR times its own scatter)
    or more above its minimum, above the training loss, while the smoothed training loss fell by
    TRAIN_FALL or more since that step; else None.
    A noisy validation below the training loss (a task with fresh data) is not overfitting."""
    val_steps, val = np.asarray(val_steps, dtype=float), np.asarray(val, dtype=float)
    train_steps, train_smooth = np.asarray(train_steps, dtype=float), np.asarray(train_smooth, dtype=float)
    finite = np.isfinite(val) & (val > 0)
    if finite.sum() < OVERFIT_MIN_POINTS or train_steps.size < 2:
        return None
    val_steps, val = val_steps[finite], val[finite]
    window = min(AVERAGE, len(val))
    averaged = np.convolve(val, np.ones(window) / window, mode="valid")  # (N - window + 1,)
    steps = val_steps[window // 2: len(val_steps) - (window - 1 - window // 2)]  # each mean's middle step
    best = int(np.argmin(averaged))
    rise = float(averaged[-1] / averaged[best] - 1)
    if best == len(averaged) - 1 or rise < max(OVERFIT_MARGIN, NOISE_FACTOR * scatter(val)):
        return None
    at_best = np.interp(steps[best], train_steps, train_smooth)
    if not (np.isfinite(train_smooth[-1]) and train_smooth[-1] < (1 - TRAIN_FALL) * at_best
            and averaged[-1] > train_smooth[-1]):
        return None
    return int(steps[best]), rise


def scatter(values: np.ndarray) -> float:
    """The median relative distance of each inner point from the mean of it and its two
    neighbours: how much one validation measurement wobbles (0 for fewer than 3 points)."""
    if values.size < 3:
        return 0.0
    means = np.convolve(values, np.ones(3) / 3, mode="valid")  # (N - 2,) centred on points 1..N-2
    return float(np.median(np.abs(values[1:-1] / means - 1)))


def badge_note(regime: str, horizon, steps: int, scored_steps: int, cut_at: int | None = None) -> str:
    """Why the regime badge and the panels might seem to disagree, in a few words, or "".

    The badge reads the chain ‖∂h_T/∂h_{T-k}‖, the horizon the gradient profile ‖∂L/∂h_t‖. With
    a loss at every step (text, series) each h_t gets a gradient of its own from the loss
    beside it, so the profile spans the window while the chain from the last step fades: both
    are right, and the badge says so instead of leaving a VANISHING beside a full horizon.
    A ReLU chain cut to exactly 0 at lag ``cut_at`` (every unit off at that step) has its growth
    read up to the cut: the note says that nothing earlier reaches h_T."""
    if cut_at is not None and 0 < cut_at <= steps:
        return f"every unit off {cut_at} steps back: the chain is 0 from there"
    if horizon is None or steps < 2 or not np.isfinite(float(horizon)):
        return ""
    if regime == "vanishing" and scored_steps > 1 and float(horizon) >= steps // 2:
        return "a loss at every step feeds each h_t: the horizon spans the window"
    return ""
