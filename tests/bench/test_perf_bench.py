"""The benchmark functions run and return table rows; nothing here asserts a speed.

Speed is measured by ``rnnviz bench`` on a quiet machine, never by a test (shared CI machines
are too noisy for a timed assertion). These checks keep the benchmark code from rotting.
"""

from __future__ import annotations

from rnnviz.bench import bptt, busy, gated, memory


def assert_rows(rows):
    assert rows
    for row in rows:
        assert len(row) == 3 and all(isinstance(cell, str) and cell for cell in row)


def test_reference_and_limit_benchmarks_return_rows():
    assert_rows(bptt.vs_reference(quick=True, threads=1))
    rows = bptt.vs_matmul_limit(quick=True)
    assert_rows(rows)
    assert {"float64", "float32"} <= {dtype for row in rows for dtype in ("float64", "float32") if dtype in row[0]}


def test_torch_benchmark_says_skipped_without_torch():
    # torch is never a dependency: without it the row says so; with it the comparison runs
    try:
        import torch  # noqa: F401
    except ImportError:
        (row,) = bptt.vs_torch(quick=True)
        assert "skipped" in row[1]
    else:  # pragma: no cover - torch is not a dependency
        assert_rows(bptt.vs_torch(quick=True, threads=1))


def test_step_flops_counts_the_products():
    # H=2, B=1, T=1, Y=3: recurrence 3 x 2*1*2*2 = 24, readout 3 x 2*1*2*3 = 36
    assert bptt.step_flops(2, 1, 1, vocab=3) == 60


def test_memory_run_reports_its_peak():
    result = memory.run_and_measure(30)
    assert result["steps"] == 30 and result["status"] in ("ready", "finished")
    assert result["peak_mib"] > 0 and result["seconds"] > 0


def test_a_child_reports_its_own_peak_not_its_parents():
    # Linux keeps ru_maxrss across exec: a child of a big parent would inherit the parent's peak
    import numpy as np

    ballast = np.ones(12_000_000)  # ~92 MiB resident in this (parent) process
    child = memory.measure_in_subprocess(10)
    assert child["steps"] == 10
    assert child["peak_mib"] < memory.peak_resident_kib() / 1024 - 50
    del ballast


def test_gated_benchmarks_return_rows_for_both_cells_and_dtypes():
    rows = gated.vs_matmul_limit(quick=True)
    assert_rows(rows)
    assert {row[0].split()[0] for row in rows} == {"LSTM", "GRU"}
    assert_rows(gated.vs_torch(quick=True, threads=1))  # "skipped" without torch, the comparison with it


def test_gated_step_flops_count_the_products():
    # LSTM, H=2, B=1, T=1, Y=3: recurrence 3 x 2*1*2*8 = 96, readout 3 x 2*1*2*3 = 36
    assert gated.step_flops("lstm", 2, 1, 1, vocab=3) == 132


def test_busy_machine_benchmark_runs_a_competitor_and_returns_rows():
    with busy.competing_process() as child:
        assert child.poll() is None  # running
    assert child.poll() is not None  # and gone afterwards
    rows = busy.vs_quiet(quick=True)
    assert_rows(rows)
    assert "competing process" in rows[0][0]
