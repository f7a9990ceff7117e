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
    assert header == ["run", "shape", "part", "plot", "x", "median", "low", "high"]
    assert {row[0] for row in rows} == {"this run", "cell=tanh (fresh weights)"}
    assert {(row[1], row[2]) for row in rows} == {("unidirectional", "")}
    tanh = grouped.group.overlays()[1]
    profile = [float(row[5]) for row in rows if row[0].startswith("cell=tanh") and row[3] == "grad_norm"]
    np.testing.assert_allclose(profile, tanh.profile)  # the numbers the core computed, unchanged
    assert export_runs(trainer.view_data(), tmp_path / "alone") == []  # one run: no runs.*


def test_the_runs_of_other_shapes_are_exported_naming_shape_and_stack(qtbot, tmp_path):
    """A bidirectional group names each direction's rows; an encoder-decoder's joined time axis names
    each step's stack; the figure's caption names the shape."""
    from rnnviz.core.train.presets import make_trainer
    from rnnviz.gui.export import caption
    from rnnviz.gui.panels.group import GroupPanel

    cases = (({"cell": "gru", "hidden_size": 5, "bidirectional": True}, {"kind": "task", "name": "marker", "length": 6},
              {"forward", "backward"}),
             ({"cell": "tanh", "hidden_size": 5, "arch": "seq2seq"}, {"kind": "task", "name": "bottleneck", "length": 4},
              {"encoder", "decoder"}))
    for k, (model, data, stacks) in enumerate(cases):
        trainer = make_trainer(model, {"batch_size": 4}, data)
        trainer.run(2)
        grouped = GroupedTrainer(RunGroup(trainer))
        grouped.fork({"cell": "tanh" if model["cell"] != "tanh" else "lstm"})
        grouped.run(1)
        view = dataclasses.replace(grouped.view_data(), group=grouped.group_view(force=True))
        folder = tmp_path / str(k)
        folder.mkdir()
        export_runs(view, folder)
        with open(folder / "runs.csv", newline="") as handle:
            rows = list(csv.reader(line for line in handle if not line.startswith("#")))[1:]
        shape = trainer.view_data().snapshot.shape
        assert {row[1] for row in rows} == {shape}
        assert {row[2] for row in rows if row[3] in ("grad_norm", "chain_log10")} == stacks
        panel = GroupPanel()
        qtbot.addWidget(panel)
        panel.show_overlays(view.group.overlays)
        assert shape in caption(panel.view)
        legend = [label.text for _, label in panel.plots["loss"].legend.items]
        assert any(text == f"line style: {sorted(stacks)[-1] if k == 0 else 'decoder'}" for text in legend)
        assert panel.divider.isVisible() == (k == 1)
