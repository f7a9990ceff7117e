"""How the application sets up its process: the allocator, and BLAS threads chosen per problem.

Two process-wide settings live here, and only the application (``rnnviz`` and its commands)
makes them; ``rnnviz.core`` never changes either.

**The allocator.** Every BPTT step allocates its trace anew (15 MB at H = 256, B = 32, T = 100),
because whoever asked for a trace may keep it. glibc's malloc hands out blocks of
M_MMAP_THRESHOLD or more by ``mmap`` and unmaps them on ``free``, so a loop that drops each
step's trace gets fresh pages every step and the kernel faults each one in (about 3,600 faults
and 7 ms of a 44 ms step at that size; ``rnnviz bench`` prints the count).
``keep_freed_memory`` raises both thresholds once: blocks up to MMAP_THRESHOLD come from the
heap, and up to TRIM_THRESHOLD of free heap is kept for the next step. The price: the process
does not shrink after a large array is freed. The mmap threshold is read by every malloc arena,
so the window's worker thread (its own arena) is spared the faults too. glibc only: elsewhere
it does nothing and says so.

**BLAS threads.** On a 2-core machine shared with other work, a BLAS that splits each small
product over two threads loses badly when the other core is busy: one thread waits for the
other while the scheduler runs someone else (a step 2.4-4x slower than on one thread).
Whether two threads pay depends on the product's size *and* on the load at the moment, so
``StepThreads`` chooses per problem: one thread for products too small to split, and for
larger ones it times the steps on each candidate count, keeps the faster, and times them
again every so often because the load changes. The count is set through ``threadpoolctl``
(any BLAS it knows: OpenBLAS, MKL, BLIS, on Linux, macOS and Windows) and restored afterwards,
always under the lock the diagnostics' LAPACK calls hold (``_set_counts``): OpenBLAS changes its
count without a lock of its own, so no count changes while such a call runs on another thread.
The window trains on one BLAS thread, leaving the other core to paint.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import statistics
import threading

# ----------------------------------------------------------------------------- the allocator
# mallopt parameter numbers from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

# above the largest array a step makes: an LSTM's gates at H=512, B=64, T=200 in float64, (T, B, 4H), 210 MB
MMAP_THRESHOLD = 256 << 20
# free heap kept for reuse: more than one whole step frees (that LSTM step: about 700 MB). At 256 MiB
# glibc gave that step's memory back every time and the next one faulted it in again: 5,300 page faults
# and 1.85 s of CPU per float32 step against 0 and 1.08 s at 1 GiB (3.6 against 2.3 s in float64)
TRIM_THRESHOLD = 1 << 30

_allocator = {"kept": False, "why": "not asked"}


def _glibc():
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks for reuse (see the module's docstring). True if it agreed."""
    libc = _glibc()
    if libc is None:
        _allocator.update(kept=False, why=f"not glibc ({platform.libc_ver()[0] or platform.system()}): "
                                          "allocator as is")
        return False
    libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    agreed = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD,
                                                                                          TRIM_THRESHOLD))
    _allocator.update(kept=agreed, why=(f"glibc keeps freed memory (mmap threshold {MMAP_THRESHOLD >> 20} MiB, "
                                        f"trim threshold {TRIM_THRESHOLD >> 20} MiB)" if agreed
                                        else "glibc refused the thresholds: allocator as is"))
    return agreed


def describe_allocator() -> str:
    """One line for ``rnnviz bench``'s machine description."""
    return _allocator["why"]


# ----------------------------------------------------------------------------- BLAS threads
USER_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# held by every change of the thread count here and by each LAPACK call the diagnostics make on a
# thread of their own (rnnviz.core.diagnostics.lapack): no count changes while such a call runs
BLAS_CALLS = threading.RLock()
_controller = []  # the one threadpoolctl controller, made on first use (it scans loaded libraries)


def _blas():
    """threadpoolctl's controller restricted to the BLAS libraries, or None if it finds none."""
    if not _controller:
        import numpy  # noqa: F401 - threadpoolctl sees only libraries already loaded: numpy's BLAS
        from threadpoolctl import ThreadpoolController

        _controller.append(ThreadpoolController().select(user_api="blas"))
    return _controller[0] if _controller[0].lib_controllers else None


def thread_control_available() -> bool:
    return _blas() is not None


def blas_thread_count() -> int | None:
    """The BLAS thread count now in force (the largest, if numpy loaded several), or None."""
    blas = _blas()
    return max(lib.num_threads for lib in blas.lib_controllers) if blas else None


def _set_counts(blas, counts) -> None:
    """Set each library's thread count, never while a diagnostics thread is inside LAPACK.

    OpenBLAS writes its count without a lock, and the window computes W_hh's spectrum on a thread
    of its own (rnnviz.core.diagnostics.lapack, which holds the same lock around each call)."""
    with BLAS_CALLS:
        for lib, count in zip(blas.lib_controllers, counts):
            if lib.num_threads != count:
                lib.set_num_threads(int(count))


@contextlib.contextmanager
def blas_threads(count: int | None):
    """Run the block with ``count`` BLAS threads (None: leave as is), then restore the old count."""
    blas = _blas()
    if count is None or blas is None:
        yield
        return
    before = [lib.num_threads for lib in blas.lib_controllers]
    _set_counts(blas, [int(count)] * len(before))
    try:
        yield
    finally:
        _set_counts(blas, before)


