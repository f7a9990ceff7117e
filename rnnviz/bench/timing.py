"""Side-by-side timing for shared, noisy machines: interleave the contenders, report medians.

Timing A then B lets a neighbour's load land on one of them only; interleaving A, B, A, B ...
spreads it over both, so their ratio means something even when absolute times wobble.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable


def interleaved(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Every wall time in seconds of each contender, measured round-robin."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return samples


def race(contenders: dict[str, Callable[[], object]], repeats: int = 5, warmup: int = 1) -> dict[str, float]:
    """Median wall time in seconds of each contender, after ``warmup`` untimed calls each."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    return {name: statistics.median(values) for name, values in interleaved(contenders, repeats).items()}
