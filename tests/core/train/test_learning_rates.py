"""The learning rate's growth per step (a range test) and the read-out layer's own rate:
validated, applied exactly by every update rule, recorded per step, saved with the session."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.train import session
from rnnviz.core.train.trainer import Trainer
from tests.core.fake_sources import FakeAdding

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sessions"


def trainer(**train) -> Trainer:
    settings = {"batch_size": 4, "seq_len": 6, "optimizer": "sgd", "lr": 0.01, **train}
    return Trainer(FakeAdding(6), ModelConfig(hidden_size=5, cell="tanh"), TrainConfig(**settings))


@pytest.mark.parametrize("field, value", [("lr_growth", 0.4), ("lr_growth", 2.5), ("lr_growth", math.nan),
                                          ("lr_growth", True), ("readout_lr", 0.0), ("readout_lr", -1.0),
                                          ("readout_lr", math.inf), ("readout_lr", "1")])
def test_bad_rates_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_the_defaults_keep_one_constant_rate():
    config = TrainConfig()
    assert config.lr_growth == 1.0 and config.readout_lr is None
    run = trainer()
    assert run.rate(1) == run.rate(500) == 0.01


def test_a_growing_rate_is_lr_times_growth_to_the_updates_made_and_each_step_records_it():
    run = trainer(lr=1e-3, lr_growth=1.5)
    assert run.rate() == run.rate(1) == 1e-3
    assert run.rate(4) == pytest.approx(1e-3 * 1.5 ** 3, rel=1e-12)
    results = [run.step() for _ in range(3)]
    assert [r.lr for r in results] == pytest.approx([1e-3, 1.5e-3, 2.25e-3], rel=1e-12)
    assert run.rate() == pytest.approx(1e-3 * 1.5 ** 3, rel=1e-12)  # the next update's


def test_sgd_moves_each_weight_by_its_own_rate_times_its_gradient():
    """Read-out weights by readout_lr x growth^(n-1), every other weight by lr x growth^(n-1)."""
    run = trainer(lr=1e-3, lr_growth=1.25, readout_lr=0.2)
    run.step()  # the rates of the second update are 1.25 x those of the first
    before = {name: value.copy() for name, value in run.model.params.items()}
    state = (run.rng.bit_generator.state, run.source.get_state())
    _, grads, _ = run.model.loss_and_grads(*run.source.train_batch(4, 6, run.rng), None)  # the next batch's
    run.rng.bit_generator.state = state[0]
    run.source.set_state(state[1])
    run.step()
    for name, value in run.model.params.items():
        rate = (0.2 if name.startswith("out.") else 1e-3) * 1.25
        np.testing.assert_allclose(before[name] - value, rate * grads[name], rtol=1e-9, atol=1e-15,
                                   err_msg=name)


def test_with_adam_the_read_out_steps_scale_exactly_with_its_rate():
    """Adam's step is proportional to its rate: a read-out rate k x lr gives read-out steps k times
    those of a run at lr, and every other step unchanged."""
    start = {name: value.copy() for name, value in trainer().model.params.items()}  # same seed, same weights
    plain, fast = trainer(optimizer="adam", lr=1e-3), trainer(optimizer="adam", lr=1e-3, readout_lr=4e-3)
    plain.step(), fast.step()
    for name in start:
        k = 4.0 if name.startswith("out.") else 1.0
        np.testing.assert_allclose(fast.model.params[name] - start[name], k * (plain.model.params[name] - start[name]),
                                   rtol=1e-9, atol=1e-18, err_msg=name)


def test_a_rate_grown_past_the_float_range_is_a_divergence_and_nothing_is_applied():
    run = trainer(lr=1.0, lr_growth=2.0)
    assert run.rate(1100) == math.inf  # 2^1099 is beyond a float
    run.step_count = 1099  # as if that many updates were made
    before = {name: value.copy() for name, value in run.model.params.items()}
    result = run.step()
    assert result.diverged and run.status == "diverged" and "overflowed" in result.divergence
    for name, value in run.model.params.items():
        assert np.array_equal(value, before[name]), name


def test_the_rates_are_saved_with_the_session_and_resume_bitwise(tmp_path):
    run = trainer(lr=1e-3, lr_growth=1.1, readout_lr=0.05)
    run.run(3)
    path = session.save(run, tmp_path / "rates.npz")
    loaded = session.load(path, source=FakeAdding(6))
    assert loaded.train_config.lr_growth == 1.1 and loaded.train_config.readout_lr == 0.05
    assert loaded.rate() == run.rate()
    run.run(2), loaded.run(2)
    for name, value in run.model.params.items():
        assert np.array_equal(value, loaded.model.params[name]), name


def test_a_session_from_before_the_rates_loads_with_one_constant_rate():
    old = session.load(FIXTURES / "tanh_adding.npz")
    assert old.train_config.lr_growth == 1.0 and old.train_config.readout_lr is None
    assert old.rate(10_000) == old.train_config.lr


@pytest.mark.parametrize("field, value", [("lr_growth", 5.0), ("lr_growth", "fast"), ("readout_lr", -1.0),
                                          ("readout_lr", [1.0])])
def test_a_session_with_a_bad_rate_is_refused_naming_it(field, value, tmp_path):
    import io
    import json
    import zipfile

    from rnnviz.core.errors import SessionError

    run = trainer(lr=1e-3, lr_growth=1.1, readout_lr=0.05)
    run.run(2)
    path = session.save(run, tmp_path / "rates.npz")
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    metadata = json.loads(str(np.lib.format.read_array(io.BytesIO(members["metadata.npy"]))))
    metadata["train_config"][field] = value
    stream = io.BytesIO()
    np.lib.format.write_array(stream, np.array(json.dumps(metadata)), allow_pickle=False)
    members["metadata.npy"] = stream.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(SessionError, match=field):
        session.load(path, source=FakeAdding(6))
