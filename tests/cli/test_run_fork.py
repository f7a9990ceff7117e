"""``rnnviz run --fork NAME=VALUE`` on every shape: the run and its forks train on the same batches,
the end prints a line per run naming its shape, --save keeps the whole group (and --resume goes on
with all of it), and a fork that means nothing for the shape is refused before anything trains."""

from __future__ import annotations

import pytest

from rnnviz.core.train.group import RunGroup
from rnnviz.core.train.group_trainer import group_folder

SMALL = ["--hidden", "4", "--batch", "4", "--steps", "3"]
CASES = {
    "bidirectional": (["--task", "marker", "--length", "6", "--bidirectional", "--cell", "gru"],
                      ["cell=tanh", "recurrent_scale=0.5"], "bidirectional"),
    "seq2seq": (["--task", "bottleneck", "--length", "4", "--arch", "seq2seq"], ["reverse_source=true"],
                "encoder-decoder"),
    "vec2seq": (["--task", "waveform", "--length", "5", "--arch", "vec2seq"], ["context=both"], "vector-to-sequence"),
    "one-way and bidirectional": (["--task", "marker", "--length", "6"], ["bidirectional=true"], "unidirectional"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_run_with_forks_saves_and_resumes_the_group(case, tmp_path, capsys):
    from rnnviz.cli.main import main

    flags, forks, shape = CASES[case]
    path = tmp_path / "runs.npz"
    args = ["run", *flags, *SMALL, *[a for fork in forks for a in ("--fork", fork)], "--save", str(path)]
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert f"comparing {1 + len(forks)} runs on the same batches" in out
    assert f"  run 0: this run ({shape}) \u2014 step 3" in out
    group = RunGroup.load(group_folder(path))
    assert len(group.members) == 1 + len(forks) and group.same_batches() == [True] * len(group.members)
    if case == "one-way and bidirectional":
        assert "  run 1: bidirectional (fresh weights) \u2014 step 3" in out
        assert group.members[1].trainer.model_config.bidirectional
    assert main(["run", "--resume", str(path), "--steps", "2", "--save", str(path)]) == 0
    assert f"  run {len(forks)}: " in capsys.readouterr().out  # every run went on
    assert [m.trainer.step_count for m in RunGroup.load(group_folder(path)).members] == [5] * len(group.members)


@pytest.mark.parametrize("fork, message", [
    ("reverse_source=true", "reverse_source does not apply to this run's shape (unidirectional)"),
    ("speed=2", "cannot fork on 'speed'"),
    ("lr", "write NAME=VALUE"),
])
def test_a_fork_that_cannot_be_made_is_refused_before_training(fork, message, tmp_path, capsys):
    from rnnviz.cli.main import main

    assert main(["run", "--task", "adding", "--length", "5", *SMALL, "--fork", fork,
                 "--save", str(tmp_path / "r.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnviz: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "r.npz").exists()


def test_a_resumed_session_whose_runs_cannot_be_read_says_how_to_go_on(tmp_path, capsys):
    from rnnviz.cli.main import main

    path = tmp_path / "runs.npz"
    assert main(["run", "--task", "adding", "--length", "5", *SMALL, "--fork", "lr=0.001", "--save", str(path)]) == 0
    (group_folder(path) / "group.json").write_text('{"format": "other"}')
    capsys.readouterr()
    assert main(["run", "--resume", str(path), "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "not an rnnviz group file" in err and "move" in err and "to resume the run alone" in err


@pytest.mark.parametrize("flags, named", [(["--rollback"], "--rollback"), (["--lr", "0.5"], "new training settings (lr)")])
def test_changes_to_the_first_run_alone_are_refused_when_runs_are_compared(flags, named, tmp_path, capsys):
    """--rollback or a new rate would put the first run on other batches than its companions."""
    from rnnviz.cli.main import main

    path = tmp_path / "runs.npz"
    assert main(["run", "--task", "adding", "--length", "5", *SMALL, "--fork", "lr=0.001", "--save", str(path)]) == 0
    saved = path.read_bytes()
    capsys.readouterr()
    assert main(["run", "--resume", str(path), "--steps", "1", *flags, "--save", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnviz: error: ") and named in err and "to resume the run alone" in err
    assert path.read_bytes() == saved  # nothing trained, nothing written
