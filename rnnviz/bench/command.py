"""``rnnviz bench``: measure rnnviz's speed on this machine, side by side with the slow way.

These machines are shared and noisy, so a benchmark never reports one absolute time alone: the
fast and the reference versions run interleaved, repeat by repeat, in the same process, and
the table gives both medians and their ratio. A benchmark is a function ``(quick, repeats) ->
rows of (measure, value, note)`` named in BENCHMARKS; adding one is adding a function to that
list. Timing is shown here, never asserted in tests.

    rnnviz bench                 every benchmark at full size
    rnnviz bench --quick         tiny sizes, one repeat: a smoke run that checks the plumbing
    rnnviz bench --only NAME     one benchmark
    rnnviz bench --threads 1     with one BLAS thread (steadier on a shared machine)
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

from rnnviz import runtime
from rnnviz.core.errors import UserError
from rnnviz.bench.timing import interleaved

FULL_REPEATS = 5  # odd, so the median is one measured run; five keep the full run under a minute
QUICK_REPEATS = 1  # --quick only checks that everything runs and prints
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# the default docks in sight minus the two that read W_hh's spectrum (spectrum; chain: bound and badge)
NO_SPECTRUM_VIEWS = frozenset({"loss", "hidden", "gradients", "flow", "weights", "norms"})


def add_arguments(parser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and one repeat: checks that the benchmarks run, not how fast")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help="run only this benchmark (repeatable); one of: "
                             + ", ".join(name for name, _ in BENCHMARKS))
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"interleaved repeats per measurement "
                             f"(default {FULL_REPEATS}, {QUICK_REPEATS} with --quick)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="BLAS threads (sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS and "
                             "reruns); 1 gives steadier numbers on a busy machine")


def main(args) -> int:
    names = [name for name, _ in BENCHMARKS]
    chosen = args.only or names
    unknown = [name for name in chosen if name not in names]
    if unknown:
        raise UserError(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(names)}")
    repeats = args.repeats if args.repeats is not None else (QUICK_REPEATS if args.quick else FULL_REPEATS)
    if repeats < 1:
        raise UserError(f"--repeats must be at least 1, got {repeats}")
    if args.threads is not None:
        return _rerun_with_threads(args, repeats)
    print("machine")
    for key, value in describe_machine():
        print(f"  {key:<10} {value}")
    print()
    rows = []
    for name, function in BENCHMARKS:
        if name in chosen:
            rows += [(name, *row) for row in function(quick=args.quick, repeats=repeats)]
    print_table(("benchmark", "measure", "value", "note"), rows)
    return 0


def _rerun_with_threads(args, repeats: int) -> int:
    """BLAS reads its thread count once, when numpy loads: run the same benchmarks again in a child."""
    if args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    env = dict(os.environ, **{name: str(args.threads) for name in THREAD_VARIABLES})
    child = ["bench", "--repeats", str(repeats)] + (["--quick"] if args.quick else [])
    for name in args.only or []:
        child += ["--only", name]
    sys.stdout.flush()
    return subprocess.run([sys.executable, "-m", "rnnviz", *child], env=env, check=False).returncode


# ----------------------------------------------------------------------------- machine and table
def describe_machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = ", ".join(f"{name}={os.environ[name]}" for name in THREAD_VARIABLES if name in os.environ)
    load = ""
    if hasattr(os, "getloadavg"):
        load = " (load average {:.2f} {:.2f} {:.2f})".format(*os.getloadavg())
    return [
        ("cpu", cpu),
        ("cores", f"{usable} usable of {os.cpu_count()}{load}"),
        ("python", platform.python_version()),
        ("numpy", np.__version__),
        ("blas", _blas_name() + (f"; {threads}" if threads else "; threads: library default")),
        ("allocator", runtime.describe_allocator()),
    ]


def _blas_name() -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - the description is a courtesy, never a reason to fail
        return "unknown"


def print_table(header, rows) -> None:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for index, row in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    sys.stdout.flush()


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


# ----------------------------------------------------------------------------- benchmarks
def bench_diagnostics(quick: bool, repeats: int) -> list[tuple[str, str, str]]:
    """Jacobian chain (fast vs explicit products + one SVD per lag) and a whole summarize()."""
    from rnnviz.core import RNN, ModelConfig
    from rnnviz.core.diagnostics.chain import chain_log_norms, chain_log_norms_explicit
    from rnnviz.core.diagnostics.spectra import forget_spectra
    from rnnviz.core.diagnostics.summary import summarize

    steps, hidden = (30, 32) if quick else (200, 256)  # the size: T = 200, H = 256
    model = RNN(ModelConfig(input_size=8, hidden_size=hidden, output_size=8, cell="tanh", seed=0))
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((steps, 4, 8))  # an untrained network on random inputs: a typical start
    _, _, trace = model.loss_and_grads(inputs, rng.integers(0, 8, size=4))
    results = {}

    def fast():
        results["fast"] = chain_log_norms(model, trace)

    def full_product():
        results["full"] = chain_log_norms(model, trace, compress=False)

    def explicit():
        results["explicit"] = chain_log_norms_explicit(model, trace)

    def whole():  # a training run's snapshot: W_hh changed since the last one, its spectrum computed afresh
        forget_spectra()
        results["summary"] = summarize(model, trace)
        return results["summary"]

    def without_spectrum():  # the docks in sight read neither the spectrum nor the chain's bound and badge
        return summarize(model, trace, views=NO_SPECTRUM_VIEWS)

    def paused():  # W_hh as at the last snapshot (a paused run): the spectrum is reused
        return summarize(model, trace)

    times = interleaved({"fast": fast, "full": full_product, "explicit": explicit, "summarize": whole}, repeats)
    fast_s, explicit_s = statistics.median(times["fast"]), statistics.median(times["explicit"])
    paired = [e / f for e, f in zip(times["explicit"], times["fast"])]  # same repeat, same machine state
    logs, residual = results["fast"]
    error = float(np.nanmax(np.abs(np.expm1(logs - results["explicit"]))))
    error_full = float(np.nanmax(np.abs(np.expm1(results["full"][0] - results["explicit"]))))
    parts = ", ".join(f"{name} {seconds * 1e3:.0f}" for name, seconds in results["summary"].seconds.items())
    size = f"T={steps} H={hidden}"
    found = _summarize_quiet_and_busy({"all": whole, "no spectrum": without_spectrum, "paused": paused}, repeats)
    (quiet, busy, cpu), (quiet_none, busy_none, _), (quiet_paused, busy_paused, _) = (
        found["all"], found["no spectrum"], found["paused"])
    return [
        ("chain_norms (fast)", _ms(fast_s), f"{size}, median of {repeats}"),
        ("chain_norms, product not compressed", _ms(statistics.median(times["full"])),
         f"the same without dropping directions below 1e-6; max rel. error {error_full:.1e}"),
        ("explicit products + SVD per lag", _ms(explicit_s), f"{size}, median of {repeats}, interleaved"),
        ("ratio explicit / fast", f"{explicit_s / fast_s:.3g}x",  # 3 figures: never "0.0x" at the quick sizes
         f"target >= 10x at T=200 H=256; per repeat {min(paired):.1f}x .. {max(paired):.1f}x"),
        ("max relative error vs explicit", f"{error:.1e}", f"target <= 1e-2; worst residual {residual:.1e}"),
        ("summarize() whole snapshot", _ms(statistics.median(times["summarize"])),
         f"target <= 70 ms at T=200 H=256; last run: {parts} ms"),
        ("summarize(), 1 BLAS thread as the window: quiet / with a competing process",
         f"{_ms(quiet)} / {_ms(busy)}", f"targets <= 70 ms / <= 100 ms; every view (as an export, or the default "
                                        f"docks), W_hh changed since the last call; medians of {repeats}, alternating"),
        ("  CPU time of the same calls: chain / spectrum (on its own thread)",
         f"{_ms(cpu['chain, CPU'])} / {_ms(cpu['spectrum, CPU'])}",
         "a quiet machine runs them side by side: wall ~ the larger; one free core: ~ their sum"),
        ("  the same, no dock in sight reads the spectrum (Spectrum hidden, Chain tabbed away)",
         f"{_ms(quiet_none)} / {_ms(busy_none)}", "the chain alone: its regime is the status bar's"),
        ("  the same, a paused run (W_hh unchanged: its spectrum reused)",
         f"{_ms(quiet_paused)} / {_ms(busy_paused)}", "redraws, another sample, an export while paused"),
    ]


def _summarize_quiet_and_busy(calls: dict, repeats: int) -> dict:
    """For each of ``calls`` (name -> a function returning a Diagnostics): the median seconds on one
    BLAS thread without and with a CPU-bound competitor on one core, alternating repeat by repeat,
    and the median CPU time of the chain's and the spectrum's threads over those calls
    ({name: (quiet, busy, {part: seconds})})."""
    from rnnviz.bench.busy import competing_process
    from rnnviz.runtime import blas_threads

    quiet = {name: [] for name in calls}
    busy = {name: [] for name in calls}
    cpu = {name: {"chain, CPU": [], "spectrum, CPU": []} for name in calls}

    def timed(name, into):
        start = time.perf_counter()
        found = calls[name]()
        into[name].append(time.perf_counter() - start)
        for part, values in cpu[name].items():
            values.append(found.seconds[part])

    with blas_threads(1):
        for call in calls.values():
            call()  # warm
        for _ in range(repeats):
            for name in calls:
                timed(name, quiet)
            with competing_process():
                for name in calls:
                    timed(name, busy)
    return {name: (statistics.median(quiet[name]), statistics.median(busy[name]),
                   {part: statistics.median(values) for part, values in cpu[name].items()}) for name in calls}


def _perf(module: str, function: str):
    """Adapt a ``rnnviz.bench`` benchmark (quick -> rows; it sets its own repeats) to this table."""
    def run(quick: bool, repeats: int):
        import importlib

        return getattr(importlib.import_module(f"rnnviz.bench.{module}"), function)(quick=quick)
    return run


BENCHMARKS = [  # (name, function(quick, repeats) -> rows); run in this order
    ("bptt-reference", _perf("bptt", "vs_reference")),
    ("bptt-throughput", _perf("bptt", "vs_matmul_limit")),
    ("bptt-torch", _perf("bptt", "vs_torch")),
    ("gated-throughput", _perf("gated", "vs_matmul_limit")),
    ("gated-torch", _perf("gated", "vs_torch")),
    ("busy-machine", _perf("busy", "vs_quiet")),
    ("diagnostics", bench_diagnostics),
    ("memory", _perf("memory", "vs_steps")),
    ("views", _perf("views", "vs_step")),
    ("window-redraw", _perf("window", "panel_update")),
    ("window-training", _perf("window", "training_rate")),
    ("window-training-views", _perf("window", "training_rate_new_docks")),
    ("shapes-bidirectional", _perf("shapes", "bidirectional_vs_unidirectional")),
    ("shapes-seq2seq", _perf("shapes", "seq2seq_vs_two_stacks")),
    ("window-redraw-shapes", _perf("window_shapes", "redraw_per_shape")),
    ("window-redraw-all-docks", _perf("window_shapes", "redraw_all_docks")),
    ("window-training-shapes", _perf("window_shapes", "training_per_shape")),
    ("sweep", _perf("sweep", "vs_workers")),
]
