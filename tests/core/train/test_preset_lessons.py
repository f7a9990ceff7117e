"""The Exploding, clipping and IRNN lessons, asserted from the numbers one run of each produces.

One trained run per preset (module-scoped), shared by its assertions: the suite stays fast.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.train import lessons
from rnnviz.core.train.presets import PRESETS, preset_trainer

CLIPPED_STEPS = 1000  # nine decades down within 120 steps, below the baseline by ~600
IRNN_STEPS = 1000  # the loss leaves the baseline after ~800 steps and is below half of it by ~950


def train(name: str, steps: int):
    trainer = preset_trainer(name)
    start = trainer.snapshot().diagnostics
    results = []
    for _ in range(steps):
        results.append(trainer.step())
        if results[-1].diverged:
            break
    return trainer, start, results


@pytest.fixture(scope="module")
def exploding():
    return train("Exploding", PRESETS["Exploding"].steps)


@pytest.fixture(scope="module")
def clipped():
    return train("Exploding, clipped", CLIPPED_STEPS)


@pytest.fixture(scope="module")
def irnn():
    return train("IRNN", IRNN_STEPS)


def test_the_exploding_gradient_norm_doubles_step_after_step_for_thirty_steps(exploding):
    """README: ‖∇‖ climbs steadily, about x2 per step, by more than six decades over the first 30
    updates (measured 8.6 decades, each step x1.3 to x2.5), as the loss doubles with it."""
    _, _, results = exploding
    norms = np.log10([r.grad_norm for r in results[:30]])  # (30,)
    assert norms[-1] - norms[0] > 7  # more than six decades, with margin (measured 8.6)
    steps = np.diff(norms)  # (29,) decades per step
    assert steps.min() > 0.05 and steps.max() < 0.6  # a steady climb: no step flat, none a cliff
    assert 1.7 < 10 ** np.median(steps) < 2.5  # about x2 per step (measured x2.04)
    loss = np.array([r.loss for r in results[:30]])  # (30,)
    assert 1.7 < np.median(loss[1:] / loss[:-1]) < 2.5  # the read-out overshoots by more each step


def test_the_exploding_profile_rises_towards_the_first_step_all_along(exploding):
    """‖∂L/∂h_t‖ at the first step is 1.1^49 ~ 107 times the last step's, at the start and at every
    recorded step of the climb: the chain of W_hh (every singular value 1.1) carries it back."""
    trainer, start, _ = exploding
    assert start.regime == "exploding"
    steps, flow = trainer.history.flow()  # (N,), (N, T) batch-mean ||dL/dh_t|| every diag_every steps
    assert len(steps) >= 4 and steps[-1] >= 30
    ratio = flow[:, 0] / flow[:, -1]  # (N,)
    assert np.all(ratio > 50)  # measured 107 at every recorded step
    assert flow[-1, -1] > 1e6 * flow[0, -1]  # and the whole profile climbed with the error


def test_exploding_ends_in_a_divergence_after_the_climb_not_at_its_start(exploding):
    trainer, _, results = exploding
    last = results[-1]
    assert last.diverged and trainer.status == "diverged"  # the window raises its banner on this
    assert 30 < last.step <= 60  # measured step 38 (seeds 1 and 2: steps 34 and 36)
    assert trainer.divergence.startswith(f"step {last.step}:")
    assert all(np.isfinite(value).all() for value in trainer.model.params.values())


def test_clipping_keeps_the_raw_norm_far_above_the_threshold_and_the_applied_one_on_it(clipped):
    trainer, _, results = clipped
    threshold = trainer.train_config.clip_threshold
    before = np.array([r.grad_norm for r in results[:120]])  # (120,) raw global norms
    after = np.array([r.clipped_norm for r in results[:120]])  # (120,) what the update used
    assert len(results) == CLIPPED_STEPS and not results[-1].diverged
    assert before.min() > 50 * threshold  # the explosion does not go away (measured min 159 x threshold)
    assert before[0] > 1e9 * threshold  # ~4e12 at the first step: the chain of 2s over 50 steps
    np.testing.assert_allclose(after, threshold, rtol=1e-9)  # every update sits exactly on it


def test_clipping_brings_the_loss_down_by_many_decades_then_below_the_baseline(clipped):
    trainer, _, results = clipped
    loss = np.array([r.loss for r in results])  # (N,)
    baseline = trainer.source.baseline(trainer.train_config.seq_len)
    assert loss[:10].mean() > 1e8 * baseline  # it starts at ~5e10 x the baseline
    assert loss[100:120].mean() < 1e-6 * loss[:10].mean()  # measured 6e-11 by steps 101-120
    assert loss[-100:].mean() < 0.6 * baseline  # README: measured 0.42 x over steps 901-1000
    assert all(np.isfinite(value).all() for value in trainer.model.params.values())


def test_the_irnn_gradient_reaches_the_first_step_and_stays_there(irnn):
    trainer, start, results = irnn
    seq_len = trainer.train_config.seq_len
    assert start.regime == "stable" and start.horizon == seq_len - 1
    assert not results[-1].diverged
    late = trainer.snapshot().diagnostics
    assert late.regime == "stable" and late.horizon >= seq_len - 5
    profile = trainer.snapshot().grad_hidden_mean[:, 0]  # (T,) batch-mean ||dL/dh_t||
    assert profile[0] > 0.05 * profile.max()  # the first input still gets a twentieth of the peak
    assert start.growth > 0.9  # about 0.92 per step: neither vanishing nor exploding


def test_the_irnn_loss_sits_on_the_baseline_then_falls_below_half_of_it(irnn):
    trainer, _, results = irnn
    ratio = np.array([r.loss for r in results]) / trainer.source.baseline(trainer.train_config.seq_len)  # (N,)
    assert len(results) == IRNN_STEPS
    assert 0.9 < ratio[50:500].mean() < 1.1  # the plateau: the mean answer (measured ~1.0)
    assert ratio[-50:].mean() < 0.5  # measured 0.35 over steps 951-1000


def test_a_vanishing_badge_beside_a_full_horizon_is_explained_only_with_a_loss_at_every_step():
    assert lessons.badge_note("vanishing", 49, 50, 50) != ""
    assert lessons.badge_note("vanishing", 49, 50, 1) == ""  # one scored step: nothing feeds early h_t
    assert lessons.badge_note("vanishing", 3, 50, 50) == ""  # a short horizon agrees with the badge
    assert lessons.badge_note("exploding", 49, 50, 50) == ""
    assert lessons.badge_note("vanishing", float("nan"), 50, 50) == ""
