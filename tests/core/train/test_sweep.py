"""A sweep's pieces without Dask: grid parsing, point keys, one point's row, the point files and
the tables behind the figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rnnviz.core.errors import UserError
from rnnviz.core.train import sweep_store as store
from rnnviz.core.train.sweep import RESULT_COLUMNS, configs, run_point, success
from rnnviz.core.train.sweep_grid import make_grid, parse_vary, point_key
from rnnviz.core.train.sweep_table import phase_table, success_curves

TINY = {"task": "adding", "length": 6, "hidden": 4, "batch": 4, "steps": 5}


# ---------------------------------------------------------------------- the grid
def test_ranges_lists_and_log_ranges():
    assert parse_vary("recurrent_scale=0.5:2.0:4") == ("recurrent_scale", (0.5, 1.0, 1.5, 2.0))
    assert parse_vary("--recurrent-scale=0.1:0.3:3")[1] == (0.1, 0.2, 0.3)  # no 0.30000000000000004
    assert parse_vary("length=10,20,50") == ("length", (10, 20, 50))
    assert parse_vary("lr=1e-4:1e-1:4:log")[1] == pytest.approx((1e-4, 1e-3, 1e-2, 1e-1))
    assert parse_vary("hidden=2:3:5")[1] == (2, 3)  # whole numbers: rounded, each once
    assert parse_vary("cell=tanh,irnn,lstm")[1] == ("tanh", "irnn", "lstm")


@pytest.mark.parametrize("text, words", [
    ("length", "NAME=START:STOP:COUNT"), ("speed=1,2", "unknown sweep setting"), ("cell=tanh,cnn", "must be one of"),
    ("length=1.5,2", "whole number"), ("lr=0:1:x", "COUNT"), ("lr=0:1:3:log", "positive"),
    ("length=10,10", "repeated"), ("lr=", "no values"), ("lr=nan,1", "finite"),
])
def test_bad_vary_says_why(text, words):
    with pytest.raises(UserError, match=words):
        parse_vary(text)


def test_grid_points_keys_and_conflicts():
    grid = make_grid(["length=5,6", "cell=tanh,lstm"], {"hidden": "4", "lr": None}, [0, 1, 2])
    tasks = grid.tasks()
    assert len(tasks) == 12 and len({key for key, _, _ in tasks}) == 12
    assert tasks[0][1] == {"hidden": 4, "lr": None, "length": 5, "cell": "tanh"}
    assert point_key({"a": 1, "b": None}, 3) == point_key({"a": 1}, 3) != point_key({"a": 1}, 4)
    with pytest.raises(UserError, match="both varied and fixed"):
        make_grid(["length=5,6"], {"length": 7}, [0])
    with pytest.raises(UserError, match="given twice"):
        make_grid(["length=5", "length=6"], {}, [0])
    with pytest.raises(UserError, match="at most"):
        make_grid(["lr=0.1:1:1000", "length=2:1001:1000"], {}, [0])


def test_configs_name_the_setting_and_irnn_is_relu_with_identity():
    model, _ = configs({"cell": "irnn"}, 0)
    assert (model.cell, model.init) == ("relu", "identity")
    with pytest.raises(UserError, match="^hidden: "):
        configs({"hidden": 0}, 0)
    with pytest.raises(UserError, match="exclude each other"):
        configs({"clip_norm": 1.0, "clip_value": 1.0}, 0)


# ---------------------------------------------------------------------- one point
def test_a_point_is_a_pure_function_of_settings_and_seed():
    first, again, other = run_point(TINY, 3), run_point(dict(TINY), 3), run_point(TINY, 4)
    assert set(first) == set(RESULT_COLUMNS) | {"wall_time", "train_time"}
    assert 0 < first["train_time"] < first["wall_time"]
    timing = ("wall_time", "train_time")
    same = {k: v for k, v in first.items() if k not in timing}
    assert same == {k: v for k, v in again.items() if k not in timing}
    assert first["loss_final"] != other["loss_final"]
    assert first["steps_done"] == 5 and first["diverged"] == 0 and first["baseline"] == pytest.approx(1 / 6)
    assert first["loss_ratio"] == pytest.approx(first["loss_final"] / first["baseline"])
    assert 0 <= first["horizon_start"] <= 5 and math.isfinite(first["chain_start_log10"])


def test_a_diverging_point_says_where():
    row = run_point({**TINY, "cell": "relu", "init": "orthogonal", "recurrent_scale": 30.0, "optimizer": "sgd",
                     "lr": 10.0, "length": 20}, 0)
    assert row["diverged"] == 1 and row["success"] == 0 and row["diverged_step"] >= 1
    assert row["steps_done"] == row["diverged_step"] - 1


def test_success_criteria():
    assert success("adding", 0.005, 1 / 6, None) and not success("adding", 0.02, 1 / 6, None)
    assert success("latching", 0.1, math.log(2), 0.97) and not success("latching", 0.1, math.log(2), 0.9)
    assert success(None, 1.0, 3.0, None) and not success(None, 2.0, 3.0, None)
    assert not success("adding", float("nan"), 1 / 6, None)


# ---------------------------------------------------------------------- files
def test_point_files_round_trip_and_hostile_ones_are_ignored(tmp_path):
    folder = store.prepare_folder(tmp_path / "out")
    row = {**{name: 1 for name in RESULT_COLUMNS}, "loss_final": float("nan"), "diverged_step": None,
           "wall_time": 0.5}
    store.save_point(folder, "k1", {"length": 5}, 2, row)
    loaded = store.load_point(folder, "k1")
    assert loaded["seed"] == 2 and loaded["row"]["loss_final"] is None and loaded["row"]["diverged_step"] is None
    assert loaded["row"] == store.stored_row(row)  # what is written equals what a resumed sweep reads
    assert [p.name for p in (folder / "points").iterdir()] == ["k1.json"]  # no temporary file left
    bad = {
        "k2": "not json", "k3": json.dumps({"key": "other"}),
        "k4": json.dumps({"key": "k4", "seed": 0, "settings": {}, "wall_time": 1.0, "row": {"loss_final": 1}}),
        "k5": json.dumps({"key": "k5", "seed": 0, "settings": {}, "wall_time": 1.0,
                          "row": {**{n: 1 for n in RESULT_COLUMNS}, "success": 0.5}}),
        "k6": "[" * 70_000,
    }
    for key, text in bad.items():
        (folder / "points" / f"{key}.json").write_text(text)
        assert store.load_point(folder, key) is None, key
    assert store.load_point(folder, "missing") is None
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file"):
        store.prepare_folder(tmp_path / "file")


def test_results_are_sorted_by_settings_then_seed(tmp_path):
    grid = make_grid(["length=10,5", "cell=tanh,gru"], {}, [1, 0])
    done = {key: {"row": {n: seed for n in RESULT_COLUMNS}, "wall_time": 0.1, "seed": seed, "settings": s}
            for key, s, seed in reversed(grid.tasks())}
    rows = store.table_rows(grid, done)
    assert [(r["length"], r["cell"], r["seed"]) for r in rows][:3] == [(5, "gru", 0), (5, "gru", 1), (5, "tanh", 0)]
    results, timings = store.write_results(tmp_path, grid, rows)
    header = results.read_text().splitlines()[0].split(",")
    assert header[:3] == ["length", "cell", "seed"] and header[-1] == "key" and "wall_time" not in header
    assert timings.read_text().splitlines()[0] == "key,seed,wall_time_s"


# ---------------------------------------------------------------------- tables
def test_phase_table_and_success_curves():
    varied = {"length": (5, 10), "cell": ("tanh", "lstm"), "hidden": (4,)}
    rows = [{"length": 5, "cell": "tanh", "hidden": 4, "seed": s, "success": s % 2, "loss_ratio": 0.5 + s}
            for s in range(4)]
    rows += [{"length": 10, "cell": "lstm", "hidden": 4, "seed": 0, "success": 1, "loss_ratio": None}]
    table = phase_table(rows, varied, "success")
    assert (table.x_name, table.y_name, table.facet_name) == ("length", "cell", "hidden")
    assert table.values.shape == (1, 2, 2)
    assert table.values[0, 0, 0] == 0.5 and table.counts[0, 0, 0] == 4 and np.isnan(table.values[0, 0, 1])
    assert table.values[0, 1, 1] == 1.0
    ratio = phase_table(rows, varied, "loss_ratio", x="cell", y="length")
    assert ratio.values[0, 0, 0] == 2.0 and np.isnan(ratio.values[0, 1, 1])  # median; no finite value
    curves = success_curves(rows, varied)
    assert curves.labels == ("cell=tanh, hidden=4", "cell=lstm, hidden=4")
    np.testing.assert_array_equal(curves.rates, [[0.5, np.nan], [np.nan, 1.0]])
    with pytest.raises(UserError, match="not a varied setting"):
        phase_table(rows, varied, x="lr")


def test_the_bench_line_runs_quick_without_a_cluster():
    pytest.importorskip("distributed")
    from rnnviz.bench.sweep import vs_workers

    (name, value, _), = vs_workers(quick=True)
    assert "--quick starts no cluster" in name and value.endswith(" ms")
