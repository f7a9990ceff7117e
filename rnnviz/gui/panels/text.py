"""Text panel: what the network has learned, in its own words (or numbers).

For text data it shows a sample from the model every few seconds (with a temperature
slider) and, for a prefix typed by the user, the top next-token suggestions with their
probabilities. Generation never touches the live model: the panel only *asks* for text
(``generate_requested`` / ``suggest_requested``); the training worker samples from a copy of
the parameters, between two steps, and answers with ``show_sample`` / ``show_suggestions``.

For tasks it plots the snapshot sample's prediction against its target, so one can see
whether the answer that depends on the distant past is being found.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from rnnviz.gui import style
from rnnviz.gui.panels.base import Panel, as_float, time_ticks

SAMPLE_SECONDS = 3.0  # a new sample every few seconds: time to read it, cheap to generate
SAMPLE_LENGTH = 200  # characters (or tokens) per sample: about three lines in a dock
TOP_K = 5  # next-token suggestions shown for the prefix
DEFAULT_TEMPERATURE = 0.8  # a little below 1: fewer typos than the raw distribution, still varied


class TextPanel(Panel):
    view_name = "text"
    title = "Text"

    generate_requested = QtCore.pyqtSignal(int, float, str)  # length, temperature, prime
    suggest_requested = QtCore.pyqtSignal(str, int)  # prefix, k

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
        self.plot: pg.PlotItem = self.canvas.addPlot()
        style.style_plot(self.plot, "Prediction vs target", "value", "time step")
        style.add_legend(self.plot)
        self.target_curve = self.plot.plot(pen=style.pen(style.BASELINE_COLOR, dashed=True), symbol="o",
                                           symbolSize=6, symbolBrush=style.BASELINE_COLOR, symbolPen=None,
                                           name="target", connect="finite")
        self.output_curve = self.plot.plot(pen=style.pen(style.SMOOTH_COLOR), symbol="x", symbolSize=7,
                                           symbolPen=style.VALIDATION_COLOR, name="prediction", connect="finite")

        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(int(SAMPLE_SECONDS * 1000))
        self.timer.timeout.connect(self._sample_if_new)
        self.set_text_mode(False)

    # ----------------------------------------------------------------- mode
    def set_text_mode(self, is_text: bool) -> None:
        """Text data: samples and suggestions; anything else: the prediction plot."""
        self.is_text = bool(is_text)
        self.text_box.setVisible(self.is_text)
        self.canvas.setVisible(not self.is_text)
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
        x_target, target, x_output, output, labels = self._prediction()
        self.target_curve.setData(x_target, target)
        self.output_curve.setData(x_output, output)
        if labels is not None:
            self.plot.getAxis("bottom").setTicks([time_ticks(labels, len(labels), offset=0.0)])
        else:
            self.plot.getAxis("bottom").setTicks(None)

    def _prediction(self):
        """(x, target, x, prediction, time labels or None) for the snapshot's sample.

        Per-step targets are drawn over time (class ids compare with the argmax class);
        a last-step target is drawn over its output channels (or classes, as probabilities)."""
        snapshot = self.view.snapshot
        targets, outputs = np.asarray(snapshot.targets), as_float(snapshot.outputs)
        labels = list(snapshot.labels) if snapshot.labels is not None else None
        integer = np.issubdtype(targets.dtype, np.integer)
        if outputs.ndim == 2 and targets.ndim >= 1 and targets.shape[0] == outputs.shape[0]:  # per step
            steps = np.arange(outputs.shape[0], dtype=float)
            if integer:
                self.plot.setLabel("left", "class id")
                return steps, as_float(targets), steps, as_float(outputs.argmax(axis=1)), labels
            self.plot.setLabel("left", "value (channel 0)")
            return steps, as_float(targets.reshape(len(steps), -1)[:, 0]), steps, outputs[:, 0], labels
        outputs = outputs.reshape(-1)
        channels = np.arange(outputs.size, dtype=float)
        if integer:  # one class at the last step: the predicted distribution and the true class
            probabilities = np.exp(outputs - outputs.max())
            probabilities /= probabilities.sum()
            self.plot.setLabel("left", "probability (last step)")
            self.plot.setLabel("bottom", "class")
            onehot = (channels == int(targets.reshape(-1)[0])).astype(float)
            return channels, onehot, channels, probabilities, None
        self.plot.setLabel("left", "value (last step)")
        self.plot.setLabel("bottom", "output channel")
        return channels, as_float(targets).reshape(-1), channels, outputs, None

    def _table(self):
        if self.is_text:
            rows = [["sample", self.sample_text, ""]]
            rows += [["suggestion", token, probability] for token, probability in self.suggestion_pairs]
            return ["kind", "text", "probability"], rows
        if self.view is None:
            return ["x", "target", "prediction"], []
        x_target, target, _, output, _ = self._prediction()
        return ["x", "target", "prediction"], [[float(x), float(t), float(o)]
                                               for x, t, o in zip(x_target, target, output)]


def _visible(token: str) -> str:
    return repr(token)[1:-1] if token.strip() != token or not token else token
