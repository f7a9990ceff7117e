"""A session keeps its roll-back points and its data file's fingerprint."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.data.files import load_path
from rnnviz.core.train import session
from rnnviz.core.train.trainer import Trainer
from tests.core.fake_sources import ExplodingSource, FakeText


def test_a_loaded_run_rolls_back_exactly_as_the_run_that_saved_it(tmp_path):
    config = TrainConfig(batch_size=4, seq_len=8, checkpoint_every=3)
    straight = Trainer(FakeText(), ModelConfig(hidden_size=6, cell="lstm"), config)
    straight.run(8)  # roll-back points at steps 0, 3 and 6
    session.save(straight, tmp_path / "run.npz")
    loaded = session.load(tmp_path / "run.npz", source=FakeText())
    for _ in range(2):  # back to 6, then further back to 3
        assert loaded.rollback() == straight.rollback()
        for name, value in straight.model.params.items():
            np.testing.assert_array_equal(loaded.model.params[name], value)
        assert loaded.loss_smooth == straight.loss_smooth
    # and from there the two runs continue bitwise alike
    assert [loaded.step().loss for _ in range(4)] == [straight.step().loss for _ in range(4)]


def test_a_diverged_session_can_be_rolled_back_after_loading(tmp_path):
    trainer = Trainer(ExplodingSource(blow_up_at_call=6), ModelConfig(hidden_size=4),
                      TrainConfig(batch_size=2, checkpoint_every=2))
    assert trainer.run(10).diverged and trainer.step_count == 5
    session.save(trainer, tmp_path / "d.npz")
    loaded = session.load(tmp_path / "d.npz", source=ExplodingSource(blow_up_at_call=6))
    assert loaded.status == "diverged" and loaded.rollback() == 4 and loaded.status == "ready"


def test_resuming_after_the_data_file_changed_is_refused_unless_allowed(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 20)
    spec = {"kind": "file", "path": str(text), "level": None, "encoding": "utf-8"}
    trainer = Trainer(load_path(text), ModelConfig(hidden_size=4), TrainConfig(batch_size=2, seq_len=6),
                      source_spec=spec)
    trainer.run(2)
    session.save(trainer, tmp_path / "run.npz")
    assert session.load(tmp_path / "run.npz").step_count == 2  # unchanged: fine
    text.write_text("the quick brown fox jumps over the lazy god. " * 20)  # same letters, other text
    with pytest.raises(session.DataChangedError, match="has changed since run.npz was saved"):
        session.load(tmp_path / "run.npz")
    assert session.load(tmp_path / "run.npz", allow_changed_data=True).step_count == 2


def test_saving_over_a_private_session_through_a_symlink_keeps_both(tmp_path):
    import os
    import stat

    trainer = Trainer(FakeText(), ModelConfig(hidden_size=4), TrainConfig(batch_size=2, seq_len=4))
    real = tmp_path / "runs" / "run.npz"
    real.parent.mkdir()
    session.save(trainer, real)
    real.chmod(0o600)  # once world-readable after every save
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    trainer.run(2)
    session.save(trainer, link)
    assert link.is_symlink() and stat.S_IMODE(real.stat().st_mode) == 0o600
    assert session.load(link, source=FakeText()).step_count == 2 and os.listdir(real.parent) == ["run.npz"]
