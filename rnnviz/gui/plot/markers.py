"""The steps a task marks (the adding problem's two numbers), drawn on a panel's time axis.

The adding problem's answer depends on two inputs only; whether the gradient reaches them is
the whole story of the Vanishing, IRNN and LSTM presets. A task's token labels start with "*"
at the marked steps (``rnnviz.core.data.tasks``); these lines show where they are, with one
legend entry, on the hidden states, the gradients through time and the Jacobian chain.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.gui.plot.legend import legend_entry

from rnnviz.gui.plot import style

MARK_COLOR = "#2CA02C"  # green: not a layer colour, not the horizon's purple, not the threshold's red
LEGEND_NAME = "marked input"  # short: the key shares a row with the curves' in a ~400 px dock


def marked_steps(labels) -> np.ndarray:
    """(n,) the timesteps t whose token label is marked with a leading '*'."""
    return np.array([t for t, label in enumerate(labels or []) if str(label).startswith("*")], dtype=int)


class StepMarkers:
    """Vertical lines at given x positions on one plot, plus a legend entry while any is shown."""

    def __init__(self, plot: pg.PlotItem, legend: bool = True) -> None:
        self.plot = plot
        self.pen = style.pen(MARK_COLOR, 2, dashed=True)
        self.lines: list[pg.InfiniteLine] = []
        # a curve with no points stands for the lines in the legend (an InfiniteLine has no sample)
        self.key = plot.plot([], [], pen=self.pen) if legend else None
        self.shown = 0

    def set(self, positions) -> None:
        positions = [float(x) for x in positions]
        while len(self.lines) < len(positions):
            line = pg.InfiniteLine(angle=90, movable=False, pen=self.pen)
            line.setZValue(5)
            self.plot.addItem(line, ignoreBounds=True)
            self.lines.append(line)
        for k, line in enumerate(self.lines):
            line.setVisible(k < len(positions))
            if k < len(positions):
                line.setValue(positions[k])
        self.shown = len(positions)
        if self.key is not None and self.plot.legend is not None:
            legend_entry(self.plot, self.key, LEGEND_NAME, bool(positions))
