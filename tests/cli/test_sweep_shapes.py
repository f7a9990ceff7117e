"""``rnnviz sweep`` over every network shape: the shape's settings vary like any other, each row
keeps the chain and horizon of the stack that tells that shape's story, and the figures are drawn."""

from __future__ import annotations

import csv

import pytest

pytest.importorskip("distributed")

from rnnviz.core.train.group_curves import run_curves  # noqa: E402
from rnnviz.core.train.sweep import build_trainer, held_out_gradients  # noqa: E402

SMALL = ["--hidden", "4", "--batch", "4", "--steps", "4", "--length", "5"]
SHAPES = {  # flags, the setting varied, what the rows must show
    "bidirectional": (["--task", "marker"], "bidirectional=false,true"),
    "seq2seq": (["--task", "bottleneck", "--arch", "seq2seq"], "reverse_source=false,true"),
    "vec2seq": (["--task", "waveform", "--arch", "vec2seq", "--cell", "gru"], "context=init,every-step"),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_sweep_of_each_shape(shape, scheduler, tmp_path, capsys):
    from rnnviz.cli.main import main

    flags, vary = SHAPES[shape]
    out = tmp_path / shape
    assert main(["sweep", *flags, *SMALL, "--vary", vary, "--scheduler", scheduler, "--metric", "horizon_end",
                 "--out", str(out)]) == 0, capsys.readouterr().err
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    name = vary.split("=")[0]
    assert [row[name] for row in rows] == (["False", "True"] if name != "context" else ["every-step", "init"])
    for row in rows:
        assert row["chain_start_log10"] and row["horizon_start"] and row["steps_done"] == "4"
    assert (out / "phase.png").stat().st_size > 0 and (out / "success.csv").stat().st_size > 0


def test_a_sweep_keeps_the_stack_that_tells_each_shapes_story():
    """An encoder-decoder's row keeps its encoder's chain and horizon (every gradient to the source
    crosses it); a bidirectional net's the longer-reaching direction's."""
    s2s = build_trainer({"task": "bottleneck", "length": 5, "hidden": 4, "batch": 4, "arch": "seq2seq",
                         "reverse_source": True}, 0)
    curves = run_curves(s2s.model, *s2s.source.validation_batch(4, s2s.train_config.seq_len))
    assert held_out_gradients(s2s) == (curves.chains["encoder"][-1], curves.horizons["encoder"])
    both = build_trainer({"task": "marker", "length": 5, "hidden": 4, "batch": 4, "bidirectional": True}, 0)
    curves = run_curves(both.model, *both.source.validation_batch(4, both.train_config.seq_len))
    chain, horizon = held_out_gradients(both)
    assert chain == max(c[-1] for c in curves.chains.values()) and horizon == max(curves.horizons.values())
