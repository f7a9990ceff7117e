"""Text from a trained character or word model: temperature sampling and next-token suggestions.

Sampling runs the model one step at a time, carrying its state, and draws each next token from
softmax(logits / temperature): temperature 1 samples the model as it is, lower is more
conservative (towards always taking the most likely token), higher more adventurous.
``suggest`` is the phone-keyboard example: after a typed prefix, the k most likely next tokens
with their probabilities.

Unknown tokens in a prefix are an error (DataError naming them), not silently skipped: a
skipped character would make the suggestions answer a different prefix from the one typed.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.errors import DataError, UserError
from rnnviz.core.nn.losses import softmax

GREEDY_BELOW = 1e-3  # temperatures below this take the most likely token (exp would overflow)
MAX_SAMPLE_LENGTH = 100_000  # a sample is read by a person; more is a mistake, not a wish


def _check(model, source) -> None:
    if not hasattr(source, "vocab") or not hasattr(source, "encode"):
        raise DataError(f"{getattr(source, 'name', 'this data')} is not text: sampling needs a "
                        f"character or word model")
    vocab_size = len(source.vocab)
    if model.config.input_size != vocab_size or model.config.output_size != vocab_size:
        raise DataError(f"the model reads {model.config.input_size} and predicts "
                        f"{model.config.output_size} tokens, but {source.name} has a vocabulary of "
                        f"{vocab_size}; sample from a model trained on this text")


def _distribution(logits: np.ndarray, temperature: float) -> np.ndarray:
    """(V,) probabilities from one step's logits (V,) at a temperature."""
    if temperature < GREEDY_BELOW:
        p = np.zeros(logits.shape[-1])
        p[int(np.argmax(logits))] = 1.0
        return p
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def _prime(model, source, prefix: str):
    """Run the prefix through the model: (logits of the last step (V,), state), or (None, None)."""
    ids = source.encode(prefix)  # DataError for unknown tokens
    if len(ids) == 0:
        return None, None
    outputs, state = model.forward(np.asarray(ids, dtype=np.int64)[:, None])  # (T, 1, V)
    return outputs[-1, 0], state


def sample(model, source, length: int, temperature: float = 1.0,
           rng: np.random.Generator | None = None, prime: str = "") -> str:
    """``length`` tokens generated after ``prime``, as text (the prime itself not included).

    Without a prime, the first token is drawn from the text's own token frequencies.
    Raises UserError for a bad length or temperature, DataError for a prime the vocabulary
    cannot spell or a model that does not match the text.
    """
    _check(model, source)
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not 0 <= length <= MAX_SAMPLE_LENGTH:
        raise UserError(f"the sample length must be a whole number from 0 to {MAX_SAMPLE_LENGTH}, got {length!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0 \
            or not np.isfinite(temperature):
        raise UserError(f"the temperature must be a number above 0 (1 = as trained, lower = safer), "
                        f"got {temperature!r}")
    rng = np.random.default_rng() if rng is None else rng
    logits, state = _prime(model, source, prime)
    out: list[int] = []
    if length == 0:
        return ""
    if logits is None:
        token = int(rng.choice(len(source.vocab), p=source.unigram_probabilities()))
    else:
        token = int(rng.choice(len(source.vocab), p=_distribution(logits, temperature)))
    out.append(token)
    while len(out) < length:
        outputs, state = model.forward(np.array([[token]], dtype=np.int64), state)  # (1, 1, V)
        token = int(rng.choice(len(source.vocab), p=_distribution(outputs[0, 0], temperature)))
        out.append(token)
    return source.decode(out)


def suggest(model, source, prefix: str, k: int = 5) -> list[tuple[str, float]]:
    """The k most likely next tokens after ``prefix``, most likely first, with probabilities.

    Tokens are returned as in the vocabulary (a space is " "; use ``text_data.readable`` to show
    it). An empty prefix gives an empty list: there is no context to suggest from.
    """
    _check(model, source)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise UserError(f"the number of suggestions must be a whole number of at least 1, got {k!r}")
    logits, _ = _prime(model, source, prefix)
    if logits is None:
        return []
    p = _distribution(logits, 1.0)  # (V,)
    top = np.argsort(-p, kind="stable")[: min(k, len(p))]
    return [(source.vocab[int(i)], float(p[i])) for i in top]
