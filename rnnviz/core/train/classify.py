"""A typed sentence through a trained classifier: its label, and the gradient reaching each word.

The Text panel of a labelled-text run asks this (through the worker, on a copy of the
weights): the predicted class with its probability, every class's probability, and
||dL/dh_t|| at each word for L = -log p(predicted class), the one loss at the sentence's end.
How fast that norm falls towards the first words is why early words are forgotten.
For a bidirectional network h_t is [forward, backward], so the norm counts both directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.errors import DataError
from rnnviz.core.nn.losses import softmax
from rnnviz.core.train.parts import grad_norms


@dataclass(frozen=True)
class Classification:
    words: list  # (T,) the sentence's tokens as the model read them (<unk> for unknown words)
    label: str  # the predicted class
    probability: float  # its probability
    probabilities: dict  # class -> probability
    grad_norms: np.ndarray  # (T,) ||dL/dh_t|| of the top layer, L = -log p(label)


def classify(model, source, text: str) -> Classification:
    """Classify ``text`` with ``model`` trained on ``source`` (a LabelledSource). DataError if the
    data is not labelled text or the sentence has no words."""
    if not hasattr(source, "classes") or not hasattr(source, "encode"):
        raise DataError(f"{getattr(source, 'name', 'this data')} is not labelled text")
    ids = source.encode(text)  # (T,)
    inputs = ids[:, None]  # (T, 1)
    with np.errstate(all="ignore"):
        _, _, trace = model.loss_and_grads(inputs, np.zeros(1, dtype=np.int64))
        probabilities = softmax(np.asarray(trace.outputs[0], dtype=float))  # (Y,)
        best = int(np.argmax(probabilities))
        _, _, trace = model.loss_and_grads(inputs, np.array([best]))
    norms = grad_norms(trace.grad_hidden[:, -1, 0]).astype(float)  # (T,)
    return Classification(words=source.token_labels(ids), label=source.classes[best],
                          probability=float(probabilities[best]),
                          probabilities={c: float(p) for c, p in zip(source.classes, probabilities)},
                          grad_norms=norms)
