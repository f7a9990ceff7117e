"""``rnnviz sweep`` as a user runs it: on the embedded local cluster, on a running cluster at a
scheduler address (started here on 127.0.0.1, stopped at the end), resumed after Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("distributed")

GRID = ["--task", "adding", "--length", "6", "--hidden", "4", "--batch", "4", "--steps", "20",
        "--vary", "recurrent_scale=0.5,1.5", "--vary", "cell=tanh,lstm", "--seeds", "2"]


def rnnviz(*args, cwd=None, timeout=180):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "rnnviz", "sweep", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def local_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    done = rnnviz(*GRID, "--workers", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, done


def test_a_sweep_on_the_local_cluster_writes_every_file(local_results):
    out, done = local_results
    assert "8 run(s); 0 already done" in done.stdout and "local cluster, 1 worker(s)" in done.stdout
    assert "8 of 8 runs done" in done.stdout and done.stderr == ""
    for name in ("results.csv", "timings.csv", "sweep.json", "phase.png", "phase.svg", "phase.csv",
                 "success.png", "success.svg", "success.csv"):
        assert (out / name).stat().st_size > 0, name
    rows = read_csv(out / "results.csv")
    assert rows[0][:7] == ["recurrent_scale", "cell", "task", "length", "hidden", "batch", "steps"]
    assert [r[:2] + [r[7]] for r in rows[1:5]] == [["0.5", "lstm", "0"], ["0.5", "lstm", "1"],
                                                   ["0.5", "tanh", "0"], ["0.5", "tanh", "1"]]
    assert len(list((out / "points").iterdir())) == 8
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["grid"]["varied"] == {"recurrent_scale": [0.5, 1.5], "cell": ["tanh", "lstm"]}
    assert manifest["versions"]["numpy"] and manifest["runs_finished"] == 8
    phase = read_csv(out / "phase.csv")
    assert phase[0] == ["facet", "cell", "recurrent_scale", "success", "seeds"] and len(phase) == 5
    again = rnnviz(*GRID, "--workers", "1", "--out", str(out))  # everything is there: nothing runs
    assert again.returncode == 0 and "8 already done" in again.stdout and "running on" not in again.stdout
    assert read_csv(out / "results.csv") == rows


def test_the_same_sweep_on_a_scheduler_gives_the_same_results(local_results, scheduler, tmp_path):
    done = rnnviz(*GRID, "--scheduler", scheduler, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"cluster at {scheduler}" in done.stdout
    assert (tmp_path / "results.csv").read_bytes() == (local_results[0] / "results.csv").read_bytes()


def test_ctrl_c_keeps_finished_points_and_a_rerun_computes_only_the_rest(scheduler, tmp_path):
    grid = ["--task", "adding", "--length", "30", "--hidden", "16", "--steps", "150",
            "--vary", "recurrent_scale=0.5:1.5:6", "--seeds", "1", "--scheduler", scheduler, "--out", str(tmp_path)]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    process = subprocess.Popen([sys.executable, "-m", "rnnviz", "sweep", *grid], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    points = tmp_path / "points"
    deadline = time.monotonic() + 60
    while not (points.is_dir() and any(points.glob("*.json"))) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    kept = {p.name: p.stat().st_mtime_ns for p in points.glob("*.json")}
    if process.returncode == 0:  # the machine outran the signal: nothing left to resume
        pytest.skip("the whole sweep finished before Ctrl-C arrived")
    assert process.returncode == 130, err
    assert "interrupted with" in err and "run the same command again" in err
    assert 1 <= len(kept) < 6
    # what finished is in results.csv (a point whose file was being written at the press may be in it too)
    assert len(kept) <= len(read_csv(tmp_path / "results.csv")) - 1 <= len(kept) + 1
    rerun = rnnviz(*grid)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(kept)} already done in {tmp_path}, {6 - len(kept)} to compute" in rerun.stdout
    assert {name: (points / name).stat().st_mtime_ns for name in kept} == kept  # not computed again
    assert len(read_csv(tmp_path / "results.csv")) == 7


@pytest.mark.parametrize("args, message", [
    (["--vary", "speed=1"], "unknown sweep setting 'speed'"),
    (["--vary", "length=5", "--length", "6"], "both varied and fixed"),
    (["--vary", "hidden=0,4"], "hidden: hidden_size must be between 1 and 4096"),
    (["--save", "x.npz"], "--save belong to rnnviz run"),
    (["--units-off", "0:1"], "--units-off cannot be set in a sweep"),
    (["--arch", "seq2seq"], "an encoder-decoder needs a source and a target sequence"),
    (["--vary", "bidirectional=true,maybe"], "bidirectional must be true or false"),
    (["--preset", "nope"], "unknown sweep preset"),
    (["--metric", "beauty"], "--metric must be one of"),
    (["--vary", "length=5", "--x", "cell"], "'cell' is not a varied setting"),
    (["--scheduler", "localhost"], "--scheduler must be an address"),
    (["--task", "adding", "--seq-len", "5"], "seq_len does not apply to a task"),
])
def test_bad_input_exits_2_with_one_line(args, message, tmp_path, capsys, monkeypatch):
    from rnnviz.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--steps", "1", *args, "--out", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("rnnviz: error: ")
    assert message in err and out == ""
    assert not (tmp_path / "out").exists()  # nothing is created before the grid is known to be good
