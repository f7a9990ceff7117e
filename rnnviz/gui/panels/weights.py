"""Weights panel: one of a layer's three matrices at a time, or its gradient.

W_ih (input -> hidden), W_hh (hidden -> hidden, the recurrence whose spectrum decides
vanishing or exploding) and W_out (top layer -> output), chosen in the controls row and
drawn as one heatmap with symmetric levels, so white is zero and the colour bar says how
large the entries are. One map at a time fits a ~400 px dock at a readable size; the CSV
still holds all three. A toggle shows dL/dW instead: where learning is happening right now.

LSTM and GRU stack their gates' rows (PyTorch's order: i f g o, r z n); lines between the
blocks and the gate letters on the row axis show which rows feed which gate.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtWidgets
from PyQt6.QtCore import Qt

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import Heatmap, Panel, as_float, symmetric_levels, sync_layer_selector

# (key, PyTorch parameter name pattern, title, rows label, columns label)
MATRICES = (
    ("ih", "weight_ih_l{layer}", "W_ih", "to hidden unit", "from input"),
    ("hh", "weight_hh_l{layer}", "W_hh", "to hidden unit", "from hidden unit"),
    ("out", "out.weight", "W_out", "to output", "from top-layer unit"),
)
GATE_NAMES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}  # PyTorch's row-block order
BLOCK_LINE_COLOR = "#333333"  # dark, thin: reads on blue, white and red cells
DEFAULT_MATRIX = "hh"  # the recurrent matrix: the one the story is about
TIPS = {"ih": "input-to-hidden weights of the chosen layer",
        "hh": "hidden-to-hidden weights of the chosen layer: their size decides vanishing or exploding",
        "out": "readout weights from the top layer to the outputs"}


class WeightsPanel(Panel):
    view_name = "weights"
    title = "Weights"

    def _build(self) -> None:
        self.matrix = QtWidgets.QComboBox()
        self.matrix.setToolTip("which weight matrix to show")
        for key, _, title, *_ in MATRICES:
            self.matrix.addItem(title, key)
            self.matrix.setItemData(self.matrix.count() - 1, TIPS[key], Qt.ItemDataRole.ToolTipRole)
        self.matrix.setCurrentIndex([key for key, *_ in MATRICES].index(DEFAULT_MATRIX))
        self.matrix.currentIndexChanged.connect(self._redraw_if_view)
        self.controls.addWidget(self.matrix)
        self.layer = self.add_layer_selector()
        self.direction = QtWidgets.QComboBox()  # a network's stacks (directions, encoder/decoder); hidden for one
        self.direction.setToolTip("which stack's weights: a bidirectional net's direction (PyTorch names the "
                                  "backward ones ..._reverse), or an encoder-decoder's encoder or decoder")
        self.direction.currentIndexChanged.connect(self._redraw_if_view)
        self.direction.setVisible(False)
        self.controls.addWidget(self.direction)
        self.show_grads = self.add_checkbox("gradients", "show dL/dW (before clipping) instead of W")
        self.map = Heatmap(self.canvas.ci, "W_hh", "", "", style.diverging_colormap(), "")
        self._level: float | None = None  # the colour scale's end m, levels (-m, m): steady.level
        self.map.plot.invertY(True)  # row 0 at the top, as a matrix is printed
        self.block_lines: list[pg.InfiniteLine] = []  # between gate blocks; made as a cell needs them

    def _show_gate_blocks(self, gates: tuple, rows: int) -> None:
        """Lines between the stacked gate blocks and their letters on the row axis (nothing
        for a vanilla cell, or for W_out, whose rows are outputs)."""
        size = rows // len(gates) if gates and rows % len(gates) == 0 else 0
        blocks = len(gates) if size else 0
        while len(self.block_lines) < max(blocks - 1, 0):
            line = pg.InfiniteLine(angle=0, movable=False, pen=style.pen(BLOCK_LINE_COLOR, 1.5))
            self.map.plot.addItem(line)
            self.block_lines.append(line)
        for k, line in enumerate(self.block_lines):
            line.setVisible(k < blocks - 1)
            line.setValue((k + 1) * size - 0.5)  # between row (k+1)*H-1 and (k+1)*H
        ticks = None
        if blocks:
            letters = [((k + 0.5) * size - 0.5, name) for k, name in enumerate(gates)]
            starts = [(k * size, str(k * size)) for k in range(blocks)]
            ticks = [letters, starts]
        style.set_ticks(self.map.plot.getAxis("left"), ticks)

    def chosen(self) -> str:
        """The key of the matrix on show: "ih", "hh" or "out"."""
        return self.matrix.currentData() or DEFAULT_MATRIX

    def _redraw(self) -> None:
        snap = self.view.snapshot
        layers = int(self.view.model_config.get("num_layers", 1) or 1)
        layer = sync_layer_selector(self.layer, layers)
        key = self.chosen()
        _, pattern, title, rows_label, cols_label = next(m for m in MATRICES if m[0] == key)
        grads = self.show_grads.isChecked()
        source = snap.grads if grads else snap.params
        stacks = _stacks(self.view.model_config)
        if [self.direction.itemText(i) for i in range(self.direction.count())] != [s[0] for s in stacks]:
            self.direction.blockSignals(True)
            self.direction.clear()
            for name, prefix, end in stacks:
                self.direction.addItem(name, (prefix, end))
            self.direction.blockSignals(False)
        self.direction.setVisible(len(stacks) > 1)  # one named stack (vec2seq's decoder) needs no choice
        prefix, suffix = self.direction.currentData() if stacks and key != "out" else ("", "")
        matrix = as_float(source.get(prefix + pattern.format(layer=layer) + suffix)) if source else np.zeros(0)
        if matrix.ndim == 1:
            matrix = matrix[:, None]
        prefix = "\u2202L/\u2202" if grads else ""
        where = f", layer {layer}" if key != "out" and layers > 1 else ""
        where += f", {self.direction.currentText()}" if len(stacks) > 1 and key != "out" else ""
        style.set_title(self.map.plot, f"{prefix}{title}{where}")
        cell = str(self.view.model_config.get("cell", "")).lower()
        if prefix == "decoder.":
            cell = str(self.view.model_config.get("decoder_cell") or cell).lower()
        gates = GATE_NAMES.get(cell, ()) if key != "out" else ()
        if gates:
            rows_label += f" (gates {' '.join(gates)} stacked)"
        style.set_label(self.map.plot, "left", rows_label, **{"font-size": style.LABEL_SIZE})
        style.set_label(self.map.plot, "bottom", cols_label, **{"font-size": style.LABEL_SIZE})
        if matrix.ndim != 2 or matrix.size == 0:
            self.map.clear()
            self._show_gate_blocks((), 0)
            return
        rows, cols = matrix.shape
        self._level = steady.level(self._level, symmetric_levels(matrix)[1])
        levels = (-self._level, self._level)  # steady: the bar's axis is drawn again only when it changes
        self.map.set(matrix, levels, (-0.5, -0.5, cols, rows))  # entry (i, j) at y=i, x=j
        style.set_ticks(self.map.bar.getAxis("right"), style.symmetric_bar_ticks(levels[1]))
        self._show_gate_blocks(gates, rows)


def _stacks(model_config: dict) -> list:
    """(name, parameter prefix, suffix) of each recurrent stack the Weights panel can show."""
    if model_config.get("arch") == "seq2seq":
        return [("encoder", "encoder.", ""), ("decoder", "decoder.", "")]
    if model_config.get("arch") == "vec2seq":
        return [("decoder", "decoder.", "")]
    if model_config.get("bidirectional"):
        return [("forward", "", ""), ("backward", "", "_reverse")]
    return [("", "", "")]
