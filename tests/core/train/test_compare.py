"""The tanh twin: trained on the same data with the same seeds, so that the only difference
left in the comparison is the cell; its gradient profile on a shared batch; and the issue's
claim that an LSTM keeps a longer gradient horizon than that twin."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.diagnostics import summary as diagnostics
from rnnviz.core.train.compare import MAX_TWIN_STEPS, compare_with_tanh, tanh_twin
from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import UserError
from rnnviz.core.train.presets import get_preset, make_trainer
from rnnviz.core.train.trainer import Trainer
from tests.core.fake_sources import FakeAdding

SMALL_TASK = {"kind": "task", "name": "adding", "length": 20}  # short sequences: each test in ~0.1 s
SMALL_MODEL = {"hidden_size": 8, "seed": 3, "init_scale": 1.0}
SMALL_TRAIN = {"optimizer": "adam", "lr": 1e-2, "batch_size": 8, "seed": 5, "steps": 10**6}


def small_trainer(cell: str, steps: int = 0):
    trainer = make_trainer({**SMALL_MODEL, "cell": cell}, SMALL_TRAIN, SMALL_TASK)
    trainer.run(steps)
    return trainer


def test_a_tanh_run_and_its_twin_are_the_same_network():
    """Everything but the cell is shared: for a tanh run the twin retraces it exactly."""
    trainer = small_trainer("tanh", steps=12)
    result = compare_with_tanh(trainer)
    assert result.twin_steps == result.steps == 12 and not result.capped and result.twin_status == "finished"
    np.testing.assert_array_equal(result.twin_profile, result.profile)
    assert result.twin_loss == result.loss
    twin = tanh_twin(trainer)
    twin.run(12)
    for name, value in trainer.model.params.items():
        np.testing.assert_array_equal(twin.model.params[name], value, err_msg=name)


def test_same_seed_gives_the_same_twin_and_a_gated_run_differs_from_it():
    trainer = small_trainer("lstm", steps=6)
    first, second = compare_with_tanh(trainer), compare_with_tanh(trainer)
    np.testing.assert_array_equal(first.twin_profile, second.twin_profile)
    assert first.twin_horizon == second.twin_horizon
    assert first.cell == "lstm" and first.profile.shape == first.twin_profile.shape == (20,)
    assert not np.allclose(first.profile, first.twin_profile)  # two different networks


def test_profiles_are_the_batch_mean_gradient_norms_and_horizons_follow_them():
    trainer = small_trainer("gru", steps=4)
    result = compare_with_tanh(trainer)
    inputs, targets = trainer.source.validation_batch(8, 20)
    _, _, trace = trainer.model.loss_and_grads(inputs, targets)
    expected = np.linalg.norm(trace.grad_hidden[:, -1], axis=-1).mean(axis=1)  # (T,)
    np.testing.assert_allclose(result.profile, expected, rtol=1e-12)
    assert result.horizon == diagnostics.gradient_horizon(expected)
    assert result.twin_horizon == diagnostics.gradient_horizon(result.twin_profile)


def test_comparing_leaves_the_run_untouched():
    compared, untouched = small_trainer("lstm", steps=3), small_trainer("lstm", steps=3)
    compare_with_tanh(compared)
    assert compared.step().loss == untouched.step().loss  # same weights, same next batch


def test_the_twin_is_capped_reports_progress_and_can_be_stopped():
    trainer = small_trainer("tanh", steps=9)
    seen = []
    result = compare_with_tanh(trainer, max_steps=4, progress=lambda done, total: seen.append((done, total)))
    assert result.capped and result.twin_steps == 4 and result.steps == 9
    assert seen == [(k, 4) for k in range(1, 5)]
    stopped = compare_with_tanh(trainer, should_stop=lambda: True)
    assert stopped.twin_status == "stopped" and stopped.twin_steps == 1
    assert MAX_TWIN_STEPS >= 100  # the window promises "up to the run's own length" for short runs
    with pytest.raises(UserError):
        compare_with_tanh(trainer, max_steps=-1)


def test_a_source_without_a_spec_is_copied_and_rewound():
    source = FakeAdding()
    trainer = Trainer(source, ModelConfig(hidden_size=6, cell="lstm"), TrainConfig(batch_size=4, seq_len=10))
    trainer.run(3)
    result = compare_with_tanh(trainer)
    assert result.twin_steps == 3 and np.isfinite(result.twin_profile).all()


def test_lstm_keeps_a_longer_horizon_than_its_tanh_twin_on_adding_t50():
    """The comparison's claim, on the LSTM preset (adding, T = 50) after 60 steps. Measured on this
    seed: the LSTM reaches back 16 steps, the tanh twin 9 (at 40 steps: 15 and 9)."""
    preset = get_preset("LSTM")
    trainer = make_trainer(preset.model, preset.train, preset.data)
    trainer.run(60)
    result = compare_with_tanh(trainer)
    assert result.profile.shape == (50,)
    assert result.horizon > result.twin_horizon
