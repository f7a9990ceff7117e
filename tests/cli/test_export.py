"""Headless export as a user runs it: ``rnnviz run ... --export DIR`` and ``rnnviz export
SESSION --out DIR`` in a subprocess without a display, then every file read back."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from rnnviz import __version__

VIEWS = ("loss", "gradients", "chain", "hidden", "flow", "weights", "spectrum", "norms", "gates", "connectivity",
         "distributions", "units")
FILES = sorted([f"{v}.{ext}" for v in VIEWS for ext in ("png", "svg", "csv")] + ["metadata.json", "history.npz"])
SMALL = ["--hidden", "8", "--batch", "4"]  # seconds, not minutes


def rnnviz(*args, timeout=120):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-m", "rnnviz", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


def check_folder(folder) -> dict:
    """Every file is there and readable; returns metadata.json."""
    assert sorted(os.listdir(folder)) == FILES
    for view in VIEWS:
        root = ET.parse(folder / f"{view}.svg").getroot()
        assert any(el.tag.rsplit("}", 1)[-1] in ("path", "polyline", "image") for el in root.iter())
        assert (folder / f"{view}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with open(folder / f"{view}.csv", newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header and all(header)
    with np.load(folder / "history.npz") as history:
        assert history.files
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert sorted(metadata["files"]) == FILES  # the list says what was written, no more, no less
    return metadata


@pytest.fixture(scope="module")
def task_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    out, session = base / "plots", base / "run.npz"
    result = rnnviz("run", "--task", "adding", "--steps", 20, *SMALL, "--save", session, "--export", out)
    return result, out, session


def test_run_export_writes_every_file_and_metadata(task_run):
    result, out, _ = task_run
    assert result.returncode == 0, result.stderr
    meta = check_folder(out)
    assert meta["rnnviz_version"] == __version__
    assert meta["status"] == "finished" and meta["steps_done"] == 20 and meta["divergence"] == ""
    assert meta["model_config"]["hidden_size"] == 8 and meta["model_config"]["cell"] == "tanh"
    assert meta["train_config"]["batch_size"] == 4 and "lr" in meta["train_config"]
    assert np.isfinite(meta["final_loss"]) and meta["wall_time_seconds"] > 0
    with open(out / "loss.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["series"] == "loss"]
    assert len(rows) == 20 and float(rows[-1]["value"]) == pytest.approx(meta["final_loss"])


def test_export_from_a_session_matches_the_run(task_run, tmp_path):
    _, run_out, session = task_run
    out = tmp_path / "from_session"
    result = rnnviz("export", session, "--out", out)
    assert result.returncode == 0, result.stderr
    meta = check_folder(out)
    assert meta["steps_done"] == 20 and meta["status"] == "finished"
    for name in ("loss.csv", "norms.csv", "flow.csv"):  # the history: the same numbers either way
        assert (out / name).read_text() == (run_out / name).read_text(), name


@pytest.mark.parametrize("kind", ["text", "series"])
def test_run_export_on_a_text_file_and_a_csv_series(tmp_path, kind):
    if kind == "text":
        data = tmp_path / "words.txt"
        data.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    else:
        data = tmp_path / "series.csv"
        t = np.arange(400)
        rows = "\n".join(f"{np.sin(0.1 * i):.5f},{np.cos(0.07 * i):.5f}" for i in t)
        data.write_text("a,b\n" + rows + "\n", encoding="utf-8")
    out = tmp_path / "plots"
    result = rnnviz("run", "--data", data, "--steps", 5, "--seq-len", 12, *SMALL, "--export", out)
    assert result.returncode == 0, result.stderr
    assert check_folder(out)["steps_done"] == 5


def test_diverged_run_exports_everything_and_exits_3(tmp_path):
    out, session = tmp_path / "plots", tmp_path / "diverged.npz"
    # hidden 32: at 8 or 16 units the diagnostics' chain norm currently raises LinAlgError here
    result = rnnviz("run", "--task", "adding", "--cell", "relu", "--recurrent-scale", 4, "--optimizer", "sgd",
                    "--lr", 1, "--steps", 50, "--hidden", 32, "--batch", 4, "--export", out, "--save", session)
    assert result.returncode == 3, result.stderr
    meta = check_folder(out)
    assert meta["status"] == "diverged" and meta["divergence"]
    assert meta["steps_done"] < 50

    again = rnnviz("export", session, "--out", tmp_path / "again")
    assert again.returncode == 3, again.stderr
    assert check_folder(tmp_path / "again")["status"] == "diverged"


def test_unwritable_export_folder_is_exit_2_with_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = rnnviz("run", "--task", "adding", "--steps", 2, *SMALL, "--export", blocker / "plots")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnviz: error:") and "plots" in lines[0]


def test_export_of_a_missing_session_is_exit_2(tmp_path):
    result = rnnviz("export", tmp_path / "nope.npz", "--out", tmp_path / "plots")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"rnnviz: error: session file not found: {tmp_path / 'nope.npz'}"]
    assert not (tmp_path / "plots").exists()


def test_export_help_documents_the_flags_and_exit_codes():
    result = rnnviz("export", "--help")
    assert result.returncode == 0
    for text in ("SESSION", "--out", "--sample", "exit codes", "metadata.json"):
        assert text in result.stdout
    views = result.stdout.split("views: ", 1)[1].split("\n", 1)[0]
    assert views.split(", ") == _panel_order() and "gates" in views  # every view the panels define
    assert "3  the session's run had diverged (its plots are still written)" in result.stdout


def _panel_order():
    from rnnviz.gui.panels import PANEL_CLASSES

    return [cls.view_name for cls in PANEL_CLASSES]


def test_a_refused_session_leaves_no_folder(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 not really")
    result = rnnviz("export", junk, "--out", tmp_path / "new" / "plots")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "not a readable rnnviz session" in result.stderr
    assert not (tmp_path / "new").exists()
    result = rnnviz("export", tmp_path, "--out", tmp_path / "plots")
    assert result.returncode == 2 and "is a folder, not a session file" in result.stderr
    assert not (tmp_path / "plots").exists()


@pytest.mark.parametrize("sample", [4, 999, -1])  # the session's batch holds 4 sequences (SMALL: --batch 4)
def test_a_sample_outside_the_batch_is_refused(task_run, tmp_path, sample):
    _, _, session = task_run
    result = rnnviz("export", session, "--out", tmp_path / "plots", "--sample", sample)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"rnnviz: error: --sample must be between 0 and 3 (the session's last batch holds 4 sequences), "
        f"got {sample}"]
    assert not (tmp_path / "plots").exists()


def test_the_last_sample_of_the_batch_is_exported(task_run, tmp_path):
    _, run_out, session = task_run
    result = rnnviz("export", session, "--out", tmp_path / "plots", "--sample", 3)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "plots" / "hidden.csv").read_text() != (run_out / "hidden.csv").read_text()


def test_an_empty_platform_setting_still_exports_without_a_display(tmp_path):
    """``export QT_QPA_PLATFORM=`` (empty, not unset) on a machine without a display: Qt chose no
    platform, tried the display and aborted the process; exports pick the offscreen one."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = ""
    result = subprocess.run([sys.executable, "-m", "rnnviz", "run", "--task", "adding", "--length", "6",
                             "--hidden", "4", "--steps", "2", "--export", str(tmp_path / "plots")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-500:]
    assert (tmp_path / "plots" / "chain.svg").exists()
