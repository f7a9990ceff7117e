"""The shapes' presets tell their stories, headless; a bidirectional net is refused where it would cheat."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core.data.marker import MARK_A, MARK_B
from rnnviz.core.data.tasks import make_task
from rnnviz.core.errors import UserError
from rnnviz.core.train.classify import classify
from rnnviz.core.train.presets import make_trainer, preset_trainer


def test_marker_tags_name_the_next_marker_and_the_baseline_is_what_memory_cannot_beat():
    task = make_task("marker", length=30)
    inputs, tags = task.train_batch(4000, None, np.random.default_rng(1))
    marked = inputs >= MARK_A
    assert marked[-1].all()
    for b in range(3):
        for t in range(30):
            nxt = t + int(np.argmax(marked[t:, b]))
            assert tags[t, b] == inputs[nxt, b] - MARK_A
    # a memoryless (and any forward-reading) guesser: right at markers, a coin flip elsewhere
    empirical = (~marked).sum(axis=0).mean() * math.log(2)
    assert empirical == pytest.approx(task.baseline(), rel=0.02)
    assert set(np.unique(inputs[marked])) == {MARK_A, MARK_B}


def test_only_the_bidirectional_net_beats_the_future_marker_baseline():
    one, both = preset_trainer("Future marker, one way"), preset_trainer("Future marker, both ways")
    baseline = one.source.baseline(one.train_config.seq_len)
    for trainer in (one, both):
        trainer.run(250)
    assert one.validation_loss() > 0.9 * baseline  # no memory of the past can help
    assert both.validation_loss() < 0.2 * baseline
    snap = both.snapshot()
    assert snap.parts == ("forward", "backward")
    assert set(snap.diagnostics.parts) == {"forward", "backward"}
    assert snap.hidden.shape[-1] == 2 * both.model_config.hidden_size


def test_sentiment_learns_past_the_majority_baseline_and_reads_the_late_turn():
    trainer = preset_trainer("Sentiment")
    baseline = trainer.source.baseline()
    trainer.run(150)
    assert trainer.validation_loss() < 0.3 * baseline
    result = classify(trainer.model, trainer.source, "It is a good product but it stopped working in few days")
    assert result.label == "negative" and result.probability > 0.5
    assert result.words[-1] == "days" and len(result.grad_norms) == len(result.words)
    assert np.all(np.isfinite(result.grad_norms)) and np.all(result.grad_norms > 0)  # every word is reached
    snap = trainer.snapshot()
    length = len(snap.labels)
    assert "<pad>" not in snap.labels and snap.grad_hidden.shape[0] == length


def test_bidirectional_is_refused_on_next_token_prediction():
    with pytest.raises(UserError, match="would see the answer"):
        make_trainer({"bidirectional": True}, {}, {"kind": "sample", "name": None})
    with pytest.raises(UserError, match="would see the answer"):
        make_trainer({"bidirectional": True}, {}, {"kind": "task", "name": "reber"})
    make_trainer({"bidirectional": True}, {}, {"kind": "task", "name": "copy"})  # the answer lies in the past


def test_batch_means_of_a_padded_batch_count_only_the_sequences_still_running():
    trainer = make_trainer({"cell": "gru", "hidden_size": 4}, {"batch_size": 8}, {"kind": "sample", "name": "reviews.tsv"})
    trainer.run(1)
    steps, flow = trainer.history.flow()
    norms = np.linalg.norm(trainer._last[3].grad_hidden[:, 0], axis=-1)  # (T, B) of the step's batch
    lengths = trainer._last[3].lengths
    for t in range(norms.shape[0]):
        running = lengths > t
        expected = norms[t, running].mean() if running.any() else 0.0
        assert flow[-1, t] == pytest.approx(expected, rel=1e-12, abs=1e-300)
