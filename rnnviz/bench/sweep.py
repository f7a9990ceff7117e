"""Sweep benchmark: does a second local worker double the points per second, and what does a
point cost beyond its training?

Both local clusters (1 and 2 single-threaded worker processes) are started first, so start-up
is not timed; then the same number of points (200 steps, H = 32, T = 50 on the adding task) runs
on one, then the other, in turns (``rnnviz.bench.timing``'s interleaving), each turn with fresh
seeds so no result can come from a cache. The overhead is everything a point costs beyond its
200 training steps — task submission, building the data and the model, the chain and horizon
before and after, returning the row — measured as a 1-worker cluster's wall time for a run of
points against the sum of the times their 200 steps took on that worker (each point reports it).
"""

from __future__ import annotations

import statistics
import time

STEPS, HIDDEN, LENGTH = 200, 32, 50
QUICK_STEPS = 20  # --quick only checks that a point trains: no cluster is started
SETTINGS = {"task": "adding", "length": LENGTH, "hidden": HIDDEN, "steps": STEPS}


def training_alone(seed: int, settings: dict = SETTINGS) -> float:
    """Seconds of the 200 steps alone (the trainer built beforehand), one BLAS thread."""
    from rnnviz.runtime import blas_threads
    from rnnviz.core.train.sweep import build_trainer

    trainer = build_trainer(settings, seed)
    with blas_threads(1):
        start = time.perf_counter()
        trainer.run(trainer.steps_left)
        return time.perf_counter() - start


def _points(cluster, count: int, first_seed: int, settings: dict = SETTINGS, trained=None) -> float:
    """Wall seconds for ``count`` points on ``cluster``; each point's training seconds (measured
    on the worker) are appended to ``trained``."""
    from rnnviz.core.train.sweep_dask import PointRun
    from rnnviz.core.train.sweep_grid import point_key

    tasks = [(point_key(settings, seed), settings, seed) for seed in range(first_seed, first_seed + count)]
    start = time.perf_counter()
    finished = PointRun(cluster, tasks).run(
        lambda key, settings, seed, row: trained.append(row["train_time"]) if trained is not None else None)
    seconds = time.perf_counter() - start
    if finished != count:
        raise RuntimeError(f"only {finished} of {count} points finished")
    return seconds


def vs_workers(quick: bool = False):
    from rnnviz.core.train.sweep_dask import Cluster, dask_available

    if not dask_available():
        return [("sweep on a local Dask cluster", "skipped: dask[distributed] is not installed", "")]
    if quick:  # starting three worker processes takes most of a minute on a loaded machine
        seconds = training_alone(0, {**SETTINGS, "steps": QUICK_STEPS})
        return [("sweep: one point's training in this process (--quick starts no cluster; run without "
                 "--quick for the 2-vs-1-worker ratio and the overhead)", f"{seconds * 1e3:.0f} ms", "")]
    count, repeats, settings = 12, 3, SETTINGS
    times = {1: [], 2: []}
    overheads = []  # per 1-worker repeat: wall time / the points' summed training time - 1
    with Cluster(None, 1) as one, Cluster(None, 2) as two:
        seed = 1000
        _points(one, 2, seed)  # warm-up: the workers import rnnviz once
        _points(two, 2, seed + 2)
        seed += 4
        for _ in range(repeats):
            trained: list = []
            for workers, cluster in ((1, one), (2, two)):
                times[workers].append(_points(cluster, count, seed, settings, trained if workers == 1 else None))
                seed += count
            overheads.append(times[1][-1] / sum(trained) - 1)  # one worker: the points ran one after another
    rate = {w: count / statistics.median(t) for w, t in times.items()}
    per_point = statistics.median(times[1]) / count
    overhead = statistics.median(overheads)
    return [
        (f"sweep points/s, 2 vs 1 local workers ({settings['steps']} steps, H={HIDDEN}, T={LENGTH}, {count} points)",
         f"{rate[2] / rate[1]:.2f}x ({rate[2]:.2f} vs {rate[1]:.2f} points/s)", ">= 1.7x"),
        (f"sweep per-point overhead beyond {settings['steps']} training steps (1 worker)",
         f"{overhead:+.1%} (median of {repeats} runs of {count} points; {per_point * 1e3:.0f} ms per point)", "< 10%"),
    ]
