"""The application keeps freed memory (rnnviz.runtime): a step that drops its trace then costs no page faults.

Each case runs in a fresh interpreter, because the allocator setting is process-wide and must
not leak into (or come from) the test process. Faults are counted, never timed.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting exists in glibc only")

# a step at H=128, B=32, T=100 (3.3 MB per trace array), called 4 times with the result dropped,
# like ``loss, grads, _ = model.loss_and_grads(...)`` in a user's loop; prints faults per call
STEP_FAULTS = textwrap.dedent("""
    import sys
    import threading
    import numpy as np
    from rnnviz import runtime
    from rnnviz.core import RNN, ModelConfig
    from rnnviz.bench.bptt import faults_per_call

    if sys.argv[1].startswith("keep"):
        assert runtime.keep_freed_memory()
    model = RNN(ModelConfig(input_size=20, hidden_size=128, output_size=20))
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 20, (100, 32)), rng.integers(0, 20, (100, 32))
    result = []
    work = lambda: result.append(faults_per_call(lambda: model.loss_and_grads(x, y), calls=4))
    if sys.argv[1].endswith("thread"):  # as the window's worker: another thread, another malloc arena
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    else:
        work()
    print(result[0])
""")


def faults_per_step(mode: str) -> float:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # as the suite runs (tests/conftest.py); faults, not time
    result = subprocess.run([sys.executable, "-c", STEP_FAULTS, mode], capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0, result.stderr
    return float(result.stdout)


def test_kept_memory_spares_the_step_its_page_faults():
    plain = faults_per_step("plain")
    if plain < 500:
        pytest.skip(f"this glibc already reuses the step's memory ({plain:.0f} faults per step)")
    kept = faults_per_step("keep")
    # the trace's three fresh arrays are ~1,700 pages; kept memory is reused, not faulted in again
    assert kept < plain / 10, (plain, kept)


def test_kept_memory_spares_a_worker_thread_too():
    """The window trains on a worker thread, whose allocations come from another malloc arena:
    the mmap threshold holds for every arena, so the setting helps there as well."""
    plain = faults_per_step("plain-thread")
    if plain < 500:
        pytest.skip(f"this glibc already reuses the step's memory ({plain:.0f} faults per step)")
    kept = faults_per_step("keep-thread")
    assert kept < plain / 10, (plain, kept)


def test_the_command_line_keeps_freed_memory_and_the_bench_says_so():
    result = subprocess.run([sys.executable, "-m", "rnnviz", "bench", "--quick", "--only", "bptt-reference"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "glibc keeps freed memory (mmap threshold 256 MiB, trim threshold 1024 MiB)" in result.stdout
    assert "page faults per step" in result.stdout


def test_the_library_alone_leaves_the_allocator_as_it_is():
    code = "import rnnviz.core, rnnviz.runtime; print(rnnviz.runtime.describe_allocator())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "not asked"
