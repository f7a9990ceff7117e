"""``rnnviz run`` with the new shapes: labelled text, --bidirectional, and what is refused."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import rnnviz
from tests.cli.test_run import rnnviz as run_rnnviz

REVIEWS = str(Path(rnnviz.__file__).parent / "assets" / "reviews.tsv")


def test_bidirectional_classifier_trains_saves_exports_and_resumes(tmp_path):
    done = run_rnnviz("--data", REVIEWS, "--bidirectional", "--hidden", "8", "--batch", "8", "--steps", "6",
                      "--save", str(tmp_path / "run.npz"), "--export", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "finished: 6 steps on labelled: reviews.tsv" in done.stdout
    metadata = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert metadata["shape"] == "bidirectional" and metadata["parts"] == ["forward", "backward"]
    assert set(metadata["diagnostics"]["parts"]) == {"forward", "backward"}
    with open(tmp_path / "out" / "gradients.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {row["part"] for row in rows} == {"forward", "backward"}
    assert "<pad>" not in {row["token"] for row in rows}  # the sample's plots end at its last word
    again = run_rnnviz("--resume", str(tmp_path / "run.npz"), "--steps", "2")
    assert again.returncode == 0, again.stderr
    assert "finished: 8 steps" in again.stdout


def test_bidirectional_on_next_token_text_is_refused(tmp_path):
    done = run_rnnviz("--bidirectional", "--steps", "1", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("rnnviz: error: ") and done.stderr.count("\n") == 1
    assert "would see the answer" in done.stderr


def test_a_bad_labelled_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("pos\tgood thing\nneg\tbad thing\nno label on this line\n", encoding="utf-8")
    done = run_rnnviz("--data", str(path), "--steps", "1")
    assert done.returncode == 2
    assert "bad.txt, line 3: no label" in done.stderr and "Traceback" not in done.stderr


def test_encoder_decoder_trains_exports_and_resumes(tmp_path):
    done = run_rnnviz("--task", "bottleneck", "--length", "5", "--arch", "seq2seq", "--context", "both",
                      "--reverse-source", "--decoder-hidden", "6", "--decoder-cell", "gru", "--hidden", "4",
                      "--batch", "4", "--steps", "4", "--save", str(tmp_path / "run.npz"),
                      "--export", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    metadata = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert metadata["shape"] == "encoder-decoder" and metadata["parts"] == ["encoder", "decoder"]
    assert metadata["model_config"]["decoder_cell"] == "gru" and metadata["model_config"]["reverse_source"]
    again = run_rnnviz("--resume", str(tmp_path / "run.npz"), "--steps", "1")
    assert again.returncode == 0, again.stderr
    refused = run_rnnviz("--task", "reverse", "--steps", "1")
    assert refused.returncode == 2 and "--arch seq2seq" in refused.stderr
    bad = run_rnnviz("--task", "reverse", "--arch", "seq2seq", "--context", "sideways", "--steps", "1")
    assert bad.returncode == 2 and bad.stderr.startswith("rnnviz: error: ") and "--context" in bad.stderr


def test_vector_to_sequence_trains_and_exports_the_codes_gradient(tmp_path):
    done = run_rnnviz("--task", "waveform", "--length", "6", "--arch", "vec2seq", "--context", "both",
                      "--hidden", "4", "--batch", "4", "--steps", "3", "--export", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    metadata = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert metadata["shape"] == "vector-to-sequence"
    with open(tmp_path / "out" / "gradients.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert sum(row["layer"] == "code vector" for row in rows) == 6
    refused = run_rnnviz("--task", "waveform", "--steps", "1")
    assert refused.returncode == 2 and "--arch vec2seq" in refused.stderr
