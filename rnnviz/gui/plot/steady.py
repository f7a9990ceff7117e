"""Axis ranges that hold still while the data move a little.

A live plot whose range follows every new view is hard to read: its ticks jump at every redraw,
so the eye cannot compare one frame with the next. It is also slow: pyqtgraph lays an axis
out again (tick values, labels, their sizes, our grid) whenever its range changes, a fifth of
the window's paint (measured by freezing the axes: 32.6 -> 25.9 ms for all panels at H = 256,
T = 200).

A steady range therefore changes only when it must: when the data leave it, or when they fill
less than SHRINK of it. It is then fitted again with a little room (PAD) and ends on round
values (a 1, 2 or 5 x 10^k grid fine enough to waste little), so the ticks land on round
numbers too. Data that left the range on one side usually go on that way (the training steps
grow, a vanishing gradient keeps falling), so the new range leaves GROW of room on that side:
a run's step axis is laid out again once per 25 % more steps, not at every step. A history's
training-step axis (``hold(..., steps=True)``) goes further: it grows to the next 1, 2 or 5 x 10^k
steps past its start (0 -> 10 -> 20 -> 50 -> 100 ...), three layouts per decade of training
instead of about ten; the data still fill at least STEP_SHRINK of it. Every value here is in the view's own units: log10 of the data on a log axis.

``set_range`` is pyqtgraph's ``setRange`` minus the work when the plot already shows that range.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

SHRINK = 0.5  # fit again when the data span less than half of the range (zoomed far out)
PAD = 0.03  # room at each end of a fitted range, as a share of the data's span
DIVISIONS = 25  # the ends snap to a grid of about span / DIVISIONS: at most ~4 % more room per end
ZERO_SPAN = 0.5  # half-width given to data that span nothing (one point, a flat line)
GROW = 0.25  # room, as a share of the data's span, on the side where the data left the range
STEP_BOUNDS = (1, 2, 5, 10)  # a step axis spans 1, 2 or 5 x 10^k steps: at most 2.5x what it needs
STEP_SHRINK = 0.3  # a step axis is fitted again when its data span less than this share of it: a
#                    grown span is at most 2.5x the fitted one (itself at most 1.14x the data's: PAD
#                    and rounding), so the data fill > 0.35 of it and growing never triggers a refit
SKIP_SAME_RANGE = True  # set_range leaves a range that is already shown alone (off: always set, for tests)
MIN_LOG_SPAN = 1.0  # decades a log axis spans at least: a profile within a factor of two is flat, not
#                     a jagged line whose ticks (and range) move with its noise at every view


def round_step(span: float) -> float:
    """The 1, 2 or 5 x 10^k nearest above span / DIVISIONS: the grid a fitted range's ends sit on."""
    raw = span / DIVISIONS
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-12))


def fitted(low: float, high: float) -> tuple[float, float]:
    """(low, high) with PAD of room at each end, widened to the nearest round values."""
    if high - low <= 0:
        low, high = low - ZERO_SPAN, high + ZERO_SPAN
    span = high - low
    step = round_step(span)
    return (math.floor((low - PAD * span) / step) * step,
            math.ceil((high + PAD * span) / step) * step)


def refitted(current: tuple[float, float], low: float, high: float) -> tuple[float, float]:
    """The ``fitted`` range of [low, high], with GROW of room on each side where the data left
    ``current``, a range ``hold`` had set (a range the data merely shrank inside gets the tight fit)."""
    start, end = fitted(low, high)
    span = end - start
    step = round_step(span)
    if high > current[1]:
        end = math.ceil((end + GROW * span) / step) * step
    if low < current[0]:
        start = math.floor((start - GROW * span) / step) * step
    return start, end


