"""The connectivity, distributions and units files of ``rnnviz export``, for a session whose
run went on with units switched off."""

from __future__ import annotations

import csv
import json

import numpy as np

from rnnviz.core.train import presets, session
from tests.cli.test_export import rnnviz


def rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_exported_views_show_the_units_held(tmp_path):
    trainer = presets.make_trainer({"hidden_size": 6}, {"batch_size": 4, "diag_every": 2},
                                   {"kind": "task", "name": "adding", "length": 8})
    trainer.run(4)
    trainer.switch_units_off([(0, 1), (0, 4)], "mean")
    trainer.run(4)
    path = session.save(trainer, tmp_path / "held.npz")
    out = tmp_path / "plots"
    result = rnnviz("export", path, "--out", out)
    assert result.returncode == 0, result.stderr
    units = rows(out / "units.csv")
    held = [(int(r["layer"]), int(r["unit"]), float(r["value"])) for r in units if r["kind"] == "held_unit"]
    assert held == [(0, 1, trainer.units_off.values[0]), (0, 4, trainer.units_off.values[1])]
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["units_off"] == {"units": ["0:1", "0:4"], "values": list(trainer.units_off.values),
                                     "mode": "mean"}
    assert any(r["kind"] == "loss" for r in units)
    ranked = [r for r in units if r["kind"] == "loss_change_off"]
    assert sorted(int(r["unit"]) for r in ranked) == [0, 2, 3, 5]  # every unit not held, ranked
    connectivity = rows(out / "connectivity.csv")
    assert sum(r["kind"] == "map" for r in connectivity) == 8 * 9 // 2  # T = 8: the lower triangle
    dist = rows(out / "distributions.csv")
    assert {r["quantity"] for r in dist} >= {"weight_hh_l0", "grad/weight_hh_l0", "hidden/l0"}
    assert {int(r["step"]) for r in dist if r["quantity"] == "hidden/l0"} == {1, 2, 4, 6, 8}


def test_run_trains_with_units_off_and_refuses_bad_units(tmp_path):
    from rnnviz.core.train.session import load

    path = tmp_path / "held.npz"
    result = rnnviz("run", "--task", "adding", "--length", 8, "--steps", 3, "--hidden", 6, "--batch", 4,
                    "--units-off", "0:1,0:3", "--hold", "mean", "--save", path)
    assert result.returncode == 0, result.stderr
    trainer = load(path)
    assert trainer.units_off.units == ((0, 1), (0, 3)) and trainer.units_off.mode == "mean"
    first, second = trainer.units_off.values
    assert result.stdout.startswith(f"units held off (mean): 0:1 at {first:.3g}, 0:3 at {second:.3g}\n")
    damaged = tmp_path / "damaged.npz"
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    metadata = json.loads(str(arrays["metadata"]))
    assert metadata["units_off"]["units"] == ["0:1", "0:3"]  # saved by name
    metadata["units_off"]["units"] = ["0:1", "fwd 3"]  # a bidirectional net's name: not this network's
    np.savez(damaged, **{**arrays, "metadata": np.array(json.dumps(metadata))})
    refused = rnnviz("run", "--resume", damaged, "--steps", 1)
    assert refused.returncode == 2 and refused.stderr.startswith("rnnviz: error: damaged.npz is damaged: the "
                                                                 "units switched off: 'fwd 3' is not a unit")
    assert len(refused.stderr.strip().splitlines()) == 1
    for flags, message in ((["--units-off", "0:x"], "layer:unit pairs"), (["--units-off", "0:9"], "does not exist"),
                           (["--hold", "mean"], "needs --units-off")):
        bad = rnnviz("run", "--task", "adding", "--length", 8, "--steps", 1, "--hidden", 6, *flags)
        assert bad.returncode == 2 and bad.stderr.startswith("rnnviz: error:") and message in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
