"""Gradients-through-time panel: how much of the loss's gradient reaches each timestep.

||dL/dh_t|| against t on a log axis, one colour per layer: solid for the snapshot's sample,
dashed for the batch mean. Vanishing shows as a straight line falling towards early t (a
constant factor lost per step); exploding as one rising towards early t.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.core.tables.gradients import grad_column_names, grad_columns
from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.plot.markers import StepMarkers, marked_steps
from rnnviz.gui.panels.group import RunOverlay
from rnnviz.gui.panels.marked import MarkedLine
from rnnviz.gui.panels.base import (Line, Panel, as_float, divergence_note, floor_note, for_log_axis, line,
                                    log_floor, set_title, show_item)

TITLE = "Gradient reaching each timestep"
NOTHING_FINITE = "All NaN/Inf"  # the title when every dL/dh_t overflowed; short, to fit the dock


class GradientsPanel(Panel):
    view_name = "gradients"
    title = "Gradients through time"

    def _build(self) -> None:
        self.plot: pg.PlotItem = self.canvas.addPlot(row=0, col=0, axisItems=style.log_axis())
        style.style_plot(self.plot, TITLE, "\u2016\u2202L/\u2202h_t\u2016 (log scale)",
                         "time step t")
        self.plot.setLogMode(x=False, y=True)
        self.legend = style.add_legend(self.plot, self.canvas.ci, row=1)  # below: never over the curves
        self.runs = RunOverlay(self.plot, "profile")  # the other runs, when runs are compared
        self.sample_curves: list[Line] = []
        self.mean_curves: list[Line] = []
        self.markers = StepMarkers(self.plot)
        # an encoder-decoder's one time axis: the source's steps, the context, the decoder's steps
        self.divider = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.MARKER_COLOR, dotted=True),
                                       label="context \u2192 decoder", labelOpts={"position": 0.95,
                                                                                  "color": style.MARKER_COLOR})
        self.plot.addItem(self.divider, ignoreBounds=True)
        self.divider.setVisible(False)
        # a vector-to-sequence net: how strongly step t's own loss reaches the code vector
        self.vector_curve = MarkedLine(self.plot, style.pen(style.MARKER_COLOR, 2), "o", 4, brush=style.MARKER_COLOR,
                                       log_y=True)

    def _ensure_curves(self, layers: int, names=None) -> None:
        """One solid and one dashed curve per layer (or per part and layer: ``names``); made
        when a deeper model first appears."""
        while len(self.sample_curves) < layers:
            color = style.layer_color(len(self.sample_curves))
            self.sample_curves.append(line(self.plot, style.pen(color), log_y=True))
            self.mean_curves.append(line(self.plot, style.pen(color, dashed=True), log_y=True))
        for k, (sample, mean) in enumerate(zip(self.sample_curves, self.mean_curves)):
            name = names[k] if names is not None and k < len(names) else f"layer {k}"
            show_item(self.plot, sample, f"{name}, this sample", k < layers)
            show_item(self.plot, mean, f"{name}, batch mean", k < layers)

    def names(self) -> list | None:
        """For a network of several stacks side by side in h_t (forward, backward): a name per
        column of ``norms``, part by part and layer by layer; None for one stack."""
        return grad_column_names(self.view.snapshot)

    def norms(self) -> tuple[np.ndarray, np.ndarray]:
        """(sample (T, C), batch mean (T, C)) of ||dL/dh_t|| as the snapshot carries them: C = L
        columns, one per layer, or one per part and layer for several stacks side by side."""
        return grad_columns(self.view.snapshot)

    def _redraw(self) -> None:
        self.runs.show(self.view)
        sample, mean = self.norms()
        layers = sample.shape[1] if sample.ndim == 2 else 0
        self._ensure_curves(layers, self.names())
        vector = getattr(self.view.snapshot, "vector_grads", None)
        floor = log_floor(sample, mean, *([as_float(vector)] if vector is not None else []))
        t = np.arange(sample.shape[0])
        any_floored = False
        for k in range(layers):
            shown_sample, floored_sample = for_log_axis(sample[:, k], floor)
            shown_mean, floored_mean = for_log_axis(mean[:, k], floor)
            self.sample_curves[k].set_values(t, shown_sample)
            self.mean_curves[k].set_values(t, shown_mean)
            any_floored |= bool(floored_sample.any() or floored_mean.any())
        self.markers.set(marked_steps(self.view.snapshot.labels))
        if sample.size and not (np.isfinite(sample).any() or np.isfinite(mean).any()):
            # an exploded network re-run on its last batch: every dL/dh_t overflowed; say so,
            # rather than leave an empty plot to be read as "no gradient"
            set_title(self.plot, NOTHING_FINITE + divergence_note(self.view), color=style.THRESHOLD_COLOR)
        else:
            set_title(self.plot, TITLE + floor_note(any_floored, floor))
        self._show_divider()
        self._show_vector(floor)
        steady.hold_items(self.plot)

    def _show_vector(self, floor: float) -> None:
        vector = getattr(self.view.snapshot, "vector_grads", None)
        show_item(self.plot, self.vector_curve.key, "\u2016\u2202L_t/\u2202v\u2016, the code vector",
                  vector is not None)
        if vector is not None:
            shown, _ = for_log_axis(as_float(vector), floor)
            self.vector_curve.set_data(np.arange(len(shown), dtype=float), shown)

    def _show_divider(self) -> None:
        """A line at the context, between an encoder's steps and its decoder's (one time axis)."""
        steps = tuple(getattr(self.view.snapshot, "part_steps", ()) or ())
        self.divider.setVisible(len(steps) > 1)
        if len(steps) > 1:
            self.divider.setValue(steps[0] - 0.5)
