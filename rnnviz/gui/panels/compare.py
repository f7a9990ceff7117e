"""Comparison panel: the current run's gradient profile beside a tanh twin's.

The twin is trained by rnnviz.core.train.compare on the worker thread (same data, sizes, seeds and
optimizer; only the cell differs); this panel asks for it with its button, shows progress
while it trains, and then draws both batch-mean ||dL/dh_t|| curves on one log axis with
each network's gradient horizon. A gated cell's curve staying up towards early t while the
tanh curve falls away is the cure the articles promise.

Unlike the other panels it draws a ``Comparison``, not a ViewData, so it is not in
PANEL_CLASSES (``Export all`` writes ViewData panels); "Export this panel" works as usual.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from rnnviz.core.train.compare import MAX_TWIN_STEPS
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import Panel, as_float, for_log_axis, log_floor, show_item

TITLE = "\u2016\u2202L/\u2202h_t\u2016: this run vs a tanh twin"
HINT = "Compare with tanh: train a tanh twin on the same data and seeds, then draw both profiles here"
CURRENT_COLOR = style.LAYER_COLORS[0]  # the app's main blue, as this run's curves in every other panel
TWIN_COLOR = "#888888"  # grey: the reference, drawn dashed so it reads apart in print too


class ComparePanel(Panel):
    view_name = "compare"
    title = "Compare with tanh"
    compare_requested = QtCore.pyqtSignal()

    def _build(self) -> None:
        self.result = None  # the last rnnviz.core.train.compare.Comparison shown
        self.button = QtWidgets.QPushButton("Compare with tanh")
        self.button.setToolTip(f"train a tanh network on the same data with the same seeds for as many "
                               f"steps as this run (at most {MAX_TWIN_STEPS}), then compare the gradient "
                               "reaching each timestep")
        self.button.clicked.connect(self.compare_requested)
        self.controls.addWidget(self.button)
        self.state = QtWidgets.QLabel("")
        self.controls.addWidget(self.state, 1)
        self.plot: pg.PlotItem = self.canvas.addPlot(row=0, col=0, axisItems=style.log_axis())
        style.style_plot(self.plot, TITLE, "\u2016\u2202L/\u2202h_t\u2016 (log scale)", "time step t")
        self.plot.setLogMode(x=False, y=True)
        style.add_legend(self.plot, self.canvas.ci, row=1, columns=1)  # one entry a row: the names are long
        self.note = self.canvas.addLabel("", row=2, col=0, size="9pt", color=style.UNKNOWN_COLOR)
        self.note.setToolTip(f"the tanh twin shares the data, sizes, weight seed, optimizer and batch seed; it "
                             f"trains as many steps as this run had, at most {MAX_TWIN_STEPS}; both profiles "
                             "come from the same held-out batch")
        self.current = self.plot.plot(pen=style.pen(CURRENT_COLOR), connect="finite")
        self.twin = self.plot.plot(pen=style.pen(TWIN_COLOR, dashed=True), connect="finite")
        self.marks = {}
        for key, color in (("current", CURRENT_COLOR), ("twin", TWIN_COLOR)):
            mark = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(color, 1.5, dotted=True))
            self.plot.addItem(mark)
            mark.setVisible(False)
            self.marks[key] = mark
        self.empty = pg.TextItem(HINT, color=style.UNKNOWN_COLOR, anchor=(0.5, 0.5))
        self.plot.addItem(self.empty, ignoreBounds=True)
        self.show_comparison(None)

    # ------------------------------------------------------------------ requests and answers
    def set_busy(self, done: int = 0, total: int = 0) -> None:
        """Training the twin: the button waits, the label counts steps."""
        self.button.setEnabled(False)
        self.state.setText(f"training the tanh twin\u2026 {done}/{total}" if total else "training the tanh twin\u2026")

    def show_comparison(self, result) -> None:
        """Draw a Comparison (None: clear, e.g. after a failure or for a new run)."""
        self.result = result
        self.button.setEnabled(True)
        self.state.setText("")
        self._refresh()  # not only _draw: the legend hidden while empty must be shown again

    def _redraw(self) -> None:
        self._draw()  # a new ViewData changes nothing here; the note says when the run has moved on

    def _draw(self) -> None:
        result = self.result
        if result is None:
            for key, curve in (("current", self.current), ("twin", self.twin)):
                curve.setData([], [])
                show_item(self.plot, curve, "", False)
                self.marks[key].setVisible(False)
            self.empty.setVisible(True)
            self.plot.setLogMode(x=False, y=False)  # an empty log axis would range over 1e0..1e1 oddly
            self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            self.empty.setPos(0.5, 0.5)
            self.note.setText("")
            return
        self.empty.setVisible(False)
        self.plot.setLogMode(x=False, y=True)
        current, twin = as_float(result.profile), as_float(result.twin_profile)
        floor = log_floor(current, twin)
        t = np.arange(current.size)
        cell = result.cell.upper() if result.cell in ("lstm", "gru") else result.cell
        for key, curve, values, horizon, name in (
                ("current", self.current, current, result.horizon, f"{cell} (this run), horizon {result.horizon}"),
                ("twin", self.twin, twin, result.twin_horizon, f"tanh twin, horizon {result.twin_horizon}")):
            curve.setData(t[: values.size], for_log_axis(values, floor)[0])
            show_item(self.plot, curve, name, True)
            self.marks[key].setValue(values.size - 1 - int(horizon))  # horizon k = lag back from the last step
            self.marks[key].setVisible(values.size > 0)
        self.plot.enableAutoRange()
        self.plot.legend.setVisible(True)
        self.plot.legend.updateSize()  # entries added while hidden leave it measured at zero height
        self.plot.legend.updateGeometry()
        self.note.setText(self._note(result))
        style.relax(self.note)

    def _note(self, result) -> str:
        """One short line (a ~400 px dock): when it was compared and how far the twin trained."""
        twin = f"twin {result.twin_steps} steps"
        if result.capped:
            twin += f" (capped at {MAX_TWIN_STEPS})"
        if result.twin_status == "diverged":
            twin += ", diverged"
        elif result.twin_status == "stopped":
            twin += ", stopped early"
        now = ""
        if self.view is not None and self.view.snapshot.step != result.steps:
            now = f" \u2022 run now at {self.view.snapshot.step}"
        return f"at step {result.steps} \u2022 {twin}{now}"

    def table_data(self):
        return self.result
