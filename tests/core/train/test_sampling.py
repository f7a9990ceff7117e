"""Generation from a character or word model: temperature sampling and next-token suggestions."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import RNN, ModelConfig
from rnnviz.core.data.files import text_source
from rnnviz.core.errors import DataError, UserError
from rnnviz.core.nn.losses import softmax
from rnnviz.core.train.sampling import sample, suggest
from rnnviz.core.data.series import SeriesSource

TEXT = "the cat sat on the mat, and the rat ran to the hat.\n" * 10


@pytest.fixture
def source():
    return text_source(TEXT)


def model_for(source, seed=0, scale=1.0):
    size = len(source.vocab)
    return RNN(ModelConfig(input_size=size, output_size=size, hidden_size=12, seed=seed, init_scale=scale))


def test_samples_are_made_of_the_vocabulary(source):
    text = sample(model_for(source), source, 200, rng=np.random.default_rng(0), prime="the ")
    assert len(text) == 200 and set(text) <= set(source.vocab)
    assert sample(model_for(source), source, 0) == ""
    unprimed = sample(model_for(source), source, 50, rng=np.random.default_rng(1))
    assert len(unprimed) == 50 and set(unprimed) <= set(source.vocab)


def test_temperature_near_zero_is_greedy(source):
    model = model_for(source, seed=2)
    model.params["out.weight"] *= 1000  # spread the logits, so a small temperature goes through softmax
    prime = "the ca"
    outputs, state = model.forward(source.encode(prime).astype(np.int64)[:, None])
    logits, greedy, gaps = outputs[-1, 0], [], []
    for _ in range(30):  # the argmax rollout, one step at a time with the state carried
        token = int(np.argmax(logits))
        greedy.append(token)
        gaps.append(np.diff(np.sort(logits)[-2:])[0])
        outputs, state = model.forward(np.array([[token]]), state)
        logits = outputs[0, 0]
    expected = source.decode(greedy)
    for seed in (0, 1):
        assert sample(model, source, 30, temperature=1e-6, rng=np.random.default_rng(seed), prime=prime) == expected
    # a small temperature through the softmax: any other token has probability below V e^-40
    cool = min(gaps) / 40
    assert cool > 1e-3  # above sampling.GREEDY_BELOW: this is the softmax path, not the argmax shortcut
    assert sample(model, source, 30, temperature=cool, rng=np.random.default_rng(3), prime=prime) == expected


def test_first_sampled_token_follows_the_model_distribution(source):
    model = model_for(source, seed=4, scale=2.0)
    outputs, _ = model.forward(source.encode("the r").astype(np.int64)[:, None])
    p = softmax(outputs[-1, 0] / 0.7)
    generator = np.random.default_rng(5)
    draws = [sample(model, source, 1, temperature=0.7, rng=generator, prime="the r") for _ in range(1500)]
    counts = np.array([draws.count(token) for token in source.vocab]) / len(draws)
    np.testing.assert_allclose(counts, p, atol=0.04)


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf"), "hot", True])
def test_bad_temperature(source, temperature):
    with pytest.raises(UserError, match="temperature"):
        sample(model_for(source), source, 10, temperature=temperature)


def test_bad_length_and_k(source):
    with pytest.raises(UserError, match="sample length"):
        sample(model_for(source), source, -1)
    with pytest.raises(UserError, match="number of suggestions"):
        suggest(model_for(source), source, "the", k=0)


def test_suggestions_are_the_top_k_of_the_model(source):
    model = model_for(source, seed=6, scale=2.0)
    prefix = "the m"
    outputs, _ = model.forward(source.encode(prefix).astype(np.int64)[:, None])
    p = softmax(outputs[-1, 0])
    result = suggest(model, source, prefix, k=5)
    assert len(result) == 5
    probabilities = [prob for _, prob in result]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) <= 1 + 1e-12
    assert [token for token, _ in result] == [source.vocab[i] for i in np.argsort(-p)[:5]]
    np.testing.assert_allclose(probabilities, np.sort(p)[::-1][:5])
    everything = suggest(model, source, prefix, k=1000)
    assert len(everything) == len(source.vocab) and sum(q for _, q in everything) == pytest.approx(1)
    assert suggest(model, source, "") == []


def test_unknown_characters_are_named(source):
    model = model_for(source)
    with pytest.raises(DataError, match=r"'Z', 'é' are not in the vocabulary"):
        suggest(model, source, "the Zé")
    with pytest.raises(DataError, match="not in the vocabulary"):
        sample(model, source, 5, prime="Q")


def test_word_model(source):
    words = text_source(TEXT, level="word")
    model = model_for(words)
    text = sample(model, words, 40, rng=np.random.default_rng(7), prime="the cat")
    assert set(words.tokens(text)) <= set(words.vocab)
    assert len(words.tokens(text)) == 40
    assert all(token in words.vocab for token, _ in suggest(model, words, "the cat sat", k=3))


def test_mismatched_model_or_series_is_refused(source):
    with pytest.raises(DataError, match="vocabulary of"):
        sample(RNN(ModelConfig(input_size=3, output_size=3)), source, 5)
    series = SeriesSource(np.arange(30.0)[:, None], ["x"])
    with pytest.raises(DataError, match="not text"):
        suggest(RNN(ModelConfig()), series, "1")
