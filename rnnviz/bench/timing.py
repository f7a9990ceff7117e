"""Side-by-side timing for shared, noisy machines: interleave the contenders, report medians.

Timing A then B lets a neighbour's load land on one of them only; interleaving A, B, A, B ...
spreads it over both, so their ratio means something even when absolute times wobble.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable


def interleaved(contenders: dict[str, Callable[[], object]], repeats: int,
                cpu: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Every wall time in seconds of each contender, measured round-robin; with ``cpu`` (a dict),
    each call's CPU time of this process (every thread) is appended to ``cpu[name]`` too."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            samples[name].append(time.perf_counter() - start)
            if cpu is not None:
                cpu.setdefault(name, []).append(time.process_time() - start_cpu)
    return samples


def race(contenders: dict[str, Callable[[], object]], repeats: int = 5, warmup: int = 1,
         cpu: dict[str, float] | None = None) -> dict[str, float]:
    """Median wall time in seconds of each contender, after ``warmup`` untimed calls each; with
    ``cpu`` (a dict), the median CPU time of each is stored in it as well. On a shared machine
    CPU time is the steadier of the two when every contender runs on one thread: a neighbour's
    load stretches the wall time, not the work."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    cpu_samples: dict[str, list[float]] = {}
    wall = interleaved(contenders, repeats, cpu_samples)
    if cpu is not None:
        cpu.update({name: statistics.median(values) for name, values in cpu_samples.items()})
    return {name: statistics.median(values) for name, values in wall.items()}
