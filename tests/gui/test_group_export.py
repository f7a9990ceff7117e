"""Runs compared are exported with the rest: Export all also writes runs.png/.svg/.csv, the overlays
of every run as the Runs dock draws them (a tanh fork beside an LSTM), and nothing for one run."""

from __future__ import annotations

import csv
import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np

from rnnviz.core.train.group import RunGroup
from rnnviz.core.train.group_trainer import GroupedTrainer
from rnnviz.core.train.sweep import build_trainer
from rnnviz.gui.export import export_runs

TINY = {"task": "adding", "length": 8, "hidden": 6, "batch": 4, "steps": 1000, "cell": "lstm"}


def test_export_writes_the_runs_compared(qtbot, tmp_path):
    trainer = build_trainer(TINY, 0)
    trainer.run(3)
    grouped = GroupedTrainer(RunGroup(trainer))
    grouped.fork({"cell": "tanh"})
    grouped.run(2)
    view = grouped.view_data()
    view = dataclasses.replace(view, group=grouped.group_view(force=True))  # as the worker exports it
    (tmp_path / "with").mkdir()
    written = [p.name for p in export_runs(view, tmp_path / "with")]  # what Export all adds to its files
    assert written == ["runs.png", "runs.svg", "runs.csv"]
    with open(tmp_path / "with" / "runs.csv", newline="") as handle:
        rows = list(csv.reader(line for line in handle if not line.startswith("#")))
    header, rows = rows[0], rows[1:]
    assert header == ["run", "plot", "x", "median", "low", "high"]
    assert {row[0] for row in rows} == {"this run", "cell=tanh (fresh weights)"}
    tanh = grouped.group.overlays()[1]
    profile = [float(row[3]) for row in rows if row[0].startswith("cell=tanh") and row[1] == "grad_norm"]
    np.testing.assert_allclose(profile, tanh.profile)  # the numbers the core computed, unchanged
    assert export_runs(trainer.view_data(), tmp_path / "alone") == []  # one run: no runs.*
