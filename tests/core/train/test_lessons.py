"""The overfitting rule the loss panel states."""

from rnnviz.core.train.lessons import overfitting


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
