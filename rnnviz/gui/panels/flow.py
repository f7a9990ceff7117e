"""Gradient-flow panel: vanishing setting in (or being cured) across training.

A heatmap of log10 ||dL/dh_t|| (batch mean, bottom layer) with the timestep t across and the
training step upwards, from the history. A dark band spreading from early t towards late t
is the gradient fading away as training goes on.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.core.tables.history import flow_logs
from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import Heatmap, Panel, as_float, finite_range, same_values


RECENT_ROWS = 0.3  # colour levels follow the latest 30 % of the recorded steps (at least MIN_RECENT_ROWS)
MIN_RECENT_ROWS = 8


def recent_levels(logs: np.ndarray) -> tuple[float, float]:
    """Colour levels spanning the recent rows: after an early spike (a norm of 1e10 before
    clipping took hold) the rest of the map is not one dark colour; older rows beyond the
    levels show in the colour map's end colours."""
    rows = logs.shape[0]
    keep = max(MIN_RECENT_ROWS, int(np.ceil(RECENT_ROWS * rows)))
    return finite_range(logs[-keep:]) or finite_range(logs) or (-1.0, 1.0)


class StepAxis(pg.AxisItem):
    """Row i of the flow map is the i-th recorded step; ticks show the step number, so
    unevenly recorded history (thinned ring buffers) still reads correctly."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.steps = np.zeros(0)

    def set_steps(self, steps: np.ndarray) -> None:
        """The step of each row; the tick labels are drawn again only when these change."""
        if not same_values(steps, self.steps):
            self.steps = steps
            self.picture = None  # pyqtgraph's cached drawing of the axis
            self.update()

    def tickStrings(self, values, scale, spacing):
        out = []
        for value in values:
            row = int(np.floor(value + 0.5))  # row i is centred on y = i
            out.append(str(int(self.steps[row])) if 0 <= row < self.steps.size else "")
        return out


class FlowPanel(Panel):
    view_name = "flow"
    title = "Gradient flow"

    def _build(self) -> None:
        self.step_axis = StepAxis("left")
        self.map = Heatmap(self.canvas.ci, "Gradient flow over training", "training step", "time step t",
                           style.sequential_colormap(), "log\u2081\u2080 \u2016\u2202L/\u2202h_t\u2016",
                           axis_items={"left": self.step_axis})
        self.map.plot.setToolTip("log\u2081\u2080 \u2016\u2202L/\u2202h_t\u2016, batch mean, layer 0: "
                                 "one row per recorded training step")
        self.empty = pg.TextItem("no gradient history yet: train a few steps", color=style.UNKNOWN_COLOR,
                                 anchor=(0.5, 0.5))
        self.map.plot.addItem(self.empty)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps (S,), norms (S, T)) with matching lengths."""
        steps = as_float(self.view.flow_steps).ravel()
        flow = as_float(self.view.flow)
        if flow.ndim != 2 or flow.shape[0] != steps.size:
            return np.zeros(0), np.zeros((0, 0))
        return steps, flow

    def _draws_the_same(self, previous, view) -> bool:
        """The history grows only when a profile is recorded (every ``diag_every`` steps)."""
        return same_values(previous.flow_steps, view.flow_steps) and same_values(previous.flow, view.flow)

    def log_norms(self, flow: np.ndarray) -> np.ndarray:
        """log10 of the norms; 0 drawn at the log floor, NaN/Inf left out (transparent)."""
        return flow_logs(flow)

    def _redraw(self) -> None:
        steps, flow = self.arrays()
        self.step_axis.set_steps(steps)
        if flow.size == 0:
            self.map.clear()
            self.empty.setVisible(True)
            steady.set_range(self.map.plot, x=(0, 1), y=(0, 1))
            self.empty.setPos(0.5, 0.5)
            return
        self.empty.setVisible(False)
        logs = self.log_norms(flow)
        levels = recent_levels(logs)
        rows, steps_t = flow.shape
        # rows = recorded steps (y), cols = t (x); cells centred on the integers
        self.map.set(logs, levels, (-0.5, -0.5, steps_t, rows))
