"""`rnnviz bench` as a user runs it: a table with the ratio line, a machine description, and a
clean error for an unknown benchmark. No timing is asserted: speed is shown, never tested."""

from __future__ import annotations

import os
import subprocess
import sys


def rnnviz(*args, env=None):
    return subprocess.run([sys.executable, "-m", "rnnviz", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_quick_bench_prints_the_machine_and_the_ratio():
    # one BLAS thread, as the suite runs (tests/conftest.py): the quick sizes are too small to split
    result = rnnviz("bench", "--quick", env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "cpu" in out and "numpy" in out and "blas" in out
    ratio_lines = [line for line in out.splitlines() if "ratio explicit / fast" in line]
    assert len(ratio_lines) == 1
    value = ratio_lines[0].split("ratio explicit / fast")[1].split()[0]  # "<n>x"
    assert value.endswith("x") and float(value[:-1]) > 0
    assert "max relative error vs explicit" in out and "summarize()" in out
    ceiling = [line for line in out.splitlines() if "ceiling: reference / the step's matrix products alone" in line]
    assert len(ceiling) == 1 and "% of the step)" in ceiling[0]
    for shape in ("unidirectional", "bidirectional", "seq2seq", "vec2seq", "many-to-one text"):
        assert f"redraw of all 12 panels, {shape}, training steps " in out  # a run's first steps, then later ones
        assert f"training with the window open vs headless, {shape} (" in out
    assert "the window's redraw with all 12 of 12 plot docks in sight, bidirectional" in out
    assert "ratio bidirectional / unidirectional, lstm" in out


def test_only_selects_a_benchmark_and_unknown_names_are_a_user_error():
    assert rnnviz("bench", "--quick", "--only", "diagnostics").returncode == 0
    result = rnnviz("bench", "--quick", "--only", "nonesuch")
    assert result.returncode == 2
    assert result.stderr.startswith("rnnviz: error: unknown benchmark 'nonesuch'")
    assert result.stdout == ""


def test_threads_reruns_with_the_blas_thread_count_set():
    result = rnnviz("bench", "--quick", "--threads", "1", "--only", "diagnostics")  # the rerun, not every benchmark again
    assert result.returncode == 0, result.stderr
    assert "OPENBLAS_NUM_THREADS=1" in result.stdout and "ratio explicit / fast" in result.stdout
