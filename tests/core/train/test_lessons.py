"""The overfitting rule the loss panel states."""

import numpy as np

from rnnviz.core.train.lessons import overfitting, scatter


def test_validation_rising_while_training_falls_is_overfitting():
    val_steps = [50, 100, 150, 200, 250, 300, 350]
    val = [2.0, 1.5, 1.4, 1.4, 1.6, 1.8, 2.0]  # 3-point means 1.63 1.43 1.47 1.6 1.8: minimum ending at 150
    steps = list(range(1, 351))
    train = [1.5 - s / 1000 for s in steps]  # falling all along, below the validation
    best, rise = overfitting(val_steps, val, steps, train)
    assert best == 150 and abs(rise - (1.8 / (4.3 / 3) - 1)) < 1e-12


def test_no_note_when_both_rise_or_the_rise_is_small_or_too_early():
    steps = list(range(1, 351))
    val_steps = [50, 100, 150, 200, 250, 300, 350]
    falling = [1.5 - s / 1000 for s in steps]
    assert overfitting(val_steps, [2.0, 1.5, 1.4, 1.4, 1.45, 1.5, 1.55], steps, falling) is None  # +5 %
    rising = [1.0 + s / 1000 for s in steps]
    assert overfitting(val_steps, [2.0, 1.5, 1.4, 1.4, 1.6, 1.8, 2.0], steps, rising) is None
    high_train = [3.0 - s / 1000 for s in steps]  # validation below training: a noisy task, not overfitting
    assert overfitting(val_steps, [2.0, 1.5, 1.4, 1.4, 1.6, 1.8, 2.0], steps, high_train) is None
    assert overfitting([50, 100, 150], [2.0, 1.4, 1.8], steps[:150], falling[:150]) is None  # too few points


def test_a_noisy_validation_with_a_flat_training_loss_is_not_overfitting():
    """Both curves flat, the validation scattering by ~10 % per point (an encoder-decoder
    generating waveforms): the lowest 3-point mean of many sits far below the last one."""
    rng = np.random.default_rng(0)
    val_steps = np.arange(50, 3501, 50, dtype=float)  # (70,)
    val = 0.45 * (1 + 0.15 * rng.standard_normal(val_steps.size))
    steps = np.arange(1, 3501, dtype=float)
    train = 0.44 - steps * 1e-6  # drifting down by 1 % over the run
    assert scatter(val) > 0.05
    assert overfitting(val_steps, val, steps, train) is None
    # the same scatter on a validation that really climbs by 60 % while training falls 20 %
    climbing = val * np.linspace(1.0, 1.6, val_steps.size)
    assert overfitting(val_steps, climbing, steps, 0.44 - steps * 2.5e-5) is not None


def test_scatter_is_the_median_wobble_around_three_point_means():
    assert scatter(np.array([1.0, 1.0, 1.0, 1.0])) == 0.0
    assert abs(scatter(np.array([1.0, 2.0, 1.0])) - (2.0 / (4 / 3) - 1)) < 1e-12
    assert scatter(np.array([1.0, 2.0])) == 0.0
