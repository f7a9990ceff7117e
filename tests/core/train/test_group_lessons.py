"""The comparisons the README tells, asserted on the numbers a group of each shape produces: an
encoder-decoder learns its copy once its fork reads the source reversed, and the future marker
needs a backward direction (the one-way run stays on its memoryless baseline)."""

from __future__ import annotations

from rnnviz.core.train.group import RunGroup
from rnnviz.core.train.presets import preset_trainer


def test_reversing_the_source_is_what_lets_the_copy_through_the_context():
    group = RunGroup(preset_trainer("Seq2seq, source forward"))
    group.fork(reverse_source=True)
    group.step_all(300)
    forward, reversed_ = (o.final_losses[0] for o in group.overlays())
    baseline = group.members[0].trainer.source.baseline(24)
    assert forward > 0.9 * baseline  # measured 24.11 against 24.95
    assert reversed_ < 0.7 * forward  # measured 15.55


def test_the_future_marker_needs_the_backward_direction():
    group = RunGroup(preset_trainer("Future marker, one way"))
    group.fork(bidirectional=True)
    group.step_all(150)
    one_way, both = group.overlays()
    baseline = group.members[0].trainer.source.baseline(20)
    assert one_way.final_losses[0] > 0.95 * baseline  # measured 10.75 against 10.54
    assert both.final_losses[0] < 0.01 * baseline  # measured 0.0076
    assert both.shape == "bidirectional" and [c.name for c in both.profiles] == ["forward", "backward"]
