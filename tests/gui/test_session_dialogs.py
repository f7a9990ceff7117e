"""The window opens hostile or outdated sessions with a dialog, never a traceback, and keeps its run."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from PyQt6.QtWidgets import QMessageBox

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.data.files import load_path
from rnnviz.core.train import session
from rnnviz.core.train.trainer import Trainer


def saved_text_run(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 20)
    spec = {"kind": "file", "path": str(text), "level": None, "encoding": "utf-8"}
    trainer = Trainer(load_path(text), ModelConfig(hidden_size=4), TrainConfig(batch_size=2, seq_len=6),
                      source_spec=spec)
    trainer.run(2)
    return session.save(trainer, tmp_path / "run.npz"), text


def test_a_session_declaring_a_huge_network_gets_a_dialog(make_window, dialogs, tmp_path):
    path, _ = saved_text_run(tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    metadata = json.loads(str(np.lib.format.read_array(io.BytesIO(members["metadata.npy"]))))
    metadata["model_config"].update(hidden_size=4096, num_layers=8)
    stream = io.BytesIO()
    np.lib.format.write_array(stream, np.array(json.dumps(metadata)))
    members["metadata.npy"] = stream.getvalue()
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    window = make_window()
    before = window.data_choice
    assert window.open_session(str(tmp_path / "huge.npz")) is False
    assert dialogs[-1][0] == "Open session" and "param/" in dialogs[-1][1] and "need (4096" in dialogs[-1][1]
    assert window.data_choice == before


def test_a_session_whose_data_changed_asks_before_opening(make_window, dialogs, tmp_path, monkeypatch):
    path, text = saved_text_run(tmp_path)
    text.write_text("the quick brown fox jumps over the lazy god. " * 20)
    asked = []
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda parent, title, text, *rest: asked.append(text) or next(answers)))
    window = make_window()
    assert window.open_session(str(path)) is False  # "No": the current run stays
    assert window.open_session(str(path)) is True  # "Yes": opened on the changed data
    assert len(asked) == 2 and "has changed since run.npz was saved" in asked[0]
    assert not dialogs
