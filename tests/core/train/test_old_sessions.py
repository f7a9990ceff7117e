"""Sessions written by an earlier rnnviz still load, and continue bitwise as they did then.

The files in tests/fixtures/sessions were written by rnnviz 0.x at commit e733066 (before the
layered layout), with ``rnnviz run --task ... --save NAME.npz`` and then
``rnnviz run --resume NAME.npz --steps N --save NAME_continued.npz``: a tiny tanh network on
the adding problem (Adam) and a tiny LSTM on copy memory (RMSprop, norm clipping). Today's
code must load the first file and, trained the same number of steps, reach exactly the state
the old version saved in the second.
"""

from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.train import session

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sessions"
CASES = [("tanh_adding", 5), ("lstm_copy", 4)]  # (file stem, steps the old version trained on)


@pytest.mark.parametrize("stem, more", CASES)
def test_an_old_session_resumes_bitwise_as_the_old_version_did(stem, more):
    trainer = session.load(FIXTURES / f"{stem}.npz")
    old_meta, old_arrays = session.read(FIXTURES / f"{stem}_continued.npz")
    assert trainer.step_count + more == old_meta["step"]
    trainer.run(more)
    assert trainer.step_count == old_meta["step"]
    assert trainer.status == "finished" == old_meta["status"]
    assert trainer.loss_smooth == old_meta["loss_smooth"]
    assert trainer.rng.bit_generator.state == old_meta["rng"]
    for name, value in trainer.model.params.items():
        assert np.array_equal(value, old_arrays[f"param/{name}"]), name
    for key, value in trainer.optimizer.state_arrays().items():
        assert np.array_equal(value, old_arrays[f"optim/{key}"]), key
    history = trainer.history.to_arrays()
    old_history = {k[len("history/"):]: v for k, v in old_arrays.items() if k.startswith("history/")}
    assert sorted(history) == sorted(old_history)
    for key, value in history.items():
        assert np.array_equal(value, old_history[key], equal_nan=True), key


@pytest.mark.parametrize("stem, _", CASES)
def test_an_old_session_saved_again_reads_back_the_same(stem, _, tmp_path):
    trainer = session.load(FIXTURES / f"{stem}.npz")
    again = session.load(session.save(trainer, tmp_path / "again.npz"))
    for name, value in trainer.model.params.items():
        assert np.array_equal(value, again.model.params[name])
    assert again.step_count == trainer.step_count and again.source_spec == trainer.source_spec
