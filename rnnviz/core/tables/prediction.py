"""What the Text view shows for a task or a labelled text, and its table, without Qt.

The Text dock plots one sample's prediction against its target: per step over time (copy, a CSV
series, an encoder-decoder's greedy decoding), one regression answer at the last step (adding),
or the predicted class distribution against the true class. ``prediction`` decides which and
computes the numbers with the axis names; the panel draws them and ``text`` writes them as the
view's CSV, together with the two other things the dock can show: a text sample with the next-
token suggestions, and a labelled sentence's words with ||dL/dh_t|| per word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.nn.losses import softmax
from rnnviz.core.tables.cells import as_float


@dataclass(frozen=True)
class Prediction:
    """One sample's answer against its target, and how to label the plot of it."""

    kind: str  # "steps" (over time), "last_value" (one number) or "last_class" (a distribution)
    x: np.ndarray  # (n,) time steps, decoder steps, classes or output channels
    target: np.ndarray  # (n,)
    output: np.ndarray  # (n,)
    title: str
    x_label: str
    y_label: str


def prediction(snapshot) -> Prediction:
    """The snapshot sample's prediction: per-step targets over time (class ids compare with the
    argmax class), one regression answer, or the predicted distribution against the true class."""
    targets, outputs = np.asarray(snapshot.targets), as_float(snapshot.outputs)
    integer = np.issubdtype(targets.dtype, np.integer)
    decoded = getattr(snapshot, "decoded", None)
    if decoded is not None and integer and np.shape(decoded) == targets.shape:  # an encoder-decoder
        return Prediction("steps", np.arange(len(decoded), dtype=float), as_float(targets), as_float(decoded),
                          "Greedy decoding vs target", "decoder step", "symbol id")
    if outputs.ndim == 2 and targets.ndim >= 1 and targets.shape[0] == outputs.shape[0]:  # (T, C): per step
        steps = np.arange(outputs.shape[0], dtype=float)
        title = "Prediction vs target, one sample"
        if integer:
            return Prediction("steps", steps, as_float(targets), as_float(outputs.argmax(axis=1)),
                              title, "time step t", "class id")
        channels = outputs.shape[1]
        return Prediction("steps", steps, as_float(targets.reshape(len(steps), -1)[:, 0]), outputs[:, 0], title,
                          "time step t", "value" + (f" (channel 0 of {channels})" if channels > 1 else ""))
    outputs = outputs.reshape(-1)
    channels = np.arange(outputs.size, dtype=float)
    title = "Answer at the last step"  # of one sample; longer titles are cut in the dock
    if integer:  # one class at the last step: the predicted distribution and the true class
        probabilities = softmax(outputs)
        onehot = (channels == int(targets.reshape(-1)[0])).astype(float)
        return Prediction("last_class", channels, onehot, probabilities, title, "class", "probability (last step)")
    target = as_float(targets).reshape(-1)
    if outputs.size == 1 and target.size == 1:
        return Prediction("last_value", np.zeros(1), target, outputs, title, "", "value")
    return Prediction("last_class", channels, target, outputs, title, "output channel", "value (last step)")


def labelled_answer(snapshot, classes: list[str]) -> str:
    """A labelled sentence's answer in a few words for a narrow dock: "negative 97% \u2713", or
    "positive 62% \u2717 (negative)" when wrong; "" when the outputs are not one class score each."""
    targets, outputs = np.asarray(snapshot.targets), as_float(snapshot.outputs).reshape(-1)
    if not classes or outputs.size != len(classes) or not np.isfinite(outputs).all():
        return ""
    probabilities = softmax(outputs)
    best, truth = int(probabilities.argmax()), int(targets.reshape(-1)[0])
    verdict = "\u2713" if best == truth else f"\u2717 ({classes[truth]})"
    return f"{classes[best]} {probabilities[best]:.0%} {verdict}"


@dataclass(frozen=True)
class TextShown:
    """What the Text dock shows, for its table: exactly one of the three is set."""

    snapshot: object = None  # a task's or series' snapshot: its Prediction
    sample: tuple | None = None  # (text, [(token, probability), ...]): a text sample and suggestions
    words: tuple | None = None  # ([(word, ||dL/dh||), ...], Classification or None): a labelled text


def text(shown: TextShown | None):
    """The Text view's table: the prediction, the sample and suggestions, or the words."""
    if shown is not None and shown.words is not None:
        sample_rows, result = shown.words
        rows = [["sample", word, float(norm), "", ""] for word, norm in sample_rows]
        if result is not None:
            rows += [["typed", word, float(norm), result.label, result.probability]
                     for word, norm in zip(result.words, result.grad_norms)]
        return ["kind", "word", "grad_norm", "predicted", "probability"], rows
    if shown is not None and shown.sample is not None:
        sample_text, suggestions = shown.sample
        rows = [["sample", sample_text, ""]]
        rows += [["suggestion", token, probability] for token, probability in suggestions]
        return ["kind", "text", "probability"], rows
    if shown is None or shown.snapshot is None:
        return ["x", "target", "prediction"], []
    p = prediction(shown.snapshot)
    return ["x", "target", "prediction"], [[float(x), float(t), float(o)] for x, t, o in zip(p.x, p.target, p.output)]
