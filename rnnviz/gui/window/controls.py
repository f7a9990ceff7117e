"""The settings form: data, model and training settings, bound both ways to the trainer's config.

The form never touches the trainer. It is filled from the configuration in use
(``set_settings``), read back as plain dicts (``model_settings``, ``train_settings``,
``data_choice``), and says which edits wait for a Reset: learning rate and clipping apply
live (``live_settings_changed``); everything that changes shapes or the run's randomness is
listed under "needs reset" until Reset applies it.
"""

from __future__ import annotations

import math
from pathlib import Path

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                             QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)

CELL_CHOICES = ("tanh", "relu", "linear", "lstm", "gru")
ARCH_CHOICES = ("stack", "seq2seq", "vec2seq")
CONTEXT_CHOICES = ("init", "every-step", "both")
INIT_CHOICES = ("normal", "orthogonal", "identity")
OPTIMIZER_CHOICES = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
CLIP_CHOICES = ("none", "value", "norm")
LIVE_KEYS = ("lr", "clip_mode", "clip_threshold")
MORE_TITLE = "More settings"
BIDIRECTIONAL_TIP = ("A second stack reads the sequence backwards; each step's output is [forward, backward]. "
                     "The gradient reaching h_t then comes from both ends.")
BIDIRECTIONAL_REFUSED = ("Not for this data: each target is the next input, which a backward direction "
                         "has already read; it would see the answer.")
BIDIRECTIONAL_FOR_STACK = ("For a single stack: an encoder-decoder reads its source one way "
                           "(see Reverse under More settings), and a vector-to-sequence net has no sequence to read.")
SEQ_LEN_TIP = ("Steps of backpropagation through time per update: the length of the chain whose "
               "gradients the plots show.")  # the trainer accepts these between steps

# people-readable names for the "needs reset" line
LABELS = {"data": "data", "length": "task length", "cell": "cell", "hidden_size": "hidden size",
          "num_layers": "layers", "init": "init", "init_scale": "init scale",
          "recurrent_scale": "recurrent scale", "forget_bias": "forget bias", "bidirectional": "bidirectional",
          "arch": "shape", "context": "context", "reverse_source": "reverse source",
          "decoder_hidden_size": "decoder size", "decoder_cell": "decoder cell", "optimizer": "optimizer", "batch_size": "batch",
          "seq_len": "sequence length", "seed": "seed", "model_seed": "model seed",
          "lr_growth": "lr growth", "readout_lr": "read-out lr"}


class LogSpinBox(QDoubleSpinBox):
    """A spin box for quantities that live on a log scale (learning rate, clip threshold):
    shown as ``3e-03``, and each arrow step multiplies or divides by two."""

    def __init__(self, minimum: float, maximum: float, value: float, parent=None) -> None:
        super().__init__(parent)
        # enough decimals that QDoubleSpinBox does not round the smallest value (1e-16, say) to zero
        self.setDecimals(max(12, 4 - math.floor(math.log10(minimum))) if minimum > 0 else 12)
        self.setRange(minimum, maximum)
        self.setValue(value)
        self.setKeyboardTracking(False)  # apply when the user finishes typing, not per keystroke

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt name)
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        from PyQt6.QtGui import QValidator
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = math.isfinite(value) and self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802
        self.setValue(self.value() * 2.0 ** steps)


class OptionalRateBox(LogSpinBox):
    """A rate that may be left unset: 0 shows as ``unset_text`` and reads as None; the first
    arrow up from there starts at ``start()`` (the learning rate, say)."""

    def __init__(self, minimum: float, maximum: float, unset_text: str, start, parent=None) -> None:
        super().__init__(minimum, maximum, minimum, parent)
        self.setDecimals(max(12, 4 - math.floor(math.log10(minimum))))
        self.setMinimum(0.0)
        self.setSpecialValueText(unset_text)
        self.setValue(0.0)
        self._start = start

    def rate(self) -> float | None:
        return self.value() or None

    def set_rate(self, value: float | None) -> None:
        self.setValue(float(value) if value else 0.0)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        return 0.0 if text.strip() == self.specialValueText() else super().valueFromText(text)

    def validate(self, text: str, pos: int):
        from PyQt6.QtGui import QValidator
        if text.strip() == self.specialValueText():
            return QValidator.State.Acceptable, text, pos
        return super().validate(text, pos)

    def stepBy(self, steps: int) -> None:  # noqa: N802
        if self.value() == 0.0:
            if steps > 0:
                self.setValue(self._start())
            return
        super().stepBy(steps)


