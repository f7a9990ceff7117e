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
from rnnviz.gui.panels.group import RunOverlay
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
        self.runs = RunOverlay(self.plot, "profile")  # the other runs, when runs are compared
        self.sample_curves: list[pg.PlotDataItem] = []
        self.mean_curves: list[pg.PlotDataItem] = []
        self.markers = StepMarkers(self.plot)
        # an encoder-decoder's one time axis: the source's steps, the context, the decoder's steps
        self.divider = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.MARKER_COLOR, dotted=True),
                                       label="context \u2192 decoder", labelOpts={"position": 0.95,
                                                                                  "color": style.MARKER_COLOR})
        self.plot.addItem(self.divider, ignoreBounds=True)
        self.divider.setVisible(False)
        # a vector-to-sequence net: how strongly step t's own loss reaches the code vector
        self.vector_curve = self.plot.plot(pen=style.pen(style.MARKER_COLOR, 2), symbol="o", symbolSize=4,
                                           symbolBrush=style.MARKER_COLOR, symbolPen=None, connect="finite")

    def _ensure_curves(self, layers: int, names=None) -> None:
        """One solid and one dashed curve per layer (or per part and layer: ``names``); made
        when a deeper model first appears."""
        while len(self.sample_curves) < layers:
            color = style.layer_color(len(self.sample_curves))
            self.sample_curves.append(self.plot.plot(pen=style.pen(color), connect="finite"))
            self.mean_curves.append(self.plot.plot(pen=style.pen(color, dashed=True), connect="finite"))
        for k, (sample, mean) in enumerate(zip(self.sample_curves, self.mean_curves)):
            name = names[k] if names is not None and k < len(names) else f"layer {k}"
            show_item(self.plot, sample, f"{name}, this sample", k < layers)
            show_item(self.plot, mean, f"{name}, batch mean", k < layers)

    def names(self) -> list | None:
        """For a network of several stacks side by side in h_t (forward, backward): a name per
        column of ``norms``, part by part and layer by layer; None for one stack."""
        snap = self.view.snapshot
        parts = _unit_parts(snap)
        layers = as_float(snap.grad_hidden).shape[1] if as_float(snap.grad_hidden).ndim == 3 else 0
        if not parts:
            return None
        return [part if layers == 1 else f"{part}, layer {k}" for part in parts for k in range(layers)]

    def norms(self) -> tuple[np.ndarray, np.ndarray]:
        """(sample (T, C), batch mean (T, C)) of ||dL/dh_t||: C = L columns, one per layer, or for
        several stacks side by side in h_t, one per part and layer (each part's own units)."""
        snap = self.view.snapshot
        grad_hidden = as_float(snap.grad_hidden)  # (T, L, H), or (T, L, P*H) for P parts
        parts = len(_unit_parts(snap))
        if parts and grad_hidden.ndim == 3:
            steps, layers, width = grad_hidden.shape
            split = grad_hidden.reshape(steps, layers, parts, width // parts)  # (T, L, P, H)
            with np.errstate(invalid="ignore", over="ignore"):
                sample = np.linalg.norm(split, axis=-1).transpose(0, 2, 1).reshape(steps, parts * layers)
            mean = as_float(getattr(snap, "part_grad_mean", None))  # (T, L, P)
            mean = (mean.transpose(0, 2, 1).reshape(sample.shape) if mean.shape == (steps, layers, parts)
                    else np.full(sample.shape, np.nan))
            return sample, mean
        with np.errstate(invalid="ignore", over="ignore"):
            sample = np.linalg.norm(grad_hidden, axis=-1) if grad_hidden.ndim == 3 else np.zeros((0, 0))
        mean = as_float(snap.grad_hidden_mean)
        if mean.shape != sample.shape:
            mean = np.full(sample.shape, np.nan)
        return sample, mean

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
        self._show_divider()
        self._show_vector(floor)
        steady.hold_items(self.plot)

    def _show_vector(self, floor: float) -> None:
        vector = getattr(self.view.snapshot, "vector_grads", None)
        show_item(self.plot, self.vector_curve, "\u2016\u2202L_t/\u2202v\u2016, the code vector", vector is not None)
        if vector is not None:
            shown, _ = for_log_axis(as_float(vector), floor)
            self.vector_curve.setData(np.arange(len(shown), dtype=float), shown)

    def _show_divider(self) -> None:
        """A line at the context, between an encoder's steps and its decoder's (one time axis)."""
        steps = tuple(getattr(self.view.snapshot, "part_steps", ()) or ())
        self.divider.setVisible(len(steps) > 1)
        if len(steps) > 1:
            self.divider.setValue(steps[0] - 0.5)

    def _table(self):
        header = ["layer", "t", "token", "grad_norm_sample", "grad_norm_batch_mean", "note"]
        if self.view is None:
            return header, []
        sample, mean = self.norms()
        names = self.names()
        if names is not None:
            header = header + ["part"]
        columns = sample.shape[1] if sample.ndim == 2 else 0
        parts = len(_unit_parts(self.view.snapshot)) if names is not None else 1
        layers = columns // parts if parts else 0
        labels = list(self.view.snapshot.labels or [])
        rows = []
        for k in range(columns):
            for t in range(sample.shape[0]):
                a, b = float(sample[t, k]), float(mean[t, k])
                floored = any(np.isfinite(v) and v <= 0 for v in (a, b))
                row = [k % layers if layers else k, t, str(labels[t]) if t < len(labels) else "", a, b,
                       FLOOR_NOTE if floored else ""]
                rows.append(row if names is None else row + [_unit_parts(self.view.snapshot)[k // layers]])
        vector = getattr(self.view.snapshot, "vector_grads", None)
        for t, value in enumerate(as_float(vector) if vector is not None else []):  # ‖∂L_t/∂v‖
            token = str(labels[t]) if t < len(labels) else ""
            row = ["code vector", t, token, float(value), float("nan"), FLOOR_NOTE if value <= 0 else ""]
            rows.append(row if names is None else row + [""])
        return header, rows


def _unit_parts(snapshot) -> tuple:
    """The parts side by side in the units (a bidirectional net's directions); () for one stack, and
    for parts that follow each other in time (an encoder-decoder's, drawn as one curve with a divider)."""
    if getattr(snapshot, "part_steps", ()):
        return ()
    return tuple(getattr(snapshot, "parts", ()) or ())
