"""Distribution bands: numpy.percentile agreement, NaN/Inf counted apart, bounded merging."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.train.distributions import (NAN, NEGINF, PERCENTILES, POSINF, SIZE, BandBuffer, Distributions,
                                             merge_rows, summarize_values, symlog, symlog_inverse,
                                             symlog_threshold)


def test_percentiles_match_numpy():
    rng = np.random.default_rng(0)
    values = rng.standard_cauchy((17, 31))
    row = summarize_values(values)
    np.testing.assert_array_equal(row[:len(PERCENTILES)], np.percentile(values, PERCENTILES))
    assert row[NAN] == row[POSINF] == row[NEGINF] == 0 and row[SIZE] == values.size


def test_non_finite_values_are_counted_not_mixed_in():
    rng = np.random.default_rng(1)
    values = rng.normal(0, 1e-20, 1000)
    finite = values.copy()
    values[[3, 7, 11]] = np.nan
    values[[5, 9]] = np.inf
    values[100] = -np.inf
    row = summarize_values(values)
    kept = np.delete(finite, [3, 5, 7, 9, 11, 100])
    np.testing.assert_array_equal(row[:9], np.percentile(kept, PERCENTILES))
    assert (row[NAN], row[POSINF], row[NEGINF], row[SIZE]) == (3, 2, 1, 1000)
    nothing = summarize_values(np.array([np.nan, np.inf]))
    assert np.isnan(nothing[:9]).all() and (nothing[NAN], nothing[POSINF]) == (1, 1)


def test_a_blow_up_never_spoils_earlier_steps():
    dist = Distributions(capacity=8)
    rng = np.random.default_rng(2)
    for step in range(1, 6):
        hidden = rng.normal(size=(4, 1, 2, 3))
        dist.record(step, {"w": rng.normal(size=(3, 3))}, {"w": rng.normal(size=(3, 3))}, hidden)
    dist.record(6, {"w": np.ones((3, 3))}, {"w": np.full((3, 3), np.nan)}, np.full((4, 1, 2, 3), np.inf))
    steps, rows = dist.data()["grad/w"]
    assert np.isfinite(rows[:5, :9]).all() and np.isnan(rows[5, :9]).all() and rows[5, NAN] == 9
    steps, rows = dist.data()["hidden/l0"]
    assert rows[5, POSINF] == 24 and np.isfinite(rows[:5, :9]).all()


def test_a_step_tried_again_alike_is_recorded_once_and_a_different_outcome_kept():
    dist = Distributions(capacity=8)
    blown = {"w": np.full((3, 3), np.nan)}
    dist.record(5, {}, {"w": np.ones((3, 3))}, np.zeros((4, 1, 2, 3)))
    for _ in range(3):  # training on after a divergence: the same weights, the same batch, the same NaN
        dist.record(6, {}, blown, np.zeros((4, 1, 2, 3)))
    steps, rows = dist.data()["grad/w"]
    assert list(steps) == [5, 6] and rows[1, NAN] == 9
    dist.record(6, {}, {"w": np.ones((3, 3))}, np.zeros((4, 1, 2, 3)))  # retried with clipping: it went through
    steps, rows = dist.data()["grad/w"]
    assert list(steps) == [5, 6, 6] and rows[1, NAN] == 9 and rows[2, NAN] == 0  # the blow-up's mark stays


def test_a_diverged_run_trained_on_records_its_blow_up_once():
    from rnnviz.core.config import ModelConfig, TrainConfig
    from rnnviz.core.train.trainer import Trainer
    from tests.core.fake_sources import ExplodingSource

    run = Trainer(ExplodingSource(), ModelConfig(hidden_size=8, cell="relu", recurrent_scale=3.0),
                  TrainConfig(batch_size=2, seq_len=40, lr=1.0, optimizer="sgd", diag_every=1))
    first = run.run(50)
    assert first.diverged and run.run(5).diverged
    steps, rows = run.distributions.data()["hidden/l0"]
    assert steps[-1] == first.step and list(steps).count(first.step) == 1


def test_memory_is_bounded_and_merging_keeps_the_envelope():
    buffer = BandBuffer(8)
    rows = []
    for step in range(1, 101):
        row = summarize_values(np.random.default_rng(step).normal(0, step, 50))
        if step == 37:
            row[NAN] = 5
        rows.append(row)
        buffer.append(step, row)
    steps, stored = buffer.data()
    assert len(steps) <= 9 and steps[0] == 1
    all_rows = np.array(rows)
    assert stored[:, 0].min() == all_rows[:, 0].min() and stored[:, 8].max() == all_rows[:, 8].max()
    assert stored[:, NAN].max() == 5  # the step with NaN still shows
    merged = merge_rows(rows[0], rows[1])
    assert merged[0] == min(rows[0][0], rows[1][0]) and merged[8] == max(rows[0][8], rows[1][8])


def test_round_trip_and_damaged_arrays():
    dist = Distributions(capacity=6)
    for step in range(1, 15):
        dist.record(step, {"a": np.arange(4.0) * step}, {}, np.zeros((2, 2, 1, 3)))
    arrays = dist.to_arrays()
    again = Distributions.from_arrays(arrays, capacity=6)
    for name, (steps, rows) in dist.data().items():
        np.testing.assert_array_equal(again.data()[name][0], steps)
        np.testing.assert_array_equal(again.data()[name][1], rows)
    bad = dict(arrays)
    bad["0/rows"] = bad["0/rows"][:, :3]
    with pytest.raises(ValueError, match="does not fit"):
        Distributions.from_arrays(bad, capacity=6)
    bad = dict(arrays)
    bad["0/meta"] = np.array([3.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="bin"):
        Distributions.from_arrays(bad, capacity=6)
    bad = dict(arrays)
    del bad["1/steps"]
    with pytest.raises(ValueError, match="missing"):
        Distributions.from_arrays(bad, capacity=6)
    big = Distributions(capacity=100)
    for step in range(1, 15):
        big.record(step, {"a": np.arange(4.0)}, {}, np.zeros((2, 1, 1, 3)))
    with pytest.raises(ValueError, match="does not fit"):  # 14 rows cannot go into 6
        Distributions.from_arrays(big.to_arrays(), capacity=6)


def test_symlog_axis():
    values = np.array([-1e10, -1.0, 0.0, 1e-30, 3e-3, 1e10, np.nan])
    rows = np.array([[-1e10, -5.0, -3e-3, -1e-4, 1e-30, 1e-4, 2e-3, 5.0, 1e10]])
    assert symlog_threshold(rows) == 1e-4  # a decade below |p16| = 3e-3
    rows[0, 2] = 0.0
    assert symlog_threshold(rows) == 1e-4  # |p84| = 2e-3 then
    rows[0, [2, 6]] = 0.0
    assert symlog_threshold(rows) == 1e-30  # no typical size: the smallest value
    threshold = 1e-30
    y = symlog(values, threshold)
    assert y[2] == 0 and np.isnan(y[-1]) and np.all(np.diff(y[:-1]) > 0)
    np.testing.assert_allclose(symlog_inverse(y[:-1], threshold), values[:-1], rtol=1e-9)
    assert symlog_threshold(np.zeros((2, 9))) == 1.0


def test_rebinned_keeps_every_quantity_within_the_new_capacity():
    dist = Distributions(capacity=40)
    for step in range(1, 31):
        dist.record(step, {"w": np.arange(5.0) * step}, {}, np.zeros((2, 1, 1, 2)))
    small = dist.rebinned(8)
    for name, (steps, rows) in small.data().items():
        assert len(steps) <= 9 and steps[0] == 1
        assert rows[:, 8].max() == dist.data()[name][1][:, 8].max()  # the envelope survives
