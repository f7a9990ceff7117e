"""``rnnviz export`` of a session saved while runs were compared: the runs' views are exported too,
named with their shape, and a group that cannot be read leaves the run exported alone, said on stderr."""

from __future__ import annotations

import csv
import json

from rnnviz.cli.export import with_group
from rnnviz.core.train.group import RunGroup
from rnnviz.core.train.group_trainer import GroupedTrainer, group_folder
from rnnviz.core.train.presets import make_trainer


def test_export_of_a_vector_to_sequence_group_names_its_shape(tmp_path, capsys):
    from rnnviz.cli.main import main

    trainer = make_trainer({"cell": "gru", "hidden_size": 4, "arch": "vec2seq"}, {"batch_size": 4},
                           {"kind": "task", "name": "waveform", "length": 5})
    trainer.run(2)
    grouped = GroupedTrainer(RunGroup(trainer))
    grouped.fork({"context": "every-step"})
    grouped.run(2)
    grouped.save_session(tmp_path / "v.npz")
    assert main(["export", str(tmp_path / "v.npz"), "--out", str(tmp_path / "out")]) == 0
    with open(tmp_path / "out" / "runs.csv", newline="") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    assert {row["run"] for row in rows} == {"this run", "context=every-step (fresh weights)"}
    assert {row["shape"] for row in rows} == {"vector-to-sequence"}
    assert {row["part"] for row in rows if row["plot"] == "grad_norm"} == {"decoder", "code vector"}
    meta = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert [r["shape"] for r in meta["runs_compared"]] == ["vector-to-sequence"] * 2
    assert "runs.png" in meta["files"] and (tmp_path / "out" / "runs.svg").stat().st_size > 0
    (group_folder(tmp_path / "v.npz") / "group.json").write_text("{not json")
    capsys.readouterr()
    assert with_group(tmp_path / "v.npz", trainer) is trainer  # what export then writes: the run alone
    err = capsys.readouterr().err
    assert "could not be read" in err and "exporting its own run alone" in err
