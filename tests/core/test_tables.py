"""The numbers behind each view come from the core, from the view's own numbers, without Qt."""

import csv
import io

import numpy as np
import pytest

from rnnviz.core import tables
from rnnviz.core.exports import csv_bytes, run_metadata
from rnnviz.core.train import presets

VIEWS = ("loss", "hidden", "gradients", "chain", "flow", "weights", "spectrum", "norms", "gates",
         "connectivity", "distributions", "units")


@pytest.fixture(scope="module")
def trainer():
    run = presets.make_trainer({"hidden_size": 5, "cell": "gru", "bidirectional": True},
                               {"batch_size": 3, "diag_every": 2}, {"kind": "task", "name": "parity", "length": 10})
    run.run(3)
    return run


@pytest.fixture(scope="module")
def view(trainer):
    return trainer.view_data(1, ranking="never")


def rows_of(name, view, **options):
    header, rows = tables.table(name, view, **options)
    return [dict(zip(header, row)) for row in rows]


def test_every_view_has_a_table_and_an_empty_one_without_a_run(view):
    assert tuple(tables.TABLES) == VIEWS
    for name in VIEWS:
        header, rows = tables.table(name, view)
        assert header and all(len(row) == len(header) for row in rows), name
        empty_header, empty = tables.table(name, None)
        assert empty == [] and empty_header[:len(header) - 1] == header[:len(empty_header)][:len(header) - 1]


def test_gradient_rows_are_the_snapshot_norms_of_each_direction(view, trainer):
    snap = view.snapshot
    rows = rows_of("gradients", view)
    grad = trainer.last_batch.trace.grad_hidden  # (T, L, B, 2H): forward units, then backward
    width = grad.shape[-1] // 2
    for row in rows:
        part = ("forward", "backward").index(row["part"])
        units = grad[row["t"], row["layer"], 1, part * width:(part + 1) * width]
        assert row["grad_norm_sample"] == pytest.approx(np.linalg.norm(units), rel=1e-15)  # the sample shown
        batch = grad[row["t"], row["layer"], :, part * width:(part + 1) * width]
        assert row["grad_norm_batch_mean"] == pytest.approx(np.linalg.norm(batch, axis=-1).mean(), rel=1e-15)
    assert len(rows) == 2 * snap.grad_hidden.shape[0] * snap.grad_hidden.shape[1]


def test_hidden_and_loss_rows_hold_the_views_numbers(view):
    hidden = rows_of("hidden", view)
    assert all(row["h"] == view.snapshot.hidden[row["t"], row["layer"], row["unit"]] for row in hidden)
    steps, losses = view.series["loss"]
    loss_rows = [row for row in rows_of("loss", view) if row["series"] == "loss"]
    assert [row["value"] for row in loss_rows] == [float(v) for v in losses]
    assert [row["step"] for row in loss_rows] == [int(s) for s in steps]


def test_a_zero_loss_is_noted_only_on_a_log_axis(view):
    import dataclasses

    steps, values = view.series["loss"]
    zero = dataclasses.replace(view, series={**view.series, "loss": (steps, np.zeros_like(values))})
    assert {row["note"] for row in rows_of("loss", zero) if row["series"] == "loss"} == {
        "0 or negative: drawn at the log floor"}
    assert {row["note"] for row in rows_of("loss", zero, log_y=False) if row["series"] == "loss"} == {""}


def test_csv_bytes_round_trip_floats_exactly():
    values = [0.1, 1 / 3, np.float32(0.1), float("nan"), float("inf"), np.int64(7), "t"]
    text = csv_bytes(["a", "b", "c", "d", "e", "f", "g"], [values]).decode("utf-8")
    row = next(csv.DictReader(io.StringIO(text)))
    assert float(row["a"]) == 0.1 and float(row["b"]) == 1 / 3 and float(row["c"]) == float(np.float32(0.1))
    assert row["d"] == "nan" and row["e"] == "inf" and row["f"] == "7" and row["g"] == "t"


def test_run_metadata_has_the_command_lines_keys(trainer, view):
    meta = run_metadata(trainer, view, files=["loss.csv"], status="ready")
    assert meta["steps_done"] == 3 and meta["status"] == "ready" and meta["files"] == ["loss.csv"]
    assert meta["wall_time_seconds"] == trainer.wall_time > 0
    assert meta["final_loss"] == float(view.series["loss"][1][-1]) and meta["final_loss_step"] == 3
    assert meta["parts"] == ["forward", "backward"] and meta["source_spec"]["name"] == "parity"


def test_run_metadata_names_the_held_units_and_their_mode(trainer, view):
    assert run_metadata(trainer, view)["units_off"] is None
    held = presets.make_trainer({"hidden_size": 5, "cell": "gru", "bidirectional": True}, {"batch_size": 3},
                                {"kind": "task", "name": "parity", "length": 10})
    held.run(1)
    clamp = held.switch_units_off([(0, 2), (0, 8)], "mean")
    meta = run_metadata(held, held.view_data(ranking="never"))
    assert meta["units_off"] == {"units": ["fwd 2", "bwd 3"], "values": list(clamp.values), "mode": "mean"}
    assert all(value != 0 for value in meta["units_off"]["values"])
