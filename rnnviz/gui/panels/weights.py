"""Weights panel: the three matrices of one layer, or their gradients.

W_ih (input -> hidden), W_hh (hidden -> hidden, the recurrence whose spectrum decides
vanishing or exploding) and W_out (top layer -> output) as heatmaps with symmetric levels,
so white is zero and the colour bar says how large the entries are. A toggle shows
dL/dW instead: where learning is happening right now.
"""

from __future__ import annotations

import numpy as np

from rnnviz.gui import style
from rnnviz.gui.panels.base import Heatmap, Panel, as_float, symmetric_levels, sync_layer_selector

# (key in the figure, PyTorch parameter name pattern, title, rows label, columns label)
MATRICES = (
    ("ih", "weight_ih_l{layer}", "W_ih", "to hidden unit (gate blocks stacked)", "from input"),
    ("hh", "weight_hh_l{layer}", "W_hh", "to hidden unit (gate blocks stacked)", "from hidden unit"),
    ("out", "out.weight", "W_out", "to output", "from top-layer unit"),
)


class WeightsPanel(Panel):
    view_name = "weights"
    title = "Weights"

    def _build(self) -> None:
        self.layer = self.add_layer_selector()
        self.show_grads = self.add_checkbox("show gradients", "show dL/dW (before clipping) instead of W")
        colormap = style.diverging_colormap()
        self.maps = {}
        for col, (key, _, title, rows_label, cols_label) in enumerate(MATRICES):
            heatmap = Heatmap(self.canvas.ci, title, rows_label, cols_label, colormap, "", row=0, col=col)
            heatmap.plot.invertY(True)  # row 0 at the top, as a matrix is printed
            self.maps[key] = heatmap

    def _names(self, layer: int) -> dict:
        return {key: pattern.format(layer=layer) for key, pattern, *_ in MATRICES}

    def _redraw(self) -> None:
        snap = self.view.snapshot
        layers = int(self.view.model_config.get("num_layers", 1) or 1)
        layer = sync_layer_selector(self.layer, layers)
        source = snap.grads if self.show_grads.isChecked() else snap.params
        prefix = "\u2202L/\u2202" if self.show_grads.isChecked() else ""
        for key, _, title, *_ in MATRICES:
            name = self._names(layer)[key]
            matrix = as_float(source.get(name)) if source else np.zeros(0)
            if matrix.ndim == 1:
                matrix = matrix[:, None]
            heatmap = self.maps[key]
            suffix = f" (layer {layer})" if key != "out" else ""
            heatmap.plot.setTitle(f"{prefix}{title}{suffix}", size=style.TITLE_SIZE)
            if matrix.ndim != 2 or matrix.size == 0:
                heatmap.clear()
                continue
            rows, cols = matrix.shape
            heatmap.set(matrix, symmetric_levels(matrix), (-0.5, -0.5, cols, rows))  # entry (i, j) at y=i, x=j

    def _table(self):
        header = ["parameter", "row", "col", "weight", "gradient"]
        if self.view is None:
            return header, []
        snap = self.view.snapshot
        rows = []
        for name in sorted(snap.params):
            if not (name.startswith("weight_") or name == "out.weight"):
                continue  # biases are not drawn
            weight = as_float(snap.params[name])
            grad = as_float(snap.grads.get(name)) if snap.grads else np.zeros(0)
            if grad.shape != weight.shape:
                grad = np.full(weight.shape, np.nan)
            for (i, j), value in np.ndenumerate(weight):
                rows.append([name, i, j, float(value), float(grad[i, j])])
        return header, rows
