"""Each preset must tell the story its one line promises, headless and in seconds.

The numbers asserted are the presets' promises (regime, divergence, clipping, learning
against the memoryless baseline), not values copied from a run.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import UserError
from rnnviz.core.train.presets import PRESET_NAMES, PRESETS, get_preset, make_configs, preset_trainer


def run(trainer, steps: int):
    results = []
    for _ in range(steps):
        results.append(trainer.step())
        if results[-1].diverged:
            break
    return results


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_is_valid_plain_data(name):
    preset = PRESETS[name]
    model, train = make_configs(preset.model, preset.train)
    assert isinstance(model, ModelConfig) and isinstance(train, TrainConfig)
    assert preset.story and "\n" not in preset.story
    assert preset.data["kind"] in ("sample", "task")
    assert get_preset(name.upper()) is preset  # names are case-insensitive
    assert get_preset(name.lower().replace(", ", "-")) is preset  # "exploding-clipped" on a command line


def test_unknown_preset_names_the_choices():
    with pytest.raises(UserError, match="Vanishing"):
        get_preset("vanish")


def test_vanishing_gradient_dies_and_the_loss_sits_at_the_baseline():
    """README: the chain over the window below 1e-20, the loss within a few % of the baseline."""
    trainer = preset_trainer("Vanishing")
    seq_len = trainer.train_config.seq_len
    start = trainer.snapshot().diagnostics
    assert start.regime == "vanishing"
    assert start.chain[0, -1] < 1e-20  # ||dh_T/dh_0|| over the whole window (measured ~4e-27)
    assert start.horizon < seq_len // 5  # the gradient dies long before the start of the sequence
    results = run(trainer, 300)
    assert not results[-1].diverged
    baseline = trainer.source.baseline(seq_len)
    late = np.mean([r.loss for r in results[-100:]])
    assert abs(late / baseline - 1) < 0.06  # it cannot learn what it cannot see (measured +2 %)
    end = trainer.snapshot().diagnostics
    assert end.regime == "vanishing" and end.chain[0, -1] < 1e-20


def test_vanishing_stays_vanishing_as_long_as_a_person_watches():
    """At ~900 steps/s in the window, 2000 steps is two seconds: the story must still hold."""
    trainer = preset_trainer("Vanishing")
    run(trainer, 2000)
    late = trainer.snapshot().diagnostics
    assert late.sigma_max[0] < 0.6  # the scale the preset promises, not grown by training
    assert late.regime == "vanishing" and late.horizon < trainer.train_config.seq_len // 5


def test_after_a_divergence_the_view_is_the_last_finite_state_and_says_so():
    trainer = preset_trainer("Exploding")
    results = run(trainer, PRESETS["Exploding"].steps)
    assert results[-1].diverged and trainer.status == "diverged"
    assert trainer.divergence.startswith(f"step {results[-1].step}")
    for name, value in trainer.model.params.items():  # nothing non-finite was applied
        assert np.all(np.isfinite(value)), name
    snapshot = trainer.snapshot()
    assert np.isfinite(snapshot.grad_hidden).all() and np.isfinite(snapshot.hidden).all()
    assert snapshot.note.startswith("last finite state")
    assert np.isfinite(snapshot.diagnostics.chain).all()
    trainer.rollback()
    assert trainer.snapshot().note == ""  # back at a network whose pass is finite


@pytest.mark.slow
def test_lstm_learns_the_adding_task_that_the_vanishing_net_cannot():
    """README: the LSTM's loss falls well below the baseline within 400 steps (measured 0.08x by 300)."""
    trainer = preset_trainer("LSTM")
    vanishing_horizon = preset_trainer("Vanishing").snapshot().diagnostics.horizon
    assert trainer.snapshot().diagnostics.horizon > 4 * vanishing_horizon
    start = trainer.view_data(ranking="never").connectivity.by_distance
    results = run(trainer, PRESETS["LSTM"].steps)
    assert not results[-1].diverged
    baseline = trainer.source.baseline(trainer.train_config.seq_len)
    assert np.mean([r.loss for r in results[-50:]]) < 0.3 * baseline
    # and its connectivity band widens as it learns: distance 40 against 0, measured 6.9e-3 -> 1.13
    end = trainer.view_data(ranking="never").connectivity.by_distance
    assert end[40] / end[0] > 0.1 and end[40] / end[0] > 30 * start[40] / start[0]
