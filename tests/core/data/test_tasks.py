"""Synthetic tasks: shapes the model accepts, seeding, structure, and baselines against formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core import ModelConfig
from rnnviz.core.errors import DataError
from rnnviz.core.nn.losses import cross_entropy
from rnnviz.core.nn.shapes import make_model
from rnnviz.core.data.reber import GRAPH, REBER_SYMBOLS, embedded_reber_stream, embedded_reber_string, embedded_reber_unigram
from rnnviz.core.data.tasks import TASK_NAMES, make_task


def rng(seed=0):
    return np.random.default_rng(seed)


def test_task_names_match_the_contract():
    assert TASK_NAMES == ("adding", "copy", "sine", "sines", "parity", "reber", "marker", "reverse",
                          "bottleneck", "waveform", "latching")


@pytest.mark.parametrize("name", TASK_NAMES)
def test_every_task_feeds_the_model(name):
    task = make_task(name, length=12)
    inputs, targets = task.train_batch(3, 999, rng())  # the trainer's window length is ignored
    assert inputs.shape[:2] == (task.sequence_length, 3)
    paired = getattr(task, "source_length", None)  # a source and a target: an encoder-decoder's task
    coded = getattr(task, "code_size", None)  # a code vector: a vector-to-sequence net's task
    arch = "seq2seq" if paired else "vec2seq" if coded else "stack"
    model = make_model(ModelConfig(input_size=task.input_size, output_size=task.output_size, hidden_size=5,
                                   arch=arch, source_length=paired))
    loss, _, trace = model.loss_and_grads(inputs, targets)
    assert np.isfinite(loss)
    assert task.carry_state is False
    assert len(task.description) > 200 and task.name.startswith(name)
    assert len(task.token_labels(inputs[:, 0])) == task.sequence_length
    assert task.baseline(999) == task.baseline() > 0
    assert task.get_state() == {}


@pytest.mark.parametrize("name", TASK_NAMES)
def test_validation_is_seeded_and_training_follows_the_rng(name):
    first, again, other = make_task(name, seed=3), make_task(name, seed=3), make_task(name, seed=4)
    a, b, c = (t.validation_batch(6, 10)[0] for t in (first, again, other))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(first.train_batch(4, 10, rng(7))[0], other.train_batch(4, 10, rng(7))[0])


def test_adding_structure_and_baseline():
    task = make_task("adding", length=40)
    inputs, targets = task.train_batch(20_000, 40, rng(1))  # (T, B, 2), (B, 1)
    marks = inputs[:, :, 1]
    assert (marks.sum(axis=0) == 2).all()
    assert (marks[:20].sum(axis=0) == 1).all() and (marks[20:].sum(axis=0) == 1).all()
    np.testing.assert_allclose(targets[:, 0], (inputs[:, :, 0] * marks).sum(axis=0))
    assert task.baseline() == pytest.approx(1 / 6)
    mse_of_predicting_one = ((targets - 1.0) ** 2).mean()  # the model's loss for a (B, 1) target
    assert mse_of_predicting_one == pytest.approx(task.baseline(), abs=0.006)  # ~4 standard errors


def test_copy_structure_and_baseline():
    length = 15
    task = make_task("copy", length=length)
    inputs, targets = task.train_batch(500, None, rng(2))
    assert inputs.shape == targets.shape == (length + 20, 500)
    np.testing.assert_array_equal(targets[-10:], inputs[:10])
    assert ((inputs[:10] >= 1) & (inputs[:10] <= 8)).all()
    assert (inputs[length + 9] == 9).all() and (inputs[10:length + 9] == 0).all()
    assert (targets[:-10] == 0).all()
    # the memoryless strategy: blank with certainty, then uniform over the 8 symbols
    logits = np.full((length + 20, 500, 10), -1e3)
    logits[: length + 10, :, 0] = 0.0
    logits[length + 10:, :, 1:9] = 0.0
    loss, _ = cross_entropy(logits, targets, 500)
    assert loss == pytest.approx(task.baseline()) == pytest.approx(10 * math.log(8))
    assert task.baseline() / (length + 20) == pytest.approx(10 * math.log(8) / (length + 20))


@pytest.mark.parametrize("name", ["sine", "sines"])
def test_sine_baselines_match_the_best_linear_memoryless_fit(name):
    task = make_task(name, length=60)
    inputs, targets = task.train_batch(3000, None, rng(3))  # (T, B, 1)
    np.testing.assert_allclose(targets[:-1], inputs[1:])
    x, y = inputs.ravel(), targets.ravel()
    slope = (x @ y) / (x @ x)  # least squares through the origin: the best x_{t+1} ≈ ρ x_t
    per_sequence = ((y - slope * x) ** 2).sum() / 3000
    assert per_sequence == pytest.approx(task.baseline(), rel=0.03)


def test_sine_options():
    assert make_task("sine", length=30, period=10).periods == (10.0,)
    assert make_task("sines", periods=(5, 7), amplitudes=(1, 2)).amplitudes == (1.0, 2.0)
    with pytest.raises(DataError):
        make_task("sines", periods=(5, 7), amplitudes=(1,))


def test_parity_structure_and_baseline():
    task = make_task("parity", length=30, lag=4)
    inputs, targets = task.train_batch(4000, None, rng(4))
    np.testing.assert_array_equal(targets[4:], inputs[4:] ^ inputs[:-4])
    # the best memoryless predictor uses P(target | this bit); its cross-entropy is ~ln 2 a step
    loss = 0.0
    for bit in (0, 1):
        chosen = targets[inputs == bit]
        p = chosen.mean()
        loss -= (chosen.size * p * math.log(p) + chosen.size * (1 - p) * math.log(1 - p))
    assert loss / 4000 == pytest.approx(task.baseline(), rel=0.01)
    assert task.baseline() == pytest.approx(30 * math.log(2))


def _accepts(ids) -> bool:
    """Is this one embedded Reber string?"""
    symbols = "".join(REBER_SYMBOLS[i] for i in ids)
    if len(symbols) < 5 or symbols[0] != "B" or symbols[-1] != "E" or symbols[1] != symbols[-2] \
            or symbols[1] not in "TP":
        return False
    node = 0
    for symbol in symbols[2:-2]:
        moves = dict(GRAPH.get(node, ()))
        if symbol not in moves:
            return False
        node = moves[symbol]
    return node == 7


def test_reber_strings_follow_the_grammar_and_frequencies():
    generator = rng(5)
    assert all(_accepts(embedded_reber_string(generator)) for _ in range(300))
    stream = embedded_reber_stream(200_000, generator)
    empirical = np.bincount(stream, minlength=7) / len(stream)
    np.testing.assert_allclose(empirical, embedded_reber_unigram(), atol=0.004)


def test_reber_baselines_are_the_memoryless_and_unigram_cross_entropies():
    task = make_task("reber", length=40)
    _, targets = task.train_batch(1500, None, rng(6))
    p = embedded_reber_unigram()
    measured = -np.log(p[targets]).sum() / 1500
    entropy = -(p * np.log(p)).sum()
    assert task.unigram_baseline() == pytest.approx(40 * entropy)
    assert measured == pytest.approx(task.unigram_baseline(), rel=0.03)
    # without memory, the best guess of the next symbol is P(next | current), fitted on other data
    inputs, targets = task.train_batch(1500, None, rng(7))
    pairs = np.zeros((7, 7))
    np.add.at(pairs, (inputs.reshape(-1), targets.reshape(-1)), 1)
    fitted = (pairs + 1e-9) / (pairs + 1e-9).sum(axis=1, keepdims=True)
    held_in, held_out = task.train_batch(1500, None, rng(8))
    measured = -np.log(fitted[held_in, held_out]).sum() / 1500
    assert measured == pytest.approx(task.baseline(), rel=0.03)
    assert task.baseline() < task.unigram_baseline()  # the current symbol tells a lot


@pytest.mark.parametrize("call, pattern", [
    (lambda: make_task("juggling"), "unknown task 'juggling'; the tasks are adding, copy"),
    (lambda: make_task("adding", length=0), "length T must be a whole number from 2"),
    (lambda: make_task("adding", length=-5), "from 2 to"),
    (lambda: make_task("copy", length=2.5), "whole number"),
    (lambda: make_task("sine", length="50"), "whole number"),
    (lambda: make_task("parity", length=True), "whole number"),
    (lambda: make_task("reber", length=10 ** 6), "to 5000"),
    (lambda: make_task("parity", length=10, lag=10), "lag k must be a whole number from 1 to T - 1 = 9"),
    (lambda: make_task("adding", colour="red"), "does not take these options"),
    (lambda: make_task("adding", seed=-1), "seed"),
    (lambda: make_task("adding").train_batch(0, 10, rng()), "batch size"),
])
def test_bad_task_requests(call, pattern):
    with pytest.raises(DataError, match=pattern):
        call()
