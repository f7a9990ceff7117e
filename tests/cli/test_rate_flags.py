"""``--lr-growth`` and ``--readout-lr``: they reach the run and its metadata, and bad values are
one line naming the flag, exit 2."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_run import TINY, rnnviz


def test_the_rates_reach_the_run_and_the_metadata(tmp_path):
    out = tmp_path / "plots"
    done = rnnviz(*TINY, "--optimizer", "sgd", "--lr", "1e-3", "--lr-growth", "1.5", "--readout-lr", "0.02",
                  "--steps", "3", "--export", str(out))
    assert done.returncode == 0, done.stderr
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["train_config"]["lr_growth"] == 1.5 and meta["train_config"]["readout_lr"] == 0.02


@pytest.mark.parametrize("args, message", [
    (["--lr-growth", "3"], "--lr-growth: lr_growth must be a number in [0.5, 2]"),
    (["--lr-growth", "fast"], "argument --lr-growth: must be a number, got 'fast'"),
    (["--readout-lr", "0"], "--readout-lr: readout_lr must be a number in (0, 1e6]"),
])
def test_bad_rates_exit_2_with_one_line_naming_the_flag(args, message, tmp_path):
    done = rnnviz(*TINY, *args, "--steps", "1", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("rnnviz: error: ")
    assert message in done.stderr


def test_help_names_the_range_test():
    text = " ".join(rnnviz("run", "--help").stdout.split())
    assert "--lr-growth X" in text and "range test" in text and "--readout-lr RATE" in text
