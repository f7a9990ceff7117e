"""The step on a busy machine: with a competing CPU-bound process on one core, against quiet.

A second BLAS thread waits for a core that is not free: on a shared 2-core machine that once
made the step 2.4-4x slower. ``rnnviz run`` therefore chooses its BLAS threads per problem and
by timing (rnnviz.runtime.StepThreads); this benchmark runs the step exactly that way, in
phases that alternate quiet, busy, quiet, busy (one run, so the ratio means something on a
shared machine), and for comparison with BLAS's default count held fixed.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time

from rnnviz import runtime
from rnnviz.bench.bptt import _case

SIZES = [(100, 1, 25), (256, 32, 100), (512, 64, 200)]  # (H, B, T) as in the comparison with PyTorch
TARGET = 1.5
BURN = "while True: pass"  # one CPU-bound process: what a neighbour's job looks like to us


@contextlib.contextmanager
def competing_process(core: int | None = 0):
    """A CPU-bound child process for the duration of the block, on ``core`` where that can be set."""
    child = subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        if core is not None and hasattr(os, "sched_setaffinity"):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(child.pid, {core})
        time.sleep(0.2)  # running before anything is timed
        yield child
    finally:
        child.kill()
        child.wait()


def _phase(step, choose: bool, steps: int) -> tuple[float, int | None]:
    """(median step time over ``steps`` steps, the thread count chosen at the end): through a fresh
    StepThreads (as ``rnnviz run``), or with the count in force (chosen: None)."""
    threads = runtime.StepThreads(step.flops) if choose else None
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        with threads.step() if choose else contextlib.nullcontext():
            step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), (threads.current if choose else None)


def vs_quiet(quick: bool = False):
    sizes = [(32, 4, 10)] if quick else SIZES
    rounds = 1 if quick else 2
    rows = []
    for hidden, batch, steps in sizes:
        model, x, y = _case(hidden, batch, steps, "float64")

        def step():
            model.loss_and_grads(x, y)

        step.flops = 2.0 * batch * hidden * hidden  # one product of the recurrence
        # a fresh choice probes first (2 x (PROBE_STEPS + 1) steps), then runs steadily: the median
        # is a steady step's as long as more than half of the steps come after the probe
        count = 6 if quick else (16 if hidden * batch * steps > 1e6 else 24)
        step()
        result = {(choose, busy): [] for choose in (True, False) for busy in (False, True)}
        chosen = {False: set(), True: set()}  # busy -> the counts StepThreads settled on
        for _ in range(rounds):
            for busy in (False, True):
                with competing_process() if busy else contextlib.nullcontext():
                    for choose in (True, False):
                        seconds, count_chosen = _phase(step, choose, count)
                        result[(choose, busy)].append(seconds)
                        if choose:
                            chosen[busy].add(count_chosen)
        ratio = statistics.median(result[(True, True)]) / statistics.median(result[(True, False)])
        fixed = statistics.median(result[(False, True)]) / statistics.median(result[(False, False)])
        default = runtime.blas_thread_count()
        how = (f"BLAS threads chosen: {'/'.join(map(str, sorted(chosen[False])))} quiet, "
               f"{'/'.join(map(str, sorted(chosen[True])))} busy")
        rows.append((f"busy machine: step with a competing process / quiet (H={hidden}, B={batch}, T={steps}, "
                     f"float64, threads as rnnviz run: {how})",
                     f"{ratio:.2f}x ({statistics.median(result[(True, True)]) * 1e3:.1f} vs "
                     f"{statistics.median(result[(True, False)]) * 1e3:.1f} ms); "
                     f"{default} BLAS thread{'s' if default != 1 else ''} throughout: {fixed:.2f}x "
                     f"({statistics.median(result[(False, True)]) * 1e3:.1f} vs "
                     f"{statistics.median(result[(False, False)]) * 1e3:.1f} ms)",
                     f"<= {TARGET}x; medians of {count} steps x {rounds} phases each"))
    return rows
