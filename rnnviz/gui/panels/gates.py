"""Gate panel: how the LSTM's forget gate (the GRU's update gate) keeps the gradient alive.

Left: the "keep" gate of one sample over time x unit (0 = forget, 1 = keep), a sequential
colormap at fixed levels 0..1 so runs compare. Right: the direct path ∏ f_t against the lag
k (rnnviz.core.diagnostics.gating): along the LSTM's cell state the gradient is multiplied by f_t and
nothing else, so units whose gates sit near 1 carry it back over long lags, whatever W_hh
does. Vanilla cells have no gates: the panel says so instead of drawing an empty map.
A bidirectional net shows both directions: the forward units below a divider, the backward
ones above, and each direction's path (the backward one counted from the input's start,
where its processing ends). An encoder-decoder shows the encoder's steps, a divider at the
context, then the decoder's, and each stack's own path.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.core.diagnostics import gating
from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import (Heatmap, Panel, as_float, for_log_axis, line, log_floor, show_item,
                                    sync_layer_selector)

GATE_SYMBOL = {"forget_gate": "f_t", "update_gate": "z_t"}  # the paper's letter for each keep gate
NO_GATES = "A {cell} cell has no gates.\nTry the LSTM preset to see\nits forget gate keep the gradient."
LEVELS = (0.0, 1.0)  # a gate is a sigmoid: fixed levels make two runs comparable
PATH_COLOR = style.LAYER_COLORS[0]
MEDIAN_COLOR = style.LAYER_COLORS[1]
BACKWARD_COLOR = style.LAYER_COLORS[2]  # a bidirectional net's backward direction, both of its curves


def gate_colormap() -> pg.ColorMap:
    """Sequential, dark = forget (0) to bright = keep (1)."""
    return pg.colormap.get("cividis")


class GatesPanel(Panel):
    view_name = "gates"
    title = "Gates"

    def _build(self) -> None:
        self.layer = self.add_layer_selector()
        # side by side: a dock is wide and short (~420 x 300), and both views need their height
        self.map = Heatmap(self.canvas.ci, "Forget gate f_t", "unit", "time step t", gate_colormap(), "gate",
                           row=0, col=0, rowspan=2)
        self.map.plot.setToolTip("the keep gate of one sample: 1 keeps the cell state (and its gradient), "
                                 "0 forgets it")
        self.map.bar.getAxis("right").setTickSpacing(0.5, 0.25)  # 0, 0.5, 1: readable on a short bar
        self.map.tick_targets["left"] = 4  # a short map: few unit ticks
        self._gated: bool | None = None  # what _show_axes last laid out for
        self.message = pg.TextItem("", color=style.UNKNOWN_COLOR, anchor=(0.5, 0.5), border=pg.mkPen("#BBBBBB"),
                                   fill=pg.mkBrush(248, 248, 248))  # a card: reads as a note, not as data
        self.map.plot.addItem(self.message)
        self.path: pg.PlotItem = self.canvas.addPlot(row=0, col=1, axisItems=style.log_axis())
        style.style_plot(self.path, "Direct path", "\u220f f_t", "lag k")
        self.path.setToolTip("product of the keep gate over the last k steps: what the cell-state path "
                             "alone lets through (largest unit solid, median unit dashed)")
        self.path.setLogMode(x=False, y=True)
        style.add_legend(self.path, self.canvas.ci, row=1, col=1, columns=1)
        self.best = line(self.path, style.pen(PATH_COLOR), log_y=True)
        self.median = line(self.path, style.pen(MEDIAN_COLOR, dashed=True), log_y=True)
        # a bidirectional net: the backward direction's own products, counted from the input's start
        self.best_back = line(self.path, style.pen(BACKWARD_COLOR), log_y=True)
        self.median_back = line(self.path, style.pen(BACKWARD_COLOR, dashed=True), log_y=True)
        self.divider = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#FFFFFF", width=2))
        self.divider.setVisible(False)
        self.map.plot.addItem(self.divider)
        self.canvas.ci.layout.setColumnStretchFactor(0, 3)  # the map is the story; the path its summary
        self.canvas.ci.layout.setColumnStretchFactor(1, 2)
        self.canvas.ci.layout.setRowStretchFactor(0, 1)  # the path plot takes the height; its key only its own
        self.canvas.ci.layout.setRowStretchFactor(1, 0)

    # ------------------------------------------------------------------ data
    def gate_name(self) -> str | None:
        """The keep gate this view's cell records ("forget_gate", "update_gate"), or None."""
        if self.view is None:
            return None
        extras = self.view.snapshot.extras or {}
        cell = str(self.view.model_config.get("cell", ""))
        name = gating.KEEP_GATE.get(cell)
        if name in extras:
            return name
        return next((g for g in gating.KEEP_GATE.values() if g in extras), None)

    def gate(self) -> np.ndarray:
        """(T, L, H) keep-gate values of the snapshot's sample, or an empty array."""
        name = self.gate_name()
        if name is None:
            return np.zeros((0, 0, 0))
        values = as_float(self.view.snapshot.extras[name])
        return values if values.ndim == 3 else np.zeros((0, 0, 0))

    @staticmethod
    def paths(gate: np.ndarray, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(largest unit's product (T+1,), median unit's product (T+1,)) of one layer's (T, H) gate
        (rnnviz.core.diagnostics.gating.keep_paths)."""
        return gating.keep_paths(gate, reverse)

    def directions(self, values: np.ndarray) -> list:
        """[(name, gate, reverse)] of one layer: both directions of a bidirectional net, the encoder
        and the decoder of an encoder-decoder, or the one stack."""
        snapshot = self.view.snapshot
        return gating.direction_gates(values, tuple(getattr(snapshot, "parts", ()) or ()),
                                      tuple(getattr(snapshot, "part_steps", ()) or ()),
                                      bool(self.view.model_config.get("reverse_source")))

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        gate = self.gate()
        name = self.gate_name()
        if gate.size == 0:
            self._no_gates()
            return
        steps, layers, units = gate.shape
        layer = sync_layer_selector(self.layer, layers)
        values = gate[:, layer, :]  # (T, H)
        symbol = GATE_SYMBOL.get(name, "gate")
        gate_title = name.replace("_", " ").capitalize()
        layer_note = f", layer {layer}" if layers > 1 else ""
        self._show_axes(True)
        style.set_title(self.map.plot, f"{gate_title} {symbol}{layer_note}")
        self.map.set(values.T, LEVELS, (-0.5, -0.5, steps, units))  # rows = units, cols = t
        directions = self.directions(values)
        two = len(directions) == 2
        in_time = two and directions[0][0] == "encoder"
        if in_time:  # encoder steps, then decoder steps, across
            style.set_title(self.map.plot, f"{gate_title} {symbol}{layer_note}: encoder | decoder")
            self.divider.setAngle(90)
            self.divider.setPos(directions[0][1].shape[0] - 0.5)
            self.divider.setToolTip("the context: the encoder's steps on the left, the decoder's on the right")
        elif two:
            # the map shares the dock with the paths: the gate's name would push the title past its edges
            style.set_title(self.map.plot, f"{symbol}{layer_note}: fwd | bwd")
            self.divider.setAngle(0)
            self.divider.setPos(units // 2 - 0.5)
            self.divider.setToolTip(f"forward direction's units 0\u2013{units // 2 - 1} below, "
                                    f"backward direction's {units // 2}\u2013{units - 1} above")
        self.divider.setVisible(two)
        curves = [(self.best, self.median), (self.best_back, self.median_back)]
        found = [self.paths(gate, reverse) for _, gate, reverse in directions]
        floor = log_floor(*[c for pair in found for c in pair])
        for k, (best_item, median_item) in enumerate(curves):
            shown = k < len(found)
            if shown:
                best, median = found[k]
                lags = np.arange(best.size)
                best_item.set_values(lags, for_log_axis(best, floor)[0])
                median_item.set_values(lags, for_log_axis(median, floor)[0])
            name = f"{directions[k][0]}: " if shown and two else ""
            show_item(self.path, best_item, f"{name}best-kept unit", shown)
            show_item(self.path, median_item, f"{name}median unit", shown)
        style.set_label(self.path, "left", f"\u220f {symbol}", **{"font-size": style.LABEL_SIZE})

    def _no_gates(self) -> None:
        cell = str(self.view.model_config.get("cell", "vanilla")) if self.view is not None else "vanilla"
        self.map.clear()
        style.set_title(self.map.plot, "No gates")
        steady.set_range(self.map.plot, x=(0, 1), y=(0, 1))
        self.message.setText(NO_GATES.format(cell=cell))
        self.message.setPos(0.5, 0.5)
        self._show_axes(False)
        for item in (self.best, self.median, self.best_back, self.median_back):
            show_item(self.path, item, "", False)
        self.divider.setVisible(False)

    def _show_axes(self, gated: bool) -> None:
        """Axes, colour bar and path plot for a gated cell; only the message for a vanilla one."""
        if gated == self._gated:
            return  # showing an axis again would lay it out and draw it again, every redraw
        self._gated = gated
        self.message.setVisible(not gated)
        for name in ("left", "bottom"):
            self.map.plot.showAxis(name, gated)
        self.map.bar.setVisible(gated)
        self.path.setVisible(gated)
        self.canvas.ci.layout.setColumnStretchFactor(1, 2 if gated else 0)  # the note takes the whole width
        self.path.setMaximumWidth(16777215 if gated else 0)
