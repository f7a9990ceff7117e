"""The overfitting rule the loss panel states."""

from rnnviz.core.train.lessons import overfitting


def test_validation_rising_while_training_falls_is_overfitting():
    val_steps = [50, 100, 150, 200, 250]
    val = [2.0, 1.5, 1.4, 1.6, 1.8]  # minimum at 150, now 29 % above it
    steps = list(range(1, 251))
    train = [3.0 - s / 100 for s in steps]  # falling all along
    best, rise = overfitting(val_steps, val, steps, train)
    assert best == 150 and abs(rise - (1.8 / 1.4 - 1)) < 1e-12


def test_no_note_when_both_rise_or_the_rise_is_small_or_too_early():
    steps = list(range(1, 251))
    falling = [3.0 - s / 100 for s in steps]
    assert overfitting([50, 100, 150, 200, 250], [2.0, 1.5, 1.4, 1.45, 1.5], steps, falling) is None  # +7 %
    rising = [1.0 + s / 100 for s in steps]
    assert overfitting([50, 100, 150, 200, 250], [2.0, 1.5, 1.4, 1.6, 1.8], steps, rising) is None
    assert overfitting([50, 100, 150], [2.0, 1.4, 1.8], steps[:150], falling[:150]) is None  # too few points
