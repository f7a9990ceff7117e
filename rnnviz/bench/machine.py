"""A fixed yardstick of the machine's speed, timed beside the window benchmarks.

The same code runs at different speeds on different days (a shared host, another CPU, a
neighbour's load): a redraw that took 30 ms one day and 47 ms another may not have changed at
all. The window's work is mostly interpreted Python (pyqtgraph's items, Qt's calls through sip)
and small numpy calls, so the yardstick is a fixed piece of each, never changed: a figure divided
by it ("reference units") can be compared across days, where milliseconds cannot.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

PYTHON_ROUNDS = 40_000  # ~10 ms of interpreted work on the development machine
NUMPY_CALLS = 1200  # small-array calls, as panels make them (a few hundred elements): ~5 ms


def _python_work() -> int:
    """Attribute lookups, method calls, a dict and a list: what interpreted drawing code does."""
    class Point:
        __slots__ = ("x", "y")

        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

        def moved(self, dx: int) -> "Point":
            return Point(self.x + dx, self.y)

    seen: dict[int, int] = {}
    total = 0
    point = Point(0, 0)
    for i in range(PYTHON_ROUNDS):
        point = point.moved(1)
        seen[i & 255] = point.x
        total += len(str(i & 1023))
    return total + sum(seen.values())


def _numpy_work(values: np.ndarray) -> float:
    """Small reductions, element-wise calls and one small product, as a panel's update makes them."""
    total = 0.0
    for _ in range(NUMPY_CALLS // 4):
        scaled = np.log10(np.abs(values) + 1e-12)  # (200,)
        total += float(np.nanmax(scaled) - np.nanmin(scaled))
        total += float((values[:16, None] * values[None, :16]).sum())
    return total


def measure(repeats: int = 5) -> tuple[float, float]:
    """Median CPU seconds (Python work, numpy work) over ``repeats`` alternating calls, after one
    untimed call of each."""
    values = np.random.default_rng(0).standard_normal(200)
    _python_work(), _numpy_work(values)
    python, numpy_ = [], []
    for _ in range(repeats):
        began = time.process_time()
        _python_work()
        python.append(time.process_time() - began)
        began = time.process_time()
        _numpy_work(values)
        numpy_.append(time.process_time() - began)
    return statistics.median(python), statistics.median(numpy_)


def reference_seconds(python: float, numpy_: float) -> float:
    """One reference unit: the two pieces of fixed work together."""
    return python + numpy_


def unit_seconds(samples: list[tuple[float, float]]) -> float:
    """The unit figures are divided by: the median of the measures' totals."""
    return statistics.median(reference_seconds(*s) for s in samples)


def row(samples: list[tuple[float, float]]) -> tuple[str, str, str]:
    """The bench row of ``measure`` results taken during one benchmark (before and after it)."""
    python = statistics.median(s[0] for s in samples)
    numpy_ = statistics.median(s[1] for s in samples)
    spread = [reference_seconds(*s) * 1e3 for s in samples]
    return ("machine speed reference: fixed Python + small-numpy work, CPU time",
            f"Python {python * 1e3:.1f} ms + numpy {numpy_ * 1e3:.1f} ms; 1 unit of {unit_seconds(samples) * 1e3:.1f} ms",
            f"same work every day: divide a figure by it to compare runs; {len(samples)} measures "
            f"{min(spread):.1f} .. {max(spread):.1f} ms")


def in_units(seconds: float, samples: list[tuple[float, float]]) -> str:
    """``seconds`` in reference units of ``samples`` (their median)."""
    unit = unit_seconds(samples)
    return f"{seconds / unit:.2f} units" if unit > 0 else "n/a"