def step_bound(span: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at least ``span`` (> 0): how far a growing step axis reaches."""
    power = 10.0 ** math.floor(math.log10(span))
    return next(m * power for m in STEP_BOUNDS if m * power >= span * (1 - 1e-12))


def grown_steps(current: tuple[float, float], low: float, high: float) -> tuple[float, float]:
    """A step axis's range for steps [low, high] that left ``current`` at the top: from the fitted
    start, a round span of ``step_bound`` steps (0 -> 10 -> 20 -> 50 -> 100 for a run from step 0)."""
    start, end = fitted(low, high)
    if high > current[1]:
        end = start + step_bound(end - start)
    return start, end


def at_least(pair: tuple[float, float], span: float) -> tuple[float, float]:
    """``pair`` widened about its middle to ``span`` when it is narrower."""
    low, high = pair
    if high - low >= span:
        return low, high
    middle = (low + high) / 2
    return middle - span / 2, middle + span / 2


def holds(current: tuple[float, float], low: float, high: float, shrink: float = SHRINK) -> bool:
    """Does ``current`` show all of [low, high], and not so much more that the data look small?"""
    start, end = current
    return start <= low and high <= end and (high - low) >= shrink * (end - start)


def set_range(plot: pg.PlotItem, x=None, y=None) -> bool:
    """``plot.setRange(xRange=x, yRange=y, padding=0)`` unless the plot already shows exactly
    that with auto-ranging off: pyqtgraph would compute the view again and tell every listener
    (a heatmap sets its whole map at every view). Returns True if the range was set."""
    view = plot.vb
    state = view.state
    asked = [(axis, pair) for axis, pair in ((0, x), (1, y)) if pair is not None]
    if SKIP_SAME_RANGE and not state["aspectLocked"] and all(
            state["autoRange"][axis] is False and state["targetRange"][axis] == [float(pair[0]), float(pair[1])]
            and list(view.viewRange()[axis]) == [float(pair[0]), float(pair[1])] for axis, pair in asked):
        return False
    view.setRange(xRange=x, yRange=y, padding=0)
    return True


def hold(plot: pg.PlotItem, x=None, y=None, y_floor: float | None = None, steps: bool = False) -> bool:
    """Show at least x = (low, high) and y = (low, high) (None: leave that axis), steadily.

    ``y_floor``: a fitted y range never starts below it (0 for values that cannot be negative).
    ``steps``: x is a history's training steps, which grow: see ``grown_steps``.

    Each given axis keeps its range while it ``holds`` its data, else gets a ``refitted`` one.
    An aspect-locked plot (the complex plane) keeps both while both contain their data and
    one of them is well filled: the lock widens the other. Auto-ranging is switched off for
    the axes given, or pyqtgraph would fit them anew at every paint. Returns True if the range
    was set (and the axes will be drawn again).
    """
    view = plot.vb
    current = view.viewRange()
    if y is not None and view.state.get("logMode", (False, False))[1]:
        y = at_least(y, MIN_LOG_SPAN)
    wanted = {axis: need for axis, need in ((0, x), (1, y))
              if need is not None and all(math.isfinite(v) for v in need)}
    if not wanted:
        return False
    if any(view.state["autoRange"][axis] is not False for axis in wanted):
        view.disableAutoRange(axis=pg.ViewBox.XYAxes if len(wanted) == 2 else
                              (pg.ViewBox.XAxis if 0 in wanted else pg.ViewBox.YAxis))
    if view.state["aspectLocked"]:
        inside = all(current[a][0] <= lo and hi <= current[a][1] for a, (lo, hi) in wanted.items())
        filled = any(holds(current[a], lo, hi) for a, (lo, hi) in wanted.items())
        stale = [] if inside and filled else list(wanted)
    else:
        stale = [axis for axis, (lo, hi) in wanted.items()
                 if not holds(current[axis], lo, hi, STEP_SHRINK if steps and axis == 0 else SHRINK)]
    if not stale:
        return False
    held = getattr(view, "_rnnviz_held", None)  # the range this function set last, if it still shows
    grow = {axis: grown_steps if steps and axis == 0 else refitted for axis in stale}
    ranges = {axis: grow[axis](tuple(current[axis]), *wanted[axis]) if held is not None and held[axis] == current[axis]
              else fitted(*wanted[axis]) for axis in stale}  # a first fit, or after a zoom: no room to grow
    if 1 in ranges and y_floor is not None:
        ranges[1] = (max(ranges[1][0], y_floor), ranges[1][1])
    view.setRange(xRange=ranges.get(0), yRange=ranges.get(1), padding=0)
    view._rnnviz_held = view.viewRange()
    return True


def hold_items(plot: pg.PlotItem, x: bool = True, y: bool = True) -> bool:
    """``hold`` the range of everything drawn in the plot (what pyqtgraph's auto range would fit)."""
    bounds = plot.vb.childrenBounds()  # [[x0, x1] or None, [y0, y1] or None], in view units

    def need(axis):
        pair = bounds[axis]
        return None if pair is None or pair[0] is None else (float(pair[0]), float(pair[1]))

    return hold(plot, x=need(0) if x else None, y=need(1) if y else None)


LEVEL_FILL = 0.7  # a colour scale holds while its data reach at least this share of its end
LEVEL_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)  # its ends: at most 25 % past the data


def level(previous: float | None, needed: float) -> float:
    """The end m of a symmetric colour scale (-m, m) for data reaching |value| = ``needed`` (> 0).

    The same idea as a steady axis range, for a colour bar: its axis, ticks and labels are laid
    out again only when the scale changes. ``previous`` holds while ``needed`` lies within
    [LEVEL_FILL * previous, previous] (the colours of the largest values then stay at least 70 %
    of the way to the ends); else ``needed`` rounded up to a LEVEL_STEPS x 10^k value."""
    if previous is not None and LEVEL_FILL * previous <= needed <= previous:
        return previous
    power = 10.0 ** math.floor(math.log10(needed))
    return next(m * power for m in LEVEL_STEPS if m * power >= needed * (1 - 1e-12))
