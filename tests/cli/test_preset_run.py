"""``rnnviz run --preset NAME``: the window's lessons headless, with the window's settings."""

from __future__ import annotations

import json

import pytest

from rnnviz.core.train.presets import PRESET_NAMES
from tests.cli.test_export import rnnviz


def test_help_lists_every_preset_by_its_exact_name():
    result = rnnviz("run", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps lines
    for name in PRESET_NAMES:
        assert f"'{name}'" in text


def test_a_preset_runs_headless_with_its_own_settings(tmp_path):
    out = tmp_path / "plots"
    result = rnnviz("run", "--preset", "exploding-clipped", "--steps", "3", "--export", out)
    assert result.returncode == 0, result.stderr
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["model_config"]["cell"] == "relu" and meta["train_config"]["clip_mode"] == "norm"
    assert meta["steps_done"] == 3


def test_the_exploding_preset_exits_3_and_its_plots_show_the_last_finite_state(tmp_path):
    out = tmp_path / "plots"
    result = rnnviz("run", "--preset", "Exploding", "--export", out)
    assert result.returncode == 3
    assert "plots show the last finite state" in result.stdout
    assert "try a lower --readout-lr, --lr or --clip-norm" in result.stderr  # its read-out drives it
    gradients = (out / "gradients.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert gradients and all("nan" not in line and "inf" not in line for line in gradients)


def test_a_preset_brings_its_own_data():
    result = rnnviz("run", "--preset", "lstm", "--task", "copy")
    assert result.returncode == 2 and result.stderr.startswith("rnnviz: error: --preset brings its own data")


def test_a_short_csv_gets_fewer_streams_and_says_so_in_one_line(tmp_path):
    import math

    path = tmp_path / "short.csv"
    path.write_text("x\n" + "".join(f"{math.sin(i / 5):.4f}\n" for i in range(400)), encoding="utf-8")
    result = rnnviz("run", "--data", path, "--steps", "2", "--hidden", "8")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stdout.splitlines() if "parallel streams instead of 16" in line]
    assert len(notes) == 1
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("x\n" + "".join(f"{i}\n" for i in range(30)), encoding="utf-8")
    refused = rnnviz("run", "--data", tiny, "--steps", "2")
    assert refused.returncode == 2 and refused.stderr.startswith("rnnviz: error:")


EXPORTED = {"Vanishing", "Sentiment", "Future marker, both ways", "Seq2seq, source reversed",
            "Vec2seq, code at every step"}  # one preset of each shape exports (~2.5 s each); the rest run


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_runs_with_its_settings_and_each_shape_exports(tmp_path, qapp, name):
    """``rnnviz run --preset NAME [--export DIR]`` for each preset, in this process (one step: the
    lessons themselves are asserted in tests/core/train/test_preset_lessons.py)."""
    from rnnviz.cli.main import main
    from rnnviz.core.train.presets import PRESETS

    out = tmp_path / "plots"
    save = tmp_path / "run.npz"
    export = ["--export", str(out)] if name in EXPORTED else []
    assert main(["run", "--preset", name, "--steps", "1", "--save", str(save), *export]) == 0
    from rnnviz.core.train.session import read

    meta, _arrays = read(save)
    preset = PRESETS[name]
    assert {key: meta["model_config"][key] for key in preset.model if key in meta["model_config"]} == \
        {key: value for key, value in preset.model.items() if key in meta["model_config"]}
    if export:
        for view in ("loss", "gradients", "chain", "spectrum", "units", "connectivity"):
            assert (out / f"{view}.svg").stat().st_size > 0 and (out / f"{view}.csv").stat().st_size > 0
