"""The confirmation dialog of File > Open weights…: what a PyTorch weights file holds, and how to read it.

It shows what was inferred from the file's names and shapes (module, sizes, layers, readout)
before any tensor is read, and lets the user map names the file spells otherwise (the
recurrent module, the readout) and choose what the weights cannot tell (tanh or relu for an
``nn.RNN``). Every change is checked at once against the header; a choice that does not fit
says why in the dialog and the Open button stays disabled.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from rnnviz.core.errors import UserError
from rnnviz.core.nn.exchange import preview
from rnnviz.core.nn.torch_names import readout_candidates, recurrent_prefixes

NONLINEARITIES = ("tanh", "relu")  # nn.RNN's; the gated cells are told by their weights
NO_READOUT = "(none in the file: a fresh readout)"


class WeightsDialog(QDialog):
    """Pick the recurrent module, the readout and the nonlinearity; ``choice()`` after exec()."""

    def __init__(self, weights, data_name: str, parent=None, prefix=None, readout=None, cell=None,
                 note: str = "") -> None:
        super().__init__(parent)
        self.weights = weights
        self.setWindowTitle("Open weights")
        self.setMinimumWidth(520)
        shapes = weights.shapes
        self.prefix = QComboBox()
        self.prefix.setEditable(True)
        self.prefix.addItems(recurrent_prefixes(shapes) or [prefix or "rnn."])
        self.prefix.setToolTip("the recurrent module's name in the state_dict, e.g. rnn. for model.rnn")
        self.prefix.lineEdit().setPlaceholderText("(none: the names start with weight_ih_l0)")
        self.readout = QComboBox()
        self.readout.setEditable(True)
        self.readout.setToolTip("the nn.Linear that reads the top layer's hidden state, e.g. out. or fc.")
        self.cell = QComboBox()
        self.cell.addItems(NONLINEARITIES)
        self.cell.setToolTip("nn.RNN's nonlinearity: its weights cannot tell tanh from relu")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #8a5a00")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("File:", QLabel(weights.path.name))
        form.addRow("Recurrent module:", self.prefix)
        form.addRow("Readout:", self.readout)
        form.addRow("Nonlinearity (nn.RNN):", self.cell)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        data = QLabel(f"Data: {data_name}. The weights must fit it (vocabulary or channels)."
                      + (f"\n{note}" if note else ""))
        data.setWordWrap(True)
        layout.addWidget(data)
        layout.addWidget(self.buttons)
        self._start(prefix, readout, cell)
        for box in (self.prefix, self.readout):
            box.currentTextChanged.connect(self.refresh)
        self.cell.currentTextChanged.connect(self.refresh)
        self.refresh()

    def _start(self, prefix, readout, cell) -> None:
        """Fill the fields with what the file reads as (or what was asked for)."""
        try:
            layout, chosen_cell, _, _ = preview(self.weights, prefix, readout, cell)
            prefix, readout, cell = layout.prefix, layout.readout, chosen_cell
        except UserError:
            pass  # shown by refresh(), in the dialog
        if prefix is not None:
            self.prefix.setCurrentText(prefix)
        self._fill_readouts(readout)
        if cell in NONLINEARITIES:
            self.cell.setCurrentText(cell)

    def _fill_readouts(self, readout) -> None:
        options = readout_candidates(self.weights.shapes, self.prefix.currentText())
        self.readout.addItems(options or [NO_READOUT])
        if readout is not None:
            self.readout.setCurrentText(readout)

    def choice(self) -> dict:
        """Keyword arguments for ``read_weights``: prefix, readout and cell."""
        readout = self.readout.currentText().strip()
        return {"prefix": self.prefix.currentText().strip(),
                "readout": None if readout in ("", NO_READOUT) else readout,
                "cell": self.cell.currentText() if self.cell.isEnabled() else None}

    def refresh(self) -> None:
        """Check the current choice against the header; say what it reads as, or why not."""
        open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        choice = self.choice()
        try:
            layout = preview(self.weights, choice["prefix"], choice["readout"])[0]
            self.cell.setEnabled(layout.gates == 1)  # the gated cells are told by their weights
            layout, cell, _, warnings = preview(self.weights, **self.choice())
        except UserError as exc:
            self.summary.setText(f"Cannot read it this way: {exc}")
            self.summary.setStyleSheet("color: #b00020")
            self.warnings.setText("")
            open_button.setEnabled(False)
            return
        hint = (" Its weights cannot tell tanh from relu: choose the nonlinearity it was trained with."
                if layout.gates == 1 else "")
        self.summary.setText(f"Reads as {layout.describe(cell)}.{hint}")
        self.summary.setStyleSheet("")
        self.warnings.setText("\n".join(f"Note: {w}" for w in warnings))
        open_button.setEnabled(True)
