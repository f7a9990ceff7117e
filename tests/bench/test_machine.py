"""The machine-speed yardstick is fixed work, and the window benches print it with their split."""

from __future__ import annotations

import re

import pytest

from rnnviz.bench import machine, window_shapes


def test_the_reference_work_is_fixed_and_timed():
    values = machine.np.random.default_rng(0).standard_normal(200)
    assert machine._python_work() == machine._python_work()  # the same work every call
    assert machine._numpy_work(values) == machine._numpy_work(values)
    python, numpy_ = machine.measure(repeats=1)
    assert python > 0 and numpy_ > 0


def test_a_figure_in_reference_units_is_divided_by_the_median_unit():
    samples = [(0.010, 0.005), (0.020, 0.010), (0.012, 0.006)]  # units of 15, 30 and 18 ms: median 18
    assert machine.in_units(0.036, samples) == "2.00 units"
    label, value, note = machine.row(samples)
    assert "machine speed" in label
    assert "1 unit of 18.0 ms" in value and "15.0 .. 30.0 ms" in note


@pytest.mark.qt_log_ignore(".*propagateSizeHints.*")
def test_all_docks_bench_splits_the_redraw_into_three_parts_that_make_the_whole(qtbot):
    rows = window_shapes.redraw_all_docks(quick=True)
    *phases, speed = rows
    assert "machine speed" in speed[0]
    assert len(phases) == 4  # a run's first steps and later ones: each a whole and its split
    first_steps = []
    for whole, split in zip(phases[::2], phases[1::2]):
        assert "plot docks in sight" in whole[0] and "units" in whole[1]
        first_steps.append(int(re.search(r"training steps (\d+)-(\d+)", whole[0]).group(1)))
        parts = [float(x) for x in re.match(r"([\d.]+) / ([\d.]+) / (-?[\d.]+) ms CPU", split[1]).groups()]
        total_cpu = float(re.search(r"CPU time [\d.]+ / ([\d.]+) ms", whole[1]).group(1))
        assert parts[1] > 0  # the canvases painted, and their time was counted
        assert sum(parts) == pytest.approx(total_cpu, abs=0.2)  # the three parts are the whole
    assert first_steps[0] < first_steps[1]  # the later phase continues the same run
