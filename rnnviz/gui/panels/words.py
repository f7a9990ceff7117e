"""The Text panel's labelled-text mode: a classifier's answer, and the gradient reaching each word.

Two things, both read from the core: the snapshot's sample review drawn as ||dL/dh_t|| over its
words on a log axis (the one loss sits at the last word; how fast the line falls towards the
first words is how fast the network forgets them), and a sentence the user types, labelled by
the model with its probability and each word shaded by the gradient reaching it
(``rnnviz.core.train.classify``, answered by the worker on a copy of the weights).
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from rnnviz.core.tables.prediction import labelled_answer
from rnnviz.gui.panels.marked import MarkedLine
from rnnviz.gui.panels.base import TimedCanvas, TokenAxis, as_float, for_log_axis, log_floor, set_title
from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style

SHADE_MIN_DECADES = 0.1  # a sentence whose gradients span less than this is shaded evenly
SHADE_RGB = (31, 119, 180)  # the app's main blue
WORD_TITLE = "Gradient reaching each word"
TYPE_HINT = "Type a review to see the model's label and the gradient reaching each word"


def log_span(norms) -> tuple[float, float] | None:
    """(lowest, highest) log10 of the positive finite gradients, or None when there are none."""
    norms = as_float(norms)
    good = norms[np.isfinite(norms) & (norms > 0)]
    if good.size == 0:
        return None
    return float(np.log10(good.min())), float(np.log10(good.max()))


def shade(norms) -> np.ndarray:
    """Per word, 0..1: log10 of its gradient placed between the sentence's smallest (0) and largest (1),
    so that the contrast shows however many decades they span (``log_span`` says how many)."""
    norms = as_float(norms)
    span = log_span(norms)
    if span is None:
        return np.zeros(len(norms))
    low, high = span
    good = np.isfinite(norms) & (norms > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(good, np.log10(np.where(good, norms, 1.0)), low)
    if high - low < SHADE_MIN_DECADES:
        return np.where(good, 1.0, 0.0)
    return np.clip((logs - low) / (high - low), 0.0, 1.0)


def words_html(words, norms) -> str:
    """The words as rich text, each on a background as dark as its gradient is large."""
    spans = []
    for word, level in zip(words, shade(norms)):
        r, g, b = (int(round(255 - (255 - c) * level)) for c in SHADE_RGB)
        ink = "white" if level > 0.6 else "black"
        spans.append(f'<span style="background-color: rgb({r},{g},{b}); color: {ink};">&nbsp;'
                     f'{html.escape(str(word))}&nbsp;</span>')
    return " ".join(spans)


def _span_note(norms) -> str:
    span = log_span(norms)
    if span is None:
        return "<br><span style='color: gray;'>no gradient reaches the words</span>"
    low, high = span
    return (f"<br><span style='color: gray;'>\u2016\u2202L/\u2202h_t\u2016 from 10^{low:.1f} (white) to "
            f"10^{high:.1f} (darkest): {high - low:.1f} decades</span>")


class WordsView(QtWidgets.QWidget):
    """The typed-sentence box and the per-word gradient plot of the snapshot's sample."""

    classify_requested = QtCore.pyqtSignal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(4, 0, 4, 0)
        self.sentence = QtWidgets.QLineEdit()
        self.sentence.setPlaceholderText(TYPE_HINT)
        self.sentence.setToolTip("The model reads the sentence word by word and answers at its last word. "
                                 "Darker words receive a larger gradient from that answer, on a log scale "
                                 "from the sentence's smallest (white) to its largest.")
        self.sentence.textChanged.connect(self.request)
        column.addWidget(self.sentence)
        self.answer = QtWidgets.QLabel("")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(QtCore.Qt.TextFormat.RichText)
        column.addWidget(self.answer)
        self.canvas = TimedCanvas()
        self.axis = TokenAxis("bottom")
        self.plot: pg.PlotItem = self.canvas.addPlot(row=0, col=0, axisItems={**style.log_axis(), "bottom": self.axis})
        style.style_plot(self.plot, WORD_TITLE, "\u2016\u2202L/\u2202h_t\u2016 (log scale)", "word")
        self.plot.setLogMode(x=False, y=True)
        self.curve = MarkedLine(self.plot, style.pen(style.LAYER_COLORS[0]), "o", 6, brush=style.LAYER_COLORS[0],
                                log_y=True)
        column.addWidget(self.canvas, 1)
        self.classes: list[str] = []
        self.result = None  # the last Classification shown
        self.sample_rows: list = []  # (word, norm) of the snapshot's sample

    def request(self, *_args) -> None:
        if self.sentence.text().strip():
            self.classify_requested.emit(self.sentence.text())
        else:
            self.result = None
            self.answer.setText("")

    def show_classification(self, sentence: str, result) -> None:
        if sentence != self.sentence.text():
            return  # an answer to an older sentence
        if isinstance(result, str):
            self.result = None
            self.answer.setText(html.escape(result))
            return
        self.result = result
        others = ", ".join(f"{c} {p:.0%}" for c, p in result.probabilities.items() if c != result.label)
        self.answer.setText(f"<b>{html.escape(result.label)}</b> {result.probability:.0%}"
                            f" <span style='color: gray;'>({html.escape(others)})</span><br>"
                            + words_html(result.words, result.grad_norms) + _span_note(result.grad_norms))

    def show_sample(self, snapshot) -> None:
        """The sample's ||dL/dh_t|| at each of its words (top layer; both directions' units if two)."""
        grad = as_float(snapshot.grad_hidden_norm)  # (T, L)
        norms = grad[:, -1] if grad.ndim == 2 and grad.shape[1] else np.zeros(0)
        words = list(snapshot.labels or [])
        self.sample_rows = list(zip(words, norms.tolist()))
        shown, _ = for_log_axis(norms, log_floor(norms))
        self.curve.set_data(np.arange(len(norms), dtype=float), shown)
        self.axis.set_labels(words, len(norms))
        title = labelled_answer(snapshot, self.classes) or WORD_TITLE  # short: the dock is narrow
        set_title(self.plot, title)
        steady.hold_items(self.plot)  # laid out again when the words leave the range, not at every view
