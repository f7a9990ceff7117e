"""Bounded history: a million steps fit the configured retention, and the spikes survive."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.train.history import SERIES, History, Series

MILLION = 1_000_000


def test_a_million_appended_steps_stay_within_retention_and_keep_their_peaks():
    history = History(size=1000, flow_size=50)
    rng = np.random.default_rng(0)
    values = rng.normal(size=MILLION)
    spike_at, dip_at = int(rng.integers(MILLION)), int(rng.integers(MILLION))
    values[spike_at], values[dip_at] = 1e6, -1e6
    for step in range(MILLION):  # one point at a time, as the trainer does
        history.append("grad_norm", step, values[step])
    steps, kept = history.series("grad_norm")
    assert len(steps) <= 1000 + 2  # the buffer plus one open bin's min and max
    assert len(steps) > 400  # and it is not thrown away either
    assert np.all(np.diff(steps) > 0)
    assert steps[-1] > MILLION - 5000  # recent data is there
    assert steps[0] < 5000  # and so is the start of the run
    assert kept.max() == 1e6 and steps[kept.argmax()] == spike_at
    assert kept.min() == -1e6 and steps[kept.argmin()] == dip_at
    # every kept point is a real (step, value) pair, not an average
    np.testing.assert_array_equal(kept, values[steps.astype(int)])


def test_extend_gives_exactly_what_append_gives():
    rng = np.random.default_rng(1)
    values = rng.normal(size=20_000)
    values[rng.integers(0, 20_000, 50)] = 3.0  # ties, so first-occurrence rules matter
    steps = np.arange(values.size) * 3.0
    one_by_one, at_once, in_chunks = Series(64), Series(64), Series(64)
    for s, v in zip(steps, values):
        one_by_one.append(s, v)
    at_once.extend(steps, values)
    for chunk in np.array_split(np.arange(values.size), 37):
        in_chunks.extend(steps[chunk], values[chunk])
    for other in (at_once, in_chunks):
        for a, b in zip(one_by_one.points(), other.points()):
            np.testing.assert_array_equal(a, b)


def test_constant_curve_keeps_distinct_steps():
    series = Series(16)
    series.extend(np.arange(1000), np.ones(1000))
    steps, values = series.points()
    assert np.all(np.diff(steps) > 0) and np.all(values == 1)


def test_non_finite_values_are_skipped():
    history = History(size=16)
    history.record(1, loss=1.0)
    history.record(2, loss=float("nan"))
    history.record(3, loss=float("inf"))
    steps, values = history.series("loss")
    np.testing.assert_array_equal(steps, [1])


def test_short_history_is_kept_exactly():
    history = History(size=100)
    for step in range(1, 51):
        history.record(step, loss=step * 0.5, grad_norm=step * 2.0)
    steps, values = history.series("loss")
    np.testing.assert_array_equal(steps, np.arange(1, 51))
    np.testing.assert_array_equal(values, np.arange(1, 51) * 0.5)
    assert history.last("grad_norm") == 100.0
    assert set(SERIES) >= {"loss", "val_loss", "horizon", "update_ratio"}
    with pytest.raises(KeyError, match="no history series"):
        history.series("nope")


def test_flow_is_bounded_and_keeps_a_burst():
    history = History(flow_size=20)
    rng = np.random.default_rng(2)
    burst_step = 6_789
    for step in range(0, 10_000, 10):
        profile = rng.uniform(0.5, 1.0, 12)
        if step == burst_step - 9:  # the recorded step nearest the burst
            profile[4] = 1e9
        history.record_profile(step, profile)
    steps, rows = history.flow()
    assert rows.shape[1] == 12 and rows.shape[0] == steps.size <= 21
    assert np.all(np.diff(steps) > 0)
    assert rows.max() == 1e9
    assert rows[:, 4].argmax() == np.searchsorted(steps, burst_step - 9, side="right") - 1


def test_flow_follows_a_changed_window_length():
    history = History(flow_size=8)
    history.record_profile(1, np.ones(5))
    history.record_profile(2, np.ones(3) * 2)
    steps, rows = history.flow()
    assert rows.shape == (2, 3)
    np.testing.assert_array_equal(rows[1], [2, 2, 2])


def test_arrays_round_trip_and_continue_identically():
    a = History(size=32, flow_size=8)
    rng = np.random.default_rng(3)
    for step in range(1, 500):
        a.record(step, loss=rng.normal(), grad_norm=rng.normal())
        if step % 7 == 0:
            a.record_profile(step, rng.uniform(size=6))
    b = History.from_arrays({k: v.copy() for k, v in a.to_arrays().items()}, size=32, flow_size=8)
    for step in range(500, 900):
        value, profile = rng.normal(), rng.uniform(size=6)
        for h in (a, b):
            h.record(step, loss=value)
            h.record_profile(step, profile)
    for name in ("loss", "grad_norm", "val_loss"):
        for x, y in zip(a.series(name), b.series(name)):
            np.testing.assert_array_equal(x, y)
    for x, y in zip(a.flow(), b.flow()):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="missing"):
        History.from_arrays({})


def test_truncate_forgets_later_steps():
    history = History(size=64, flow_size=8)
    for step in range(1, 300):
        history.record(step, loss=float(step))
        history.record_profile(step, np.full(4, float(step)))
    history.truncate(150)
    steps, values = history.series("loss")
    assert steps.max() <= 150 and steps.max() > 100
    flow_steps, _ = history.flow()
    assert flow_steps.max() <= 150
    history.record(151, loss=-1.0)
    assert history.last("loss") == -1.0
