"""A polyline in pixels cut into the straight segments Qt rasterises fastest.

Gaps (a NaN in either coordinate) split the line into runs; a dashed pen's pattern restarts at
the beginning of every run, as Qt restarts it per subpath. All runs are cut at once with numpy
(no Python loop over runs), so a curve with many gaps costs about what an unbroken one does.
"""

from __future__ import annotations

import numpy as np

GAP = 1.0  # pixels of arc length put between runs so that each run owns its stretch of one axis


def solid_segments(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """(n, 4) lines x0, y0, x1, y1 joining neighbours that are both finite (a NaN is a gap)."""
    n = len(px)
    if n < 2:
        return np.zeros((0, 4))
    lines = np.empty((n - 1, 4))
    lines[:, 0], lines[:, 1] = px[:-1], py[:-1]
    lines[:, 2], lines[:, 3] = px[1:], py[1:]
    finite = np.isfinite(px) & np.isfinite(py)  # (n,)
    keep = finite[:-1] & finite[1:]  # (n - 1,)
    return lines if keep.all() else lines[keep]


def dashed_segments(px: np.ndarray, py: np.ndarray, pattern: np.ndarray, offset: float = 0.0) -> np.ndarray:
    """(n, 4) lines covering the 'on' stretches of ``pattern`` (on, off, on, off ... in pixels)
    along the polyline, restarting the pattern after each gap, as Qt does per subpath."""
    if pattern.size < 2 or pattern.sum() <= 0:
        return solid_segments(px, py)
    drawn = np.isfinite(px) & np.isfinite(py)  # (n,)
    whole = bool(drawn.all())  # one run: the usual curve, cut without the runs' bookkeeping
    finite = np.arange(px.size) if whole else np.flatnonzero(drawn)  # (m,) indices of drawn points
    if finite.size < 2:
        return np.zeros((0, 4))
    fx, fy = (px, py) if whole else (px[finite], py[finite])  # (m,)
    step = np.hypot(np.diff(fx), np.diff(fy))  # (m - 1,) segment lengths
    along = np.empty(finite.size)  # (m,) arc length from the start of the point's run
    along[0] = 0.0
    np.cumsum(step, out=along[1:])
    if whole:
        run = np.zeros(finite.size, dtype=np.int64)
        total, base = along[-1:], np.zeros(1)
    else:
        new_run = np.empty(finite.size, dtype=bool)  # (m,) a point after a gap starts a run
        new_run[0] = True
        np.greater(np.diff(finite), 1, out=new_run[1:])
        run = np.cumsum(new_run) - 1  # (m,) run of each point
        first_point = np.flatnonzero(new_run)  # (runs,)
        step[new_run[1:]] = 0.0  # no length across a gap
        along[1:] = np.cumsum(step)
        along -= along[first_point][run]
        total = along[np.append(first_point[1:], finite.size) - 1]  # (runs,) length of each run
        base = np.zeros(total.size)  # (runs,) where each run starts on one shared axis
        np.cumsum(total[:-1] + GAP, out=base[1:])

    period = pattern.sum()
    bounds = np.zeros(pattern.size + 1)  # where each on/off stretch starts within a period
    np.cumsum(pattern, out=bounds[1:])
    first = np.floor(offset / period)
    repeats = (np.ceil(total / period) + 2).astype(np.int64)  # (runs,) periods covering each run
    if whole:
        k = np.arange(repeats[0]) + first  # (periods,)
        cut_run = np.zeros(k.size * bounds.size, dtype=np.int64)
    else:
        rep_run = np.repeat(np.arange(total.size), repeats)  # (periods,)
        k = first + (np.arange(rep_run.size) - np.repeat(np.cumsum(repeats) - repeats, repeats))
        cut_run = np.repeat(rep_run, bounds.size)
    cuts = ((k * period - offset)[:, None] + bounds[None, :]).ravel()  # (periods * stretches,)
    inside = (cuts > 0) & (cuts < total[cut_run])
    axis = along if whole else along + base[run]  # (m,) runs strictly apart on one axis
    inner = cuts[inside] if whole else cuts[inside] + base[cut_run[inside]]
    breaks = np.unique(np.concatenate([axis, inner]))  # (b,)
    middle = (breaks[:-1] + breaks[1:]) / 2  # (b - 1,)
    if whole:
        same = True
    else:
        break_run = np.searchsorted(base, breaks, side="right") - 1  # (b,)
        middle -= base[break_run[:-1]]  # within its run
        same = break_run[:-1] == break_run[1:]
    stretch = np.searchsorted(bounds, np.mod(middle + offset, period), side="right") - 1
    on = (stretch % 2 == 0) & same
    bx, by = np.interp(breaks, axis, fx), np.interp(breaks, axis, fy)
    lines = np.empty((breaks.size - 1, 4))
    lines[:, 0], lines[:, 1], lines[:, 2], lines[:, 3] = bx[:-1], by[:-1], bx[1:], by[1:]
    return lines[on]
