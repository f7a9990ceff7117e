"""Sessions: a saved run resumes bitwise; bad files give a clear SessionError and change nothing."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from rnnviz.core.train import session
from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import SessionError
from rnnviz.core.train.history import SERIES
from rnnviz.core.train.trainer import Trainer
from tests.core.fake_sources import ExplodingSource, FakeText

TRAIN = TrainConfig(batch_size=4, seq_len=8, val_every=3, diag_every=2, checkpoint_every=4)


def text_trainer(cell="tanh"):
    return Trainer(FakeText(), ModelConfig(hidden_size=10, cell=cell), TRAIN)


def assert_same_run(a: Trainer, b: Trainer):
    assert a.step_count == b.step_count and a.status == b.status and a.loss_smooth == b.loss_smooth
    for name in a.model.params:
        np.testing.assert_array_equal(a.model.params[name], b.model.params[name])
    for key, value in a.optimizer.state_arrays().items():
        np.testing.assert_array_equal(b.optimizer.state_arrays()[key], value)
    for name in SERIES:
        for x, y in zip(a.history.series(name), b.history.series(name)):
            np.testing.assert_array_equal(x, y)
    for x, y in zip(a.history.flow(), b.history.flow()):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("cell", ["tanh", "lstm"])  # the LSTM carries a pair of states
def test_resumed_run_continues_bitwise(tmp_path, cell):
    path = tmp_path / "run.npz"
    straight = text_trainer(cell)
    straight.run(9)
    session.save(straight, path)
    expected = [straight.step().loss for _ in range(9)]
    resumed = session.load(path, source=FakeText())
    assert resumed.step_count == 9 and resumed.source.get_state() == {"cursor": (9 * 8) % ((FakeText().ids.size - 1) // 4)}
    assert [resumed.step().loss for _ in range(9)] == expected
    assert_same_run(straight, resumed)
    # a snapshot works at once after loading (the last batch, through the saved weights)
    assert session.load(path, source=FakeText()).snapshot(1).hidden.shape == (8, 1, 10)


def test_a_task_session_rebuilds_its_data(tmp_path):
    tasks = pytest.importorskip("rnnviz.core.data.tasks")
    spec = {"kind": "task", "name": "adding", "length": 8, "seed": 3}
    model = ModelConfig(hidden_size=6, cell="relu", init="identity")
    straight = Trainer(tasks.make_task("adding", length=8, seed=3), model, TrainConfig(batch_size=4),
                       source_spec=spec)
    straight.run(5)
    session.save(straight, tmp_path / "task.npz")
    expected = [straight.step().loss for _ in range(5)]  # depends on the generator's state
    resumed = session.load(tmp_path / "task.npz")
    assert resumed.source_spec == spec and resumed.source.name == straight.source.name
    assert [resumed.step().loss for _ in range(5)] == expected


def test_reset_after_loading_goes_back_to_the_true_start(tmp_path):
    fresh = text_trainer()
    first = [fresh.step().loss for _ in range(3)]
    fresh.run(4)
    session.save(fresh, tmp_path / "s.npz")
    resumed = session.load(tmp_path / "s.npz", source=FakeText())
    resumed.reset()
    assert [resumed.step().loss for _ in range(3)] == first


def test_a_diverged_run_is_saved_as_diverged(tmp_path):
    trainer = Trainer(ExplodingSource(blow_up_at_call=3), ModelConfig(hidden_size=4), TrainConfig(batch_size=2))
    assert trainer.run(10).diverged
    session.save(trainer, tmp_path / "d.npz")
    loaded = session.load(tmp_path / "d.npz", source=ExplodingSource(blow_up_at_call=3))
    assert loaded.status == "diverged" and loaded.divergence == trainer.divergence
    assert loaded.divergence.startswith("step 3: ") and loaded.step_count == 2


def test_file_is_plain_npz_without_pickles(tmp_path):
    trainer = text_trainer()
    trainer.run(2)
    path = session.save(trainer, tmp_path / "plain.npz")
    with np.load(path, allow_pickle=False) as npz:
        metadata = json.loads(str(npz["metadata"]))
        assert "param/weight_hh_l0" in npz.files
    assert metadata["format"] == session.FORMAT and metadata["version"] == 1  # no unit held: the oldest format that says it
    assert metadata["model_config"]["hidden_size"] == 10 and metadata["step"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["plain.npz"]  # no temporary left behind


def write_damaged(tmp_path, kind):
    good = tmp_path / "good.npz"
    trainer = text_trainer()
    trainer.run(3)
    session.save(trainer, good)
    bad = tmp_path / f"{kind}.npz"
    if kind == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "foreign":
        np.savez(bad, weights=np.ones(3))
    elif kind == "text":
        bad.write_text("hello, I am not a session\n")
    elif kind in ("newer", "other-format", "wrong-shape"):
        with np.load(good, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        metadata = json.loads(str(arrays["metadata"]))
        if kind == "newer":
            metadata["version"] = session.FORMAT_VERSION + 1
        elif kind == "other-format":
            metadata["format"] = "something-else"
        else:
            arrays["param/weight_hh_l0"] = np.zeros((3, 3))
        arrays["metadata"] = np.array(json.dumps(metadata))
        np.savez(bad, **arrays)
    return bad


@pytest.mark.parametrize("kind, message", [
    ("truncated", "truncated"), ("foreign", "not an rnnviz session"), ("text", "not a readable"),
    ("newer", "newer rnnviz"), ("other-format", "not an rnnviz session"), ("wrong-shape", "weight_hh_l0"),
])
def test_bad_files_raise_a_clear_error_and_change_nothing(tmp_path, kind, message):
    bad = write_damaged(tmp_path, kind)
    source = FakeText()
    source.set_state({"cursor": 17})
    with pytest.raises(SessionError, match=message):
        session.load(bad, source=source)
    assert source.get_state() == {"cursor": 17}


def test_missing_file():
    with pytest.raises(SessionError, match="no such session file"):
        session.load("/nonexistent/run.npz")


def test_unwritable_folder_and_failed_write_leave_no_trace(tmp_path, monkeypatch):
    trainer = text_trainer()
    with pytest.raises(SessionError, match="cannot write the session"):
        session.save(trainer, tmp_path / "no-such-folder" / "run.npz")
    path = tmp_path / "run.npz"
    session.save(trainer, path)
    before = path.read_bytes()
    trainer.run(2)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(SessionError, match="No space left"):
        session.save(trainer, path)
    assert path.read_bytes() == before  # the old session is whole
    assert os.listdir(tmp_path) == ["run.npz"]