def user_chose_threads() -> bool:
    return any(name in os.environ for name in USER_THREAD_VARIABLES)


def one_thread_for_the_window() -> bool:
    """Train on one BLAS thread, leaving a core to the GUI, unless the user chose a count.

    For the whole process (the window's life): returns whether the count was changed."""
    blas = _blas()
    if blas is None or user_chose_threads():
        return False
    _set_counts(blas, [1] * len(blas.lib_controllers))
    return True


def describe_blas() -> str:
    """One line: numpy's BLAS libraries as threadpoolctl sees them, with their thread counts."""
    blas = _blas()
    if blas is None:
        return "no BLAS threadpoolctl can control"
    return "; ".join(f"{lib.internal_api} {lib.version or '?'} ({lib.num_threads} threads)"
                     for lib in blas.lib_controllers)


# Below this many floating-point operations per product of the recurrence, the step runs on one
# thread without probing: a split has little to gain (each product takes microseconds, the
# hand-over between threads about as long) and probing costs steps on the slower count. Above
# it two threads can pay: at H=256, B=32 (tanh, 4.2 MFLOP per product) the step ran ~1.45x
# faster on two threads than on one on a quiet machine (20-22x against 14x the reference).
SPLIT_FLOPS = 2e6
PROBE_STEPS = 3  # timed steps per candidate count in a probe (after one untimed step)
PROBE_EVERY = 200  # steps between probes: the load changes, so the choice is measured again


class StepThreads:
    """Chooses the BLAS thread count for each training step of one problem size.

    ``flops`` is one product of the recurrence, 2 B H (G H). Too small to split: always one
    thread. Otherwise every PROBE_EVERY steps, the next steps run alternately on each candidate
    count (one untimed, then PROBE_STEPS timed each); the count with the lower median step time
    is kept until the next probe. Use it around each step::

        threads = StepThreads(flops)
        with threads.step() as timer: ...one step...

    or give ``after_step(seconds)`` the step's time when something else runs the loop.
    """

    def __init__(self, flops: float, most: int | None = None) -> None:
        # most: the thread count to try besides one; by default the cores this process may use,
        # capped by BLAS's own count (which is the user's choice when they set one)
        if most is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            most = min(cores, blas_thread_count() or 1)
        if user_chose_threads():
            self.candidates = (blas_thread_count() or 1,)
        else:
            self.candidates = (1,) if flops < SPLIT_FLOPS or most < 2 else (most, 1)
        self.current = self.candidates[0]
        self._plan: list[int] = []  # counts for the coming steps of a probe; empty: steady
        self._times: dict[int, list[float]] = {}
        self._since_probe = 0
        self._start_probe()

    @classmethod
    def for_model(cls, config, batch: int) -> "StepThreads":
        """For a ModelConfig (hidden_size, its cell's gate count) and a batch size."""
        gates = {"lstm": 4, "gru": 3}.get(config.cell, 1)
        return cls(2.0 * batch * config.hidden_size * gates * config.hidden_size)

    def _start_probe(self) -> None:
        self._since_probe = 0
        if len(self.candidates) < 2:
            return
        self._times = {count: [] for count in self.candidates}
        self._plan = [count for count in self.candidates for _ in range(PROBE_STEPS + 1)]
        self.current = self._plan[0]

    @property
    def probing(self) -> bool:
        return bool(self._plan)

    def after_step(self, seconds: float) -> None:
        """Record the step just run (on ``self.current`` threads) and choose the next count."""
        if self._plan:
            done = self._plan.pop(0)
            if self._plan.count(done) < PROBE_STEPS:  # the first step on each count is not timed
                self._times[done].append(seconds)
            if self._plan:
                self.current = self._plan[0]
            else:
                self.current = min(self.candidates, key=lambda count: statistics.median(self._times[count]))
            return
        self._since_probe += 1
        if self._since_probe >= PROBE_EVERY:
            self._start_probe()

    @contextlib.contextmanager
    def step(self):
        """One step on the chosen count; its wall time feeds the choice."""
        import time

        start = time.perf_counter()
        with blas_threads(self.current):
            yield
        self.after_step(time.perf_counter() - start)

    def describe(self) -> str:
        if user_chose_threads():
            return f"{self.current} BLAS thread{'s' if self.current != 1 else ''}, as the environment sets"
        if len(self.candidates) < 2:
            return "1 BLAS thread (products too small to split)"
        return f"{self.current} BLAS thread{'s' if self.current != 1 else ''}, chosen among {self.candidates} by timing"


@contextlib.contextmanager
def training_threads(model_config, batch: int):
    """For a loop that calls ``on_step(result)`` after each step (``Trainer.run``): yields that
    callback, which times the step (``result.wall_time``) and sets the count for the next one.
    The BLAS thread count in force before is restored at the end."""
    choice = StepThreads.for_model(model_config, batch)
    blas = _blas()
    if blas is None:
        yield lambda result: True
        return
    with blas_threads(choice.current):
        def on_step(result) -> bool:
            before = choice.current
            choice.after_step(result.wall_time)
            if choice.current != before:
                _set_counts(blas, [choice.current] * len(blas.lib_controllers))
            return True
        yield on_step
