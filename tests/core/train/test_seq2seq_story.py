"""The encoder-decoder's tasks and presets: the reversal trick, asserted on the numbers it produces."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core.data.seq2seq_tasks import GO
from rnnviz.core.data.tasks import make_task
from rnnviz.core.errors import UserError
from rnnviz.core.train.presets import SEQ2SEQ_S, make_trainer, preset_trainer


@pytest.mark.parametrize("name", ["reverse", "bottleneck"])
def test_tasks_pair_a_source_with_its_answer_under_teacher_forcing(name):
    task = make_task(name, length=5)
    inputs, targets = task.train_batch(3, None, np.random.default_rng(0))
    assert inputs.shape == (10, 3) and targets.shape == (5, 3)
    source, read = inputs[:5], inputs[5:]
    expected = source[::-1] if name == "reverse" else source
    np.testing.assert_array_equal(targets, expected)
    assert np.all(read[0] == GO)
    np.testing.assert_array_equal(read[1:], targets[:-1])  # the previous answer
    assert task.baseline() == pytest.approx(5 * math.log(8))


def test_reading_the_source_backwards_lifts_the_first_tokens_gradient_by_orders_of_magnitude():
    forward, backward = preset_trainer("Seq2seq, source forward"), preset_trainer("Seq2seq, source reversed")
    first = {}
    for name, trainer in (("forward", forward), ("reversed", backward)):
        snap = trainer.snapshot()
        assert snap.part_steps == (SEQ2SEQ_S, SEQ2SEQ_S) and snap.shape == "encoder-decoder"
        first[name] = np.linalg.norm(snap.grad_hidden[0, 0])  # the gradient reaching source token 0
        assert snap.decoded.shape == (SEQ2SEQ_S,)
    assert first["reversed"] > 1e3 * first["forward"]
    baseline = forward.source.baseline()
    for trainer in (forward, backward):
        trainer.run(150)
    assert backward.validation_loss() < 0.85 * baseline  # the reversed copy starts to learn
    assert forward.validation_loss() > 0.95 * baseline  # the forward one is still at the baseline


def test_shapes_and_data_must_match():
    with pytest.raises(UserError, match="--arch seq2seq"):
        make_trainer({}, {}, {"kind": "task", "name": "reverse"})
    with pytest.raises(UserError, match="needs a source and a target"):
        make_trainer({"arch": "seq2seq"}, {}, {"kind": "task", "name": "adding"})
    with pytest.raises(UserError, match="bidirectional"):
        make_trainer({"arch": "seq2seq", "bidirectional": True}, {}, {"kind": "task", "name": "reverse"})