def _form(group: QWidget) -> QFormLayout:
    form = QFormLayout(group)
    form.setVerticalSpacing(3)  # every open row must fit above the text panel at 1000 px
    form.setContentsMargins(6, 4, 6, 4)
    return form


def _row(form: QFormLayout, label: str, *widgets: QWidget, tip: str = "") -> None:
    """One form row: a short label (its tooltip says more) before one field, or several side by
    side; the label's buddy is the first field."""
    text = QLabel(label)
    text.setToolTip(tip or widgets[0].toolTip())
    text.setBuddy(widgets[0])
    if len(widgets) == 1:
        form.addRow(text, widgets[0])
        return
    box = QWidget()
    line = QHBoxLayout(box)
    line.setContentsMargins(0, 0, 0, 0)
    line.setSpacing(4)
    for widget in widgets:
        line.addWidget(widget, 1)
    form.addRow(text, box)


def _combo(choices, tip: str) -> QComboBox:
    box = QComboBox()
    box.addItems(list(choices))
    box.setToolTip(tip)
    return box


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


def _double(low: float, high: float, value: float, step: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(2)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


class ControlsForm(QWidget):
    """Data, Model and Training groups, the run buttons, and the "needs reset" notice."""

    train_toggled = pyqtSignal()  # Train / Pause
    step_requested = pyqtSignal()  # one update
    train_n_requested = pyqtSignal(int)  # "Train N steps"
    reset_requested = pyqtSignal()  # rebuild the model with the form's settings
    open_file_requested = pyqtSignal()
    live_settings_changed = pyqtSignal(dict)  # {"lr", "clip_mode", "clip_threshold"}
    pending_changed = pyqtSignal(list)  # labels of settings waiting for a Reset

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._applied: dict = {}  # the settings the running trainer was built with
        self._filling = False  # True while set_settings fills the widgets (no signals then)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._build_data())
        layout.addWidget(self._build_model())
        layout.addWidget(self._build_training())
        layout.addWidget(self._build_more())
        layout.addStretch(1)
        # the run buttons and the "needs reset" notice: a separate widget, so the window can
        # keep them in view below the (scrollable) settings
        self.run_panel = QWidget()
        run_layout = QVBoxLayout(self.run_panel)
        run_layout.setContentsMargins(4, 2, 4, 2)
        run_layout.addLayout(self._build_buttons())
        self.pending_label = QLabel("")
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet("color: #b35900; font-weight: bold;")
        self.pending_label.setToolTip("These settings change the network's shape or the run itself; "
                                      "press Reset (Ctrl+R) to apply them. Learning rate and "
                                      "clipping apply at once, even while training.")
        run_layout.addWidget(self.pending_label)
        for widget in self._reset_widgets():
            signal = (widget.currentIndexChanged if isinstance(widget, QComboBox)
                      else widget.toggled if isinstance(widget, QCheckBox) else widget.valueChanged)
            signal.connect(self._refresh_pending)
        for widget in (self.lr, self.clip_threshold):
            widget.valueChanged.connect(self._emit_live)
        self.clip_mode.currentIndexChanged.connect(self._emit_live)
        self.data_combo.currentIndexChanged.connect(self._sync_length_enabled)
        self.data_combo.currentIndexChanged.connect(self._sync_bidirectional_enabled)
        self.data_combo.currentIndexChanged.connect(self._sync_arch)
        self.cell.currentIndexChanged.connect(self._sync_forget_bias_enabled)
        self._sync_forget_bias_enabled()
        self._sync_arch()

    # ----------------------------------------------------------------- building
    def _build_data(self) -> QGroupBox:
        group = QGroupBox("Data")
        form = _form(group)
        self.data_combo = QComboBox()
        self.data_combo.setToolTip("What to train on: a sample text written for rnnviz, a synthetic "
                                   "long-memory task, or a file you opened. Applies on Reset.")
        self.data_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.data_combo.setMinimumContentsLength(10)  # "task: adding" fits beside Open…; long names elide
        self.open_button = QPushButton("Open…")  # beside the source list: one row
        self.open_button.setToolTip("Load a text (.txt) or series (.csv) file and train on it (Ctrl+O).")
        self.open_button.clicked.connect(self.open_file_requested)
        _row(form, "Source", self.data_combo, self.open_button)
        self.task_length = _spin(2, 1000, 50, "Task length T: how far back the answer depends on the "
                                 "input. Long T is where plain RNNs' gradients vanish.")
        _row(form, "Task T", self.task_length)
        return group

    def _build_model(self) -> QGroupBox:
        group = QGroupBox("Model")
        form = _form(group)
        self.cell = _combo(CELL_CHOICES, "The recurrent cell. tanh/relu/linear are vanilla RNNs "
                           "h' = f(W_ih x + W_hh h + b); LSTM and GRU add gates that keep gradients alive.")
        self.hidden_size = _spin(1, 1024, 64, "Units per layer (H). The heatmaps show every unit.")
        self.num_layers = _spin(1, 4, 1, "Stacked recurrent layers; each gets its own curves.")
        self.init = _combo(INIT_CHOICES, "normal: Gaussian / sqrt(fan-in); orthogonal: every singular "
                           "value equal; identity: W_hh = I (the IRNN start).")
        self.init_scale = _double(0.001, 10.0, 1.0, 0.1, "Multiplies the initial weights; for normal "
                                  "init the spectral radius of W_hh is about this number.")
        self.init_scale.setDecimals(3)  # 0.001: the Exploding preset's small input weights
        self.recurrent_scale = _double(0.0, 10.0, 0.0, 0.1, "Rescale W_hh so its largest singular "
                                       "value is this number: below 1 the gradient chain must vanish, "
                                       "well above 1 it can explode. 0 keeps the init's own scale.")
        self.recurrent_scale.setSpecialValueText("init's own")
        self.forget_bias = _double(-10.0, 10.0, 1.0, 0.5, "LSTM only: the forget gate's bias at start. "
                                   "1 (the usual choice) keeps the cell state, and with it the gradient, "
                                   "from the first step; below 0 the cell forgets within a few steps.")
        self.bidirectional = QCheckBox("both directions")
        self.bidirectional.setToolTip(BIDIRECTIONAL_TIP)
        self._loaded_predicts_next = None  # what the data in use says (files are known only once loaded)
        self.arch = _combo(ARCH_CHOICES, "stack: one recurrent stack; seq2seq: an encoder reads the source, "
                           "and its last state (the context) drives a decoder; vec2seq: a code vector drives "
                           "it. Set by the data: the reverse and bottleneck tasks need seq2seq, waveform "
                           "vec2seq.")
        self.arch.setEnabled(False)  # follows the data choice
        self.context = _combo(CONTEXT_CHOICES, "seq2seq / vec2seq: the context (or the code vector) starts "
                              "the decoder (init), is fed to it at every step, or both.")
        self.reverse_source = QCheckBox("read backwards")
        self.reverse_source.setToolTip("seq2seq: the encoder reads the source backwards, so its first tokens "
                                       "sit next to the context and the first answers (Sutskever et al. 2014).")
        self.decoder_hidden = _spin(0, 1024, 0, "seq2seq: the decoder's units; 0 = as many as the encoder (Size).")
        self.decoder_hidden.setSpecialValueText("as encoder")
        self.decoder_cell = _combo(("as encoder",) + CELL_CHOICES, "seq2seq: the decoder's cell.")
        self.model_seed = _spin(0, 2**31 - 1, 0, "Seed of the initial weights: the same seed gives "
                                "the same network, so two runs can be compared.")
        self.hidden_size.setSuffix(" units")
        self.num_layers.valueChanged.connect(
            lambda n: self.num_layers.setSuffix(" layer" if n == 1 else " layers"))
        self.num_layers.setSuffix(" layer")  # 1 at start
        _row(form, "Cell", self.cell)
        _row(form, "Size", self.hidden_size, self.num_layers,
             tip="Hidden units per layer (H), and how many recurrent layers are stacked.")
        _row(form, "Init", self.init, self.init_scale,
             tip="How the weights start (normal, orthogonal, identity), and the scale they are multiplied by.")
        _row(form, "W_hh σ_max", self.recurrent_scale)
        _row(form, "Forget bias", self.forget_bias)
        _row(form, "Directions", self.bidirectional)
        return group

    def _build_more(self) -> QWidget:
        """Seeds and the encoder-decoder's options: folded away until wanted, so the everyday
        fields fit the dock without a scroll bar."""
        from rnnviz.gui.window.section import Section

        body = QWidget()
        form = _form(body)
        _row(form, "Shape", self.arch)
        _row(form, "Context", self.context)
        _row(form, "Reverse", self.reverse_source)
        _row(form, "Decoder", self.decoder_hidden, self.decoder_cell,
             tip="seq2seq: the decoder's units (0 = as the encoder) and its cell.")
        _row(form, "Weight seed", self.model_seed)
        _row(form, "Batch seed", self.train_seed)
        _row(form, "LR growth", self.lr_growth)
        _row(form, "Read-out lr", self.readout_lr)
        self.more = Section(MORE_TITLE, body, tip="Seeds, the learning rate's growth per step, and the "
                                                  "encoder-decoder's shape, context and decoder (opened by "
                                                  "itself when the data needs an encoder-decoder).")
        return self.more

    def _build_training(self) -> QGroupBox:
        group = QGroupBox("Training")
        form = _form(group)
        self.optimizer = _combo(OPTIMIZER_CHOICES, "How gradients become updates. SGD shows exploding "
                                "gradients most plainly; Adam rescales them per parameter.")
        self.lr = LogSpinBox(1e-20, 10.0, 1e-3)
        self.lr.setToolTip("Learning rate; arrows halve or double it. Applies at once, even while training.")
        self.batch_size = _spin(1, 512, 32, "Sequences per update; the loss is averaged over them.")
        self.seq_len = _spin(2, 1000, 50, SEQ_LEN_TIP)
        self.seq_len.setSuffix(" steps")
        self.clip_mode = _combo(CLIP_CHOICES, "none: raw gradients; value: clamp each element; "
                                "norm: rescale the whole gradient to at most the threshold. Applies at once.")
        self.clip_threshold = LogSpinBox(1e-4, 1e6, 1.0)
        self.clip_threshold.setToolTip("Clipping threshold (element value, or global norm). Applies at once.")
        self.train_seed = _spin(0, 2**31 - 1, 0, "Seed of the batches drawn for training.")
        self.lr_growth = _double(0.5, 2.0, 1.0, 0.01, "The learning rate is multiplied by this after every "
                                 "update: 1 keeps it constant; above 1 it rises until the loss diverges "
                                 "(a learning-rate range test). Applies at reset.")
        self.lr_growth.setDecimals(3)
        self.lr_growth.setSuffix(" × per step")
        self.readout_lr = OptionalRateBox(1e-20, 10.0, "as lr", lambda: self.lr.value())
        self.readout_lr.setToolTip("The read-out layer's own learning rate (out.weight, out.bias), grown "
                                   "like the learning rate; \"as lr\" uses the learning rate. Applies at reset.")
        _row(form, "Optimizer", self.optimizer)
        _row(form, "Learning rate", self.lr)
        _row(form, "Batch", self.batch_size)
        _row(form, "Sequence", self.seq_len)
        _row(form, "Clipping", self.clip_mode, self.clip_threshold,
             tip="How gradients are clipped (none, value, norm) and the threshold. Applies at once.")
        return group

    def _build_buttons(self) -> QVBoxLayout:
        column = QVBoxLayout()
        row = QHBoxLayout()
        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Start or pause training (Space).")
        self.train_button.clicked.connect(self.train_toggled)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Apply exactly one update (S or →).")
        self.step_button.clicked.connect(self.step_requested)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Rebuild the network from the settings above (Ctrl+R).")
        self.reset_button.clicked.connect(self.reset_requested)
        for button in (self.train_button, self.step_button, self.reset_button):
            row.addWidget(button)
        column.addLayout(row)
        row = QHBoxLayout()
        self.n_steps = _spin(1, 1_000_000, 500, "How many updates \"Train N\" applies before pausing.")
        self.train_n_button = QPushButton("Train N steps")
        self.train_n_button.setToolTip("Train this many updates, with a progress bar, then pause.")
        self.train_n_button.clicked.connect(lambda: self.train_n_requested.emit(self.n_steps.value()))
        row.addWidget(self.n_steps)
        row.addWidget(self.train_n_button)
        column.addLayout(row)
        from rnnviz.gui.window.keys import HINT

        self.key_hint = QLabel(HINT)  # always on screen: how to get Space back after typing
        self.key_hint.setWordWrap(True)
        self.key_hint.setStyleSheet("color: #555555;")
        column.addWidget(self.key_hint)
        return column

    def _reset_widgets(self):
        return (self.data_combo, self.task_length, self.cell, self.hidden_size, self.num_layers,
                self.init, self.init_scale, self.recurrent_scale, self.forget_bias, self.bidirectional,
                self.context, self.reverse_source, self.decoder_hidden, self.decoder_cell,
                self.model_seed, self.optimizer,
                self.batch_size, self.seq_len, self.train_seed, self.lr_growth, self.readout_lr)

    # ----------------------------------------------------------------- data choices
    def set_data_choices(self, samples, tasks) -> None:
        """Fill the source list: sample texts first (the default), then tasks."""
        self._filling = True
        try:
            self.data_combo.clear()
            for name in samples:
                self.data_combo.addItem(f"sample: {name}", {"kind": "sample", "name": name})
            for name in tasks:
                self.data_combo.addItem(f"task: {name}", {"kind": "task", "name": name})
        finally:
            self._filling = False

    def _select_data(self, choice: dict) -> None:
        """Select the entry for ``choice``, adding it (an opened file, a session) when new."""
        key = _data_key(choice)
        for index in range(self.data_combo.count()):
            item = self.data_combo.itemData(index) or {}
            if _data_key(item) == key or (key == ("sample", None) and item.get("kind") == "sample"):
                self.data_combo.setCurrentIndex(index)
                return
        kind, name = key
        shown = Path(name).name if kind in ("file", "session") and name else (name or "default")
        entry = {k: v for k, v in choice.items() if k != "length"}
        self.data_combo.addItem(f"{kind}: {shown}", entry)
        self.data_combo.setCurrentIndex(self.data_combo.count() - 1)

    def _sync_length_enabled(self) -> None:
        is_task = self.data_choice().get("kind") == "task"
        self.task_length.setEnabled(is_task)
        self.seq_len.setEnabled(not is_task)  # a task's sequences are as long as the task says
        self.seq_len.setToolTip(SEQ_LEN_TIP + (" (Tasks set their own length: see Task T.)" if is_task else ""))

    def set_loaded_predicts_next(self, value) -> None:
        """What the data in use says about next-token targets (for files, known once loaded)."""
        self._loaded_predicts_next = value
        self._sync_bidirectional_enabled()

    def _sync_bidirectional_enabled(self, *_args) -> None:
        from rnnviz.core.train.presets import predicts_next, shape_for_data

        choice = self.data_choice()
        refused = predicts_next(choice)
        if refused is None:  # a file: as its loaded source says, if it is the one in use
            applied = self._applied.get("data") if self._applied else None
            same = applied == (choice.get("kind"), choice.get("name"), choice.get("path"))
            refused = bool(self._loaded_predicts_next) if same else False
        paired = shape_for_data(choice) != "stack"
        self.bidirectional.setEnabled(not (refused or paired))
        self.bidirectional.setToolTip(BIDIRECTIONAL_REFUSED if refused else BIDIRECTIONAL_FOR_STACK if paired
                                      else BIDIRECTIONAL_TIP)
        if refused or paired:
            self.bidirectional.setChecked(False)

    def _sync_arch(self, *_args) -> None:
        """The shape follows the data: a task pairing a source with a target needs an encoder-decoder."""
        from rnnviz.core.train.presets import shape_for_data

        shape = shape_for_data(self.data_choice())
        _set_combo(self.arch, shape)
        for widget in (self.reverse_source, self.decoder_hidden, self.decoder_cell):
            widget.setEnabled(shape == "seq2seq")
        self.context.setEnabled(shape != "stack")
        # the decoder's fields matter now: say so on the section's title, and open it when the data
        # has just come to need them (the settings dock scrolls; a field out of sight is worse)
        self.more.button.setText(MORE_TITLE + (" (decoder)" if shape != "stack" else ""))
        if shape != "stack" and shape != getattr(self, "_shown_shape", "stack"):
            self.more.set_open(True)
        self._shown_shape = shape

    def _sync_forget_bias_enabled(self) -> None:
        self.forget_bias.setEnabled(self.cell.currentText() == "lstm")  # no other cell has a forget gate

    # ----------------------------------------------------------------- both ways
    def set_settings(self, model: dict, train: dict, data: dict) -> None:
        """Show the settings in use; they become the reference for "needs reset"."""
        self._filling = True
        try:
            if data:
                self._select_data(data)
                if data.get("kind") == "task" and data.get("length"):
                    self.task_length.setValue(int(data["length"]))
            _set_combo(self.cell, model.get("cell"))
            _set_value(self.hidden_size, model.get("hidden_size"))
            _set_value(self.num_layers, model.get("num_layers"))
            _set_combo(self.init, model.get("init"))
            _set_value(self.init_scale, model.get("init_scale"))
            if "recurrent_scale" in model:
                self.recurrent_scale.setValue(model["recurrent_scale"] or 0.0)
            _set_value(self.forget_bias, model.get("forget_bias"))
            self.bidirectional.setChecked(bool(model.get("bidirectional", False)))
            _set_combo(self.context, model.get("context"))
            self.reverse_source.setChecked(bool(model.get("reverse_source", False)))
            self.decoder_hidden.setValue(int(model.get("decoder_hidden_size") or 0))
            _set_combo(self.decoder_cell, model.get("decoder_cell") or "as encoder")
            _set_value(self.model_seed, model.get("seed"))
            _set_combo(self.optimizer, train.get("optimizer"))
            _set_value(self.lr, train.get("lr"))
            self.lr_growth.setValue(float(train.get("lr_growth", 1.0)))
            self.readout_lr.set_rate(train.get("readout_lr"))
            _set_value(self.batch_size, train.get("batch_size"))
            _set_value(self.seq_len, train.get("seq_len"))
            _set_combo(self.clip_mode, train.get("clip_mode"))
            _set_value(self.clip_threshold, train.get("clip_threshold"))
            _set_value(self.train_seed, train.get("seed"))
        finally:
            self._filling = False
        self._applied = self._reset_state()
        self._sync_length_enabled()
        self._sync_bidirectional_enabled()
        self._sync_arch()
        self._refresh_pending()

    def model_settings(self) -> dict:
        scale = self.recurrent_scale.value()
        return {"cell": self.cell.currentText(), "hidden_size": self.hidden_size.value(),
                "num_layers": self.num_layers.value(), "init": self.init.currentText(),
                "init_scale": self.init_scale.value(),
                "recurrent_scale": None if scale == 0.0 else scale,
                "forget_bias": self.forget_bias.value(), "bidirectional": self.bidirectional.isChecked(),
                "arch": self.arch.currentText(), "context": self.context.currentText(),
                "reverse_source": self.reverse_source.isChecked(),
                "decoder_hidden_size": self.decoder_hidden.value() or None,
                "decoder_cell": None if self.decoder_cell.currentIndex() == 0 else self.decoder_cell.currentText(),
                "seed": self.model_seed.value()}

    def train_settings(self) -> dict:
        return {"optimizer": self.optimizer.currentText(), "lr": self.lr.value(), "lr_growth": self.lr_growth.value(),
                "readout_lr": self.readout_lr.rate(),
                "batch_size": self.batch_size.value(), "seq_len": self.seq_len.value(),
                "clip_mode": self.clip_mode.currentText(),
                "clip_threshold": self.clip_threshold.value(), "seed": self.train_seed.value()}

    def live_settings(self) -> dict:
        train = self.train_settings()
        return {key: train[key] for key in LIVE_KEYS}

    def data_choice(self) -> dict:
        choice = dict(self.data_combo.currentData() or {"kind": "sample", "name": None})
        if choice.get("kind") == "task":
            choice["length"] = self.task_length.value()
        return choice

    def pending_changes(self) -> list[str]:
        """People-readable names of the settings that differ from the ones in use."""
        now = self._reset_state()
        return [LABELS.get(key, key) for key in now if self._applied and now[key] != self._applied.get(key)]

    def set_running(self, running: bool) -> None:
        self.train_button.setText("Pause" if running else "Train")
        self.step_button.setEnabled(not running)
        self.train_n_button.setEnabled(not running)

    # ----------------------------------------------------------------- internals
    def _reset_state(self) -> dict:
        model, train, data = self.model_settings(), self.train_settings(), self.data_choice()
        state = {"data": (data.get("kind"), data.get("name"), data.get("path")),
                 "length": data.get("length")}
        state.update({k: v for k, v in model.items() if k != "seed"})
        state["model_seed"] = model["seed"]
        state.update({k: v for k, v in train.items() if k not in LIVE_KEYS})
        return state

    def _refresh_pending(self, *_args) -> None:
        if self._filling:
            return
        pending = self.pending_changes()
        self.pending_label.setText(f"Needs reset: {', '.join(pending)}" if pending else "")
        self.reset_button.setText("Reset ●" if pending else "Reset")
        self.pending_changed.emit(pending)

    def _emit_live(self, *_args) -> None:
        if not self._filling:
            self.live_settings_changed.emit(self.live_settings())


def _data_key(choice: dict) -> tuple:
    """(kind, name or path): what makes two data choices the same entry in the list."""
    kind = choice.get("kind", "sample")
    return kind, choice.get("path") if kind in ("file", "session") else choice.get("name")


def _set_combo(box: QComboBox, value) -> None:
    if value is not None and box.findText(str(value)) >= 0:
        box.setCurrentIndex(box.findText(str(value)))


def _set_value(box, value) -> None:
    if value is not None:
        box.setValue(value)
