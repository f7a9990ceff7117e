"""Gradients-through-time panel: how much of the loss's gradient reaches each timestep.

||dL/dh_t|| against t on a log axis, one colour per layer: solid for the snapshot's sample,
dashed for the batch mean. Vanishing shows as a straight line falling towards early t (a
constant factor lost per step); exploding as one rising towards early t.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.plot.markers import StepMarkers, marked_steps
from rnnviz.gui.panels.base import (FLOOR_NOTE, Panel, as_float, divergence_note, floor_note, for_log_axis, log_floor,
                                    set_title, show_item)

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
        self.sample_curves: list[pg.PlotDataItem] = []
        self.mean_curves: list[pg.PlotDataItem] = []
        self.markers = StepMarkers(self.plot)

    def _ensure_curves(self, layers: int) -> None:
        """One solid and one dashed curve per layer; made when a deeper model first appears."""
        while len(self.sample_curves) < layers:
            color = style.layer_color(len(self.sample_curves))
            self.sample_curves.append(self.plot.plot(pen=style.pen(color), connect="finite"))
            self.mean_curves.append(self.plot.plot(pen=style.pen(color, dashed=True), connect="finite"))
        for k, (sample, mean) in enumerate(zip(self.sample_curves, self.mean_curves)):
            show_item(self.plot, sample, f"layer {k}, this sample", k < layers)
            show_item(self.plot, mean, f"layer {k}, batch mean", k < layers)

    def norms(self) -> tuple[np.ndarray, np.ndarray]:
        """(sample (T, L), batch mean (T, L)) of ||dL/dh_t||."""
        snap = self.view.snapshot
        grad_hidden = as_float(snap.grad_hidden)  # (T, L, H)
        with np.errstate(invalid="ignore", over="ignore"):
            sample = np.linalg.norm(grad_hidden, axis=-1) if grad_hidden.ndim == 3 else np.zeros((0, 0))
        mean = as_float(snap.grad_hidden_mean)
        if mean.shape != sample.shape:
            mean = np.full(sample.shape, np.nan)
        return sample, mean

    def _redraw(self) -> None:
        sample, mean = self.norms()
        layers = sample.shape[1] if sample.ndim == 2 else 0
        self._ensure_curves(layers)
        floor = log_floor(sample, mean)
        t = np.arange(sample.shape[0])
        any_floored = False
        for k in range(layers):
            shown_sample, floored_sample = for_log_axis(sample[:, k], floor)
            shown_mean, floored_mean = for_log_axis(mean[:, k], floor)
            self.sample_curves[k].setData(t, shown_sample)
            self.mean_curves[k].setData(t, shown_mean)
            any_floored |= bool(floored_sample.any() or floored_mean.any())
        self.markers.set(marked_steps(self.view.snapshot.labels))
        if sample.size and not (np.isfinite(sample).any() or np.isfinite(mean).any()):
            # an exploded network re-run on its last batch: every dL/dh_t overflowed; say so,
            # rather than leave an empty plot to be read as "no gradient"
            set_title(self.plot, NOTHING_FINITE + divergence_note(self.view), color=style.THRESHOLD_COLOR)
        else:
            set_title(self.plot, TITLE + floor_note(any_floored, floor))
        steady.hold_items(self.plot)

    def _table(self):
        header = ["layer", "t", "token", "grad_norm_sample", "grad_norm_batch_mean", "note"]
        if self.view is None:
            return header, []
        sample, mean = self.norms()
        labels = list(self.view.snapshot.labels or [])
        rows = []
        for k in range(sample.shape[1] if sample.ndim == 2 else 0):
            for t in range(sample.shape[0]):
                a, b = float(sample[t, k]), float(mean[t, k])
                floored = any(np.isfinite(v) and v <= 0 for v in (a, b))
                rows.append([k, t, str(labels[t]) if t < len(labels) else "", a, b, FLOOR_NOTE if floored else ""])
        return header, rows
