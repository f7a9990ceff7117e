"""Text panel: what the network has learned, in its own words (or numbers).

For text data it shows a sample from the model every few seconds (with a temperature
slider) and, for a prefix typed by the user, the top next-token suggestions with their
probabilities. Generation never touches the live model: the panel only *asks* for text
(``generate_requested`` / ``suggest_requested``); the training worker samples from a copy of
the parameters, between two steps, and answers with ``show_sample`` / ``show_suggestions``.

For tasks it plots the snapshot sample's prediction against its target, so one can see
whether the answer that depends on the distant past is being found: per-step tasks (copy,
a CSV series) over time; a last-step regression (adding) as two labelled bars, target and
prediction, with their values. The snapshot holds one sample, so that is what is shown.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from rnnviz.core.tables.prediction import TextShown, prediction
from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import Panel, legend_entry, set_title
from rnnviz.gui.panels.marked import MarkedLine
from rnnviz.gui.panels.words import WordsView

SAMPLE_SECONDS = 3.0  # a new sample every few seconds: time to read it, cheap to generate
SAMPLE_LENGTH = 200  # characters (or tokens) per sample: about three lines in a dock
TOP_K = 5  # next-token suggestions shown for the prefix
DEFAULT_TEMPERATURE = 0.8  # a little below 1: fewer typos than the raw distribution, still varied
TARGET_COLOR = style.BASELINE_COLOR  # grey: the reference the prediction is judged against
PREDICTION_COLOR = style.LAYER_COLORS[0]  # the app's main blue: what this network says
BAR_WIDTH = 0.6  # of the unit slot per bar: a gap between target and prediction
BAR_HEADROOM = 0.25  # of the bars' span above (and below) them, room for the value labels


class TextPanel(Panel):
    view_name = "text"
    title = "Text"

    generate_requested = QtCore.pyqtSignal(int, float, str)  # length, temperature, prime
    suggest_requested = QtCore.pyqtSignal(str, int)  # prefix, k
    classify_requested = QtCore.pyqtSignal(str)  # a sentence typed for a labelled-text model

    def _build(self) -> None:
        self.is_text = False
        self.sample_text = ""
        self.suggestion_pairs: list[tuple[str, float]] = []
        self._new_view_since_sample = False

        # text mode widgets, in a box between the controls and the (then hidden) canvas
        self.text_box = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(self.text_box)
        column.setContentsMargins(4, 0, 4, 0)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("temperature"))
        self.temperature = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.temperature.setRange(5, 200)  # hundredths: 0.05 (nearly greedy) .. 2.0 (nearly uniform)
        self.temperature.setValue(int(DEFAULT_TEMPERATURE * 100))
        self.temperature.setToolTip("Low: the model's most likely continuation; 1: its raw distribution; "
                                    "high: closer to uniform noise.")
        self.temperature_label = QtWidgets.QLabel(f"{DEFAULT_TEMPERATURE:.2f}")
        self.temperature.valueChanged.connect(lambda v: self.temperature_label.setText(f"{v / 100:.2f}"))
        self.sample_button = QtWidgets.QPushButton("Sample now")
        self.sample_button.setToolTip(f"Draw a new sample (one comes every {SAMPLE_SECONDS:.0f} s while training).")
        self.sample_button.clicked.connect(self.request_sample)
        row.addWidget(self.temperature, 1)
        row.addWidget(self.temperature_label)
        row.addWidget(self.sample_button)
        column.addLayout(row)
        self.sample_view = QtWidgets.QPlainTextEdit()
        self.sample_view.setReadOnly(True)
        self.sample_view.setPlaceholderText("Samples from the model appear here while it trains.")
        column.addWidget(self.sample_view, 2)
        self.prefix = QtWidgets.QLineEdit()
        self.prefix.setPlaceholderText("Type a prefix to see the model's next-token guesses")
        self.prefix.setToolTip(f"The model reads this text and shows its {TOP_K} most likely next tokens.")
        self.prefix.textChanged.connect(self.request_suggestions)
        column.addWidget(self.prefix)
        self.suggestion_view = QtWidgets.QLabel("")
        self.suggestion_view.setWordWrap(True)
        self.suggestion_view.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        column.addWidget(self.suggestion_view)
        self.layout().insertWidget(2, self.text_box, 1)

        # task mode: prediction against target for the snapshot's sample
        self.plot: pg.PlotItem = self.canvas.addPlot(row=0, col=0)
        style.style_plot(self.plot, "Prediction vs target", "value", "time step t")
        style.add_legend(self.plot, self.canvas.ci, row=1)  # below the plot: never over the data
        self.target_curve = MarkedLine(self.plot, style.pen(TARGET_COLOR, 1.5, dashed=True), "o", 5,
                                       brush=TARGET_COLOR)
        self.output_curve = MarkedLine(self.plot, style.pen(PREDICTION_COLOR, 1.5), "x", 7,
                                       symbol_pen=PREDICTION_COLOR)
        # a last-step value: two bars (target, prediction) with their numbers on top
        self.bars = pg.BarGraphItem(x=[0.0, 1.0], height=[0.0, 0.0], width=BAR_WIDTH,
                                    brushes=[pg.mkBrush(TARGET_COLOR), pg.mkBrush(PREDICTION_COLOR)], pen=None)
        self.plot.addItem(self.bars)
        self.bar_labels = [pg.TextItem("", color="k", anchor=(0.5, 1.0)) for _ in range(2)]
        for label in self.bar_labels:
            self.plot.addItem(label, ignoreBounds=True)

        # labelled text: the classifier's answer and the gradient reaching each word
        self.is_labelled = False
        self.words = WordsView()
        self.words.classify_requested.connect(self.classify_requested)
        self.layout().insertWidget(3, self.words, 1)

        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(int(SAMPLE_SECONDS * 1000))
        self.timer.timeout.connect(self._sample_if_new)
        self.set_text_mode(False)

    # ----------------------------------------------------------------- mode
    def graphics(self):
        return self.words.canvas if self.is_labelled else self.canvas

    def show_classification(self, sentence: str, result) -> None:
        self.words.show_classification(sentence, result)

    def set_text_mode(self, is_text: bool, classes=None) -> None:
        """Text data: samples and suggestions; labelled text (``classes`` given): the classifier
        and the gradient reaching each word; anything else: the prediction plot."""
        self.is_text = bool(is_text)
        self.is_labelled = classes is not None and not self.is_text
        self.words.classes = list(classes or [])
        self.words.setVisible(self.is_labelled)
        self.text_box.setVisible(self.is_text)
        self.canvas.setVisible(not self.is_text and not self.is_labelled)
        self.sample_view.clear()
        self.suggestion_view.clear()
        self.sample_text, self.suggestion_pairs = "", []
        if self.is_text:
            self.timer.start()
        else:
            self.timer.stop()

    # ----------------------------------------------------------------- requests and answers
    def request_sample(self) -> None:
        self._new_view_since_sample = False
        self.generate_requested.emit(SAMPLE_LENGTH, self.temperature.value() / 100.0, "")

    def request_suggestions(self, *_args) -> None:
        if self.is_text and self.prefix.text():
            self.suggest_requested.emit(self.prefix.text(), TOP_K)
        else:
            self.suggestion_view.clear()

    def show_sample(self, text: str) -> None:
        self.sample_text = text
        self.sample_view.setPlainText(text)

    def show_suggestions(self, prefix: str, pairs: list) -> None:
        if prefix != self.prefix.text():
            return  # an answer to an older prefix
        if any(not np.isfinite(probability) for _, probability in pairs):  # a message, e.g. unknown characters
            self.suggestion_pairs = []
            self.suggestion_view.setText(" ".join(token for token, _ in pairs))
            return
        self.suggestion_pairs = list(pairs)
        shown = "   ".join(f"{_visible(token)} {probability:.0%}" for token, probability in pairs)
        self.suggestion_view.setText(f"next: {shown}" if shown else "")

    def _sample_if_new(self) -> None:
        if self._new_view_since_sample and self.isVisible():
            self.request_sample()

    # ----------------------------------------------------------------- Panel API
    def _redraw(self) -> None:
        self._new_view_since_sample = True
        if self.is_text:
            if not self.sample_text:
                self.request_sample()  # the first sample comes at once, not after SAMPLE_SECONDS
            return
        if self.is_labelled:
            self.words.show_sample(self.view.snapshot)
            return
        kind, x, target, output = self._prediction()
        bars = kind == "last_value"
        self.bars.setVisible(bars)
        for label in self.bar_labels:
            label.setVisible(bars)
        if bars:
            self._draw_bars(float(target[0]), float(output[0]))
            return
        self.target_curve.set_data(x, target)
        self.output_curve.set_data(x, output)
        style.set_ticks(self.plot.getAxis("bottom"), None)  # numbered steps: pyqtgraph spaces them to fit
        steady.hold_items(self.plot)  # the range moves when the curves leave it, not at every view
        for curve, name in ((self.target_curve, "target"), (self.output_curve, "prediction")):
            legend_entry(self.plot, curve.key, name, True)

    def _draw_bars(self, target: float, prediction: float) -> None:
        """Target and prediction as two bars with their values, on a range holding both and 0."""
        self.target_curve.set_data([], [])
        self.output_curve.set_data([], [])
        for curve in (self.target_curve, self.output_curve):
            legend_entry(self.plot, curve.key, "", False)  # the axis names the bars
        values = [v if np.isfinite(v) else 0.0 for v in (target, prediction)]
        self.bars.setOpts(height=values)
        low, high = min(0.0, *values), max(0.0, *values)
        span = max(high - low, 1e-6)
        for x, (label, value, raw) in enumerate(zip(self.bar_labels, values, (target, prediction))):
            style.set_plain_text(label, f"{raw:.3g}")
            label.setAnchor((0.5, 1.0) if value >= 0 else (0.5, 0.0))  # above a bar, below a negative one
            label.setPos(float(x), value)
        steady.hold(self.plot, x=(-0.5, 1.5), y=(low - (BAR_HEADROOM * span if low < 0 else 0),
                                                 high + BAR_HEADROOM * span))  # both bars, their values, 0
        style.set_ticks(self.plot.getAxis("bottom"), [[(0.0, "target"), (1.0, "prediction")]])

    def _prediction(self):
        """The core's Prediction of the snapshot's sample, with the plot's labels set from it."""
        shown = prediction(self.view.snapshot)
        style.set_label(self.plot, "bottom", shown.x_label)
        style.set_label(self.plot, "left", shown.y_label)
        set_title(self.plot, shown.title)
        return shown.kind, shown.x, shown.target, shown.output

    def table_data(self) -> TextShown:
        if self.is_labelled:
            return TextShown(words=(self.words.sample_rows, self.words.result))
        if self.is_text:
            return TextShown(sample=(self.sample_text, list(self.suggestion_pairs)))
        return TextShown(snapshot=None if self.view is None else self.view.snapshot)


def _visible(token: str) -> str:
    return repr(token)[1:-1] if token.strip() != token or not token else token
