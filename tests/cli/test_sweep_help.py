"""rnnviz sweep --help lists only the flags a sweep accepts; the refused ones still answer with the reason."""

import subprocess
import sys

import pytest

from rnnviz.cli.sweep import RUN_ONLY_FLAGS, run_flags_a_sweep_cannot_set


def _help() -> str:
    import argparse

    from rnnviz.cli import sweep

    parser = argparse.ArgumentParser(prog="rnnviz sweep")
    sweep.add_arguments(parser)
    return parser.format_help()


def test_help_leaves_out_every_refused_flag():
    text = _help()
    refused = set(run_flags_a_sweep_cannot_set()) | set(RUN_ONLY_FLAGS)
    assert "units_off" in refused and "save" in refused and "bidirectional" not in refused
    for dest in refused:
        assert f"--{dest.replace('_', '-')} " not in text and not text.rstrip().endswith(dest), dest
    for kept in ("--vary", "--seeds", "--cell", "--recurrent-scale", "--clip-norm", "--steps", "--bidirectional",
                 "--arch", "--reverse-source"):
        assert kept in text


@pytest.mark.parametrize("flag", ["--units-off=0:1", "--save=x.npz"])
def test_a_hidden_flag_is_still_refused_with_its_reason(flag, tmp_path):
    done = subprocess.run([sys.executable, "-m", "rnnviz", "sweep", "--out", str(tmp_path / "o"), flag],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("rnnviz: error: ") and flag.split("=")[0] in done.stderr
