"""``rnnviz run`` as a user runs it: a subprocess, its exit code, its stdout and stderr."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from rnnviz.cli.progress import PLAIN_LINE_SECONDS, Progress
from rnnviz.core.train import session

TINY = ["--task", "adding", "--length", "6", "--hidden", "8", "--batch", "4"]
EXPLODING = ["--task", "adding", "--length", "40", "--hidden", "16", "--cell", "relu", "--recurrent-scale", "3",
             "--optimizer", "sgd", "--lr", "100", "--steps", "50"]


def rnnviz(*args, cwd=None):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "rnnviz", "run", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def test_a_run_finishes_with_progress_lines_and_a_summary():
    done = rnnviz(*TINY, "--steps", "20")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert "\r" not in done.stdout  # not a terminal: plain lines, no redrawn bar
    assert sum(line.startswith("step ") for line in lines) == 11  # the first step, then every tenth
    assert lines[0].startswith("step 1 (1/20)  loss ")
    assert "finished: 20 steps on adding (T=6)" in done.stdout
    assert "memoryless baseline 0.1667" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--hidden", "0"], "--hidden: hidden_size must be between 1 and 4096"),
    (["--hidden", "many"], "argument --hidden: must be a whole number, got 'many'"),
    (["--lr", "nan"], "argument --lr: must be a finite number"),
    (["--lr", "-1"], "--lr: lr must be"),
    (["--task", "nosuch"], "unknown task 'nosuch'"),
    (["--data", "missing.txt"], "data file not found"),
    (["--clip-norm", "1", "--clip-value", "1"], "exclude each other"),
    (["--cell", "transformer"], "argument --cell: invalid choice: 'transformer'"),
    (["--data", "."], "is a folder, not a file"),
    (["--task", "adding", "--seq-len", "10"], "--seq-len does not apply to a task"),
    (["--task", "adding", "--length", "6", "--seq-len", "10"], "use --length to change it"),
])
def test_bad_input_exits_2_with_one_line(args, message, tmp_path):
    done = rnnviz(*args, "--steps", "1", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("rnnviz: error: ")
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_divergence_exits_3_names_the_place_and_saves(tmp_path):
    path = tmp_path / "diverged.npz"
    done = rnnviz(*EXPLODING, "--save", str(path))
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "rnnviz: training diverged at step " in done.stderr
    assert "layer" in done.stderr or "gradient of" in done.stderr or "loss" in done.stderr
    trainer = session.load(path)
    assert trainer.status == "diverged" and trainer.divergence in done.stderr
    assert all(np.isfinite(p).all() for p in trainer.model.params.values())


def test_save_and_resume_continue_exactly(tmp_path):
    straight, first, resumed = tmp_path / "straight.npz", tmp_path / "first.npz", tmp_path / "resumed.npz"
    assert rnnviz(*TINY, "--steps", "30", "--save", str(straight)).returncode == 0
    assert rnnviz(*TINY, "--steps", "18", "--save", str(first)).returncode == 0
    done = rnnviz("--resume", str(first), "--steps", "12", "--save", str(resumed))
    assert done.returncode == 0, done.stderr
    assert "finished: 30 steps" in done.stdout
    a, b = session.load(straight), session.load(resumed)
    assert a.step_count == b.step_count == 30
    for name in a.model.params:
        np.testing.assert_array_equal(a.model.params[name], b.model.params[name])
    np.testing.assert_array_equal(a.history.series("loss")[1], b.history.series("loss")[1])


def test_resume_refuses_model_changes_and_bad_files(tmp_path):
    path = tmp_path / "s.npz"
    assert rnnviz(*TINY, "--steps", "2", "--save", str(path)).returncode == 0
    done = rnnviz("--resume", str(path), "--hidden", "32")
    assert done.returncode == 2 and "--hidden cannot change a resumed run" in done.stderr
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really")
    done = rnnviz("--resume", str(tmp_path / "junk.npz"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not a readable rnnviz session" in done.stderr


def test_unwritable_targets_fail_before_training(tmp_path):
    done = rnnviz(*TINY, "--steps", "5", "--save", str(tmp_path / "no" / "such" / "run.npz"))
    assert done.returncode == 2 and "does not exist" in done.stderr and done.stdout == ""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = rnnviz(*TINY, "--steps", "5", "--export", str(blocker / "out"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stdout == ""


def test_export_after_training(tmp_path):
    pytest.importorskip("PyQt6")
    out = tmp_path / "out"
    done = rnnviz(*TINY, "--steps", "5", "--export", str(out))
    assert done.returncode == 0, done.stderr
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["steps_done"] == 5 and metadata["status"] == "finished"


def test_help_lists_every_flag_and_the_exit_codes():
    done = subprocess.run([sys.executable, "-m", "rnnviz", "run", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for flag in ("--data", "--task", "--length", "--cell", "--hidden", "--layers", "--seq-len", "--batch",
                 "--steps", "--lr", "--optimizer", "--clip-norm", "--clip-value", "--init", "--init-scale",
                 "--recurrent-scale", "--forget-bias", "--seed", "--dtype", "--save", "--resume", "--encoding", "--level",
                 "--export"):
        assert flag in done.stdout
    assert "3  training diverged" in done.stdout


def test_export_unavailable_is_a_one_line_error(monkeypatch, capsys, tmp_path):
    from rnnviz.cli import main as cli

    monkeypatch.setitem(sys.modules, "rnnviz.cli.export", None)  # as if this version had no exporter
    code = cli.main(["run", *TINY, "--steps", "1", "--export", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2 and captured.err == "rnnviz: error: export is not available in this version\n"
    assert captured.out == "" and not (tmp_path / "out").exists()


def test_save_to_a_folder_and_export_to_a_file_are_refused_before_training(tmp_path):
    folder = tmp_path / "existing"
    folder.mkdir()
    done = rnnviz(*TINY, "--steps", "5", "--save", str(folder))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stdout == ""
    assert "it is a folder" in done.stderr and os.listdir(folder) == []
    a_file = tmp_path / "plots.png"
    a_file.write_text("x")
    done = rnnviz(*TINY, "--steps", "5", "--export", str(a_file))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stdout == ""
    assert "is a file, not a folder" in done.stderr and a_file.read_text() == "x"


def test_bad_settings_leave_no_empty_export_folder(tmp_path):
    out = tmp_path / "new" / "plots"
    done = rnnviz(*TINY, "--steps", "5", "--hidden", "0", "--export", str(out))
    assert done.returncode == 2 and "--hidden" in done.stderr
    assert not (tmp_path / "new").exists()


def test_ctrl_c_saves_exports_and_exits_130(tmp_path):
    pytest.importorskip("PyQt6")
    path, out = tmp_path / "s.npz", tmp_path / "out"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    child = subprocess.Popen([sys.executable, "-m", "rnnviz", "run", *TINY, "--steps", "100000",
                              "--save", str(path), "--export", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = child.stdout.readline()  # training runs: the first step's line is printed at once
        assert first.startswith("step 1 "), first + child.stderr.read()
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr and "rnnviz: interrupted after step" in stderr
    trainer = session.load(path)
    assert 1 <= trainer.step_count < 100000
    assert f"interrupted: {trainer.step_count} of 100000 steps" in stdout
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["steps_done"] == trainer.step_count and metadata["status"] == "interrupted"


def test_progress_names_what_clipping_did_and_counts_in_words():
    done = rnnviz(*TINY, "--steps", "1", "--clip-norm", "1e-6")
    assert done.returncode == 0, done.stderr
    assert "clipped to 1e-06" in done.stdout and "%" not in done.stdout
    assert "finished: 1 step on" in done.stdout
    done = rnnviz(*TINY, "--steps", "1", "--clip-norm", "1e9")
    assert "(not clipped)" in done.stdout and "clipped to" not in done.stdout
    done = rnnviz(*TINY, "--steps", "1", "--clip-value", "1e-9")
    assert "100% of elements clipped" in done.stdout


def test_plain_progress_prints_at_least_every_few_seconds():
    seconds = iter(range(0, 10_000, 3))  # each step takes 3 s on this clock
    stream = io.StringIO()
    progress = Progress(1000, 0, stream, clock=lambda: float(next(seconds)))
    for step in range(1, 11):
        progress.update(SimpleNamespace(step=step, loss=1.0, grad_norm=1.0, clipped_norm=1.0, clip_fraction=0.0))
    printed = [int(line.split()[1]) for line in stream.getvalue().splitlines()]
    gap = int(PLAIN_LINE_SECONDS // 3) + 1  # steps between two lines at 3 s a step
    assert printed == [1] + list(range(1 + gap, 11, gap))  # not only at the 10 % marks (step 100, 200, ...)


def test_loading_a_large_file_says_so_and_a_terminal_shows_the_percentage(tmp_path):
    import io

    from rnnviz.cli.progress import LOUD_FILE_BYTES, LoadProgress

    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * LOUD_FILE_BYTES)
    plain = io.StringIO()
    progress = LoadProgress(big, plain)
    for fraction in (0.25, 0.5, 1.0):
        progress(fraction)
    progress.close()
    assert plain.getvalue() == "loading big.txt (1.0 MiB)\n"  # a log gets one line, not a bar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    progress = LoadProgress(big, terminal, clock=iter(range(100)).__next__)
    for fraction in (0.25, 0.5, 1.0):
        progress(fraction)
    progress.close()
    assert terminal.getvalue() == "\rloading big.txt:  25%\rloading big.txt:  50%\rloading big.txt: 100%\n"


def test_forget_bias_reaches_the_lstm_and_a_bad_value_is_one_line(tmp_path):
    saved = tmp_path / "lstm.npz"
    done = rnnviz(*TINY, "--cell", "lstm", "--forget-bias", "2.5", "--steps", "1", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    assert session.load(saved).model.config.forget_bias == 2.5
    bad = rnnviz(*TINY, "--cell", "lstm", "--forget-bias", "lots")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == ("rnnviz: error: argument --forget-bias: must be a number, got 'lots' "
                                  "(see rnnviz run --help)")
