"""Hidden-state panel: what the network holds in memory, unit by unit, as it reads.

A time x unit heatmap of one sample's hidden states for one layer; the time axis carries
the input tokens. Saturated tanh units (deep red or blue, |h| near 1) are the ones whose
derivative, and so whose gradient, has gone to zero.

Units can be selected here (click a row; Ctrl+click adds or removes one) and switched off:
the window then holds them at 0 or at their mean (the units panel shows what that does).
Selected units are marked by a triangle at the left edge of their stack's part of the map,
held ones by a cross at its right edge. A bidirectional net's rows are its forward units,
then (above a white line) its backward ones; an encoder-decoder's map shows the encoder's
steps, a white line at the context, then the decoder's, and a row is the encoder's unit left
of the line and the decoder's right of it (unit numbers as ``rnnviz.core.nn.units``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.plot.markers import StepMarkers, marked_steps
from rnnviz.gui.panels.base import (Heatmap, Panel, as_float, printable_label, set_points, symmetric_levels,
                                    sync_layer_selector, TokenAxis)

BOUNDED_CELLS = ("tanh", "lstm", "gru")  # their h lies in [-1, 1]: fixed levels make runs comparable


SHORT = {"forward": "fwd", "backward": "bwd", "encoder": "enc", "decoder": "dec"}


class HiddenPanel(Panel):
    view_name = "hidden"
    title = "Hidden states"

    units_off_requested = QtCore.pyqtSignal(list)  # every (layer, unit) to hold: those held and the selection

    def _build(self) -> None:
        self.layer = self.add_layer_selector()
        self.selected: set[tuple[int, int]] = set()  # (layer, unit) chosen by clicks
        self._level: float | None = None  # an unbounded cell's colour scale end (steady.level)
        self.off_button = QtWidgets.QPushButton("Switch off")
        self.off_button.setToolTip("hold the selected units (click a row of the map, Ctrl+click for more) "
                                   "at 0 or at their mean, as chosen in the Units off panel")
        self.off_button.setEnabled(False)
        self.off_button.clicked.connect(self.switch_off_selected)
        self.controls.addWidget(self.off_button)
        self.tokens = TokenAxis("bottom")  # thins the token labels to what fits the dock
        self.map = Heatmap(self.canvas.ci, "h_t of one sample", "hidden unit",
                           "input token at t", style.diverging_colormap(), "h", axis_items={"bottom": self.tokens})
        self.map.plot.showAxis("top")  # the step numbers t, since the bottom axis shows tokens
        self.map.plot.getAxis("top").setTickFont(style.tick_font())
        self.markers = StepMarkers(self.map.plot, legend=False)  # the colour bar leaves no room: the title says
        self.readout.setVisible(True)
        self.readout.setText("hover over the map to read a value")
        self.canvas.scene().sigMouseMoved.connect(self._hover)
        self.canvas.scene().sigMouseClicked.connect(self._clicked)
        self.selected_marks = pg.ScatterPlotItem(symbol="t2", size=10, brush=pg.mkBrush("#000000"), pen=None)
        self.held_marks = pg.ScatterPlotItem(symbol="x", size=10, brush=pg.mkBrush("#000000"),
                                             pen=pg.mkPen("#000000"))
        self.map.plot.addItem(self.selected_marks)
        self.map.plot.addItem(self.held_marks)
        self.divider = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#FFFFFF", width=2))
        self.divider.setVisible(False)
        self.map.plot.addItem(self.divider, ignoreBounds=True)

    def _hidden(self) -> np.ndarray:
        return as_float(self.view.snapshot.hidden)  # (T, L, H)

    def _levels(self, values: np.ndarray) -> tuple[float, float]:
        cell = str(self.view.model_config.get("cell", "tanh"))
        if cell in BOUNDED_CELLS:
            return (-1.0, 1.0)
        self._level = steady.level(self._level, symmetric_levels(values)[1])  # the bar's axis holds still
        return (-self._level, self._level)

    def _redraw(self) -> None:
        hidden = self._hidden()
        if hidden.ndim != 3 or hidden.size == 0:
            self.map.clear()
            return
        steps, layers, units = hidden.shape
        count = self._unit_count()
        self.selected = {(lay, unit) for lay, unit in self.selected if lay < layers and unit < count}  # a new network
        layer = sync_layer_selector(self.layer, layers)
        values = hidden[:, layer, :]  # (T, H)
        # rows = units (y), cols = t (x); cell (t, unit) centred on the integers
        levels = self._levels(values)
        self.map.set(values.T, levels, (-0.5, -0.5, steps, units))
        # the ends, halves and zero as short numbers: pyqtgraph's own ticks for a ReLU's wide
        # levels (h in the thousands) dropped every label but "0"
        style.set_ticks(self.map.bar.getAxis("right"), style.symmetric_bar_ticks(levels[1]))
        parts = tuple(getattr(self.view.snapshot, "parts", ()) or ())
        # short names, to fit the dock: forward | backward units side by side (PyTorch's output), or an
        # encoder's steps then its decoder's
        halves = f" ({' | '.join(SHORT.get(p, p) for p in parts)})" if parts else ""
        marked = marked_steps(self.view.snapshot.labels)
        self.markers.set(marked)
        style.set_title(self.map.plot, f"h_t of one sample, layer {layer}{halves}"
                        + (" · green: marked" if marked.size else ""))
        self.tokens.set_labels(self.view.snapshot.labels, steps)
        self.map.set_ticks("top", steps, 10)
        self._draw_divider(steps)
        self._draw_marks(layer)

    # ----------------------------------------------------------------- which unit a row is
    def _parts(self) -> tuple:
        """((stack, units per layer), ...) in unit-number order, from the core; () before a view."""
        units = getattr(self.view, "units", None) if self.view is not None else None
        return tuple(getattr(units, "parts", ()) or ())

    def _unit_count(self) -> int:
        parts = self._parts()
        return sum(width for _, width in parts) if parts else self._hidden().shape[-1]

    def _context(self) -> int | None:
        """The encoder's steps when the map shows an encoder then a decoder in time, else None."""
        steps = tuple(getattr(self.view.snapshot, "part_steps", ()) or ())
        return int(steps[0]) if len(steps) == 2 and len(self._parts()) == 2 else None

    def unit_at(self, t: int, row: int) -> int | None:
        """The unit number of the map's cell (t, row), or None where no unit is (a narrower stack)."""
        parts, context = self._parts(), self._context()
        if context is None:
            return row if 0 <= row < self._unit_count() else None
        (_, first), (_, second) = parts
        if t < context:
            return row if 0 <= row < first else None
        return first + row if 0 <= row < second else None

    def _row_and_span(self, unit: int, steps: int) -> tuple[int, float, float]:
        """(row, left edge, right edge) of a unit's part of the map."""
        context = self._context()
        if context is None:
            return unit, -0.5, steps - 0.5
        first = self._parts()[0][1]
        return (unit, -0.5, context - 0.5) if unit < first else (unit - first, context - 0.5, steps - 0.5)

    def unit_label(self, unit: int) -> str:
        names = tuple(getattr(getattr(self.view, "units", None), "names", ()) or ())
        return names[unit] if unit < len(names) else str(unit)

    def _draw_divider(self, steps: int) -> None:
        parts, context = self._parts(), self._context()
        if context is not None:
            self.divider.setAngle(90)
            self.divider.setPos(context - 0.5)
            self.divider.setToolTip("the context: the encoder's steps on the left, the decoder's on the right")
        elif len(parts) == 2:
            self.divider.setAngle(0)
            self.divider.setPos(parts[0][1] - 0.5)
            self.divider.setToolTip(f"forward units 0\u2013{parts[0][1] - 1} below, backward units above")
        self.divider.setVisible(len(parts) == 2)

    # ----------------------------------------------------------------- selecting units
    def held_units(self) -> list[tuple[int, int]]:
        units = getattr(self.view, "units", None) if self.view is not None else None
        clamp = None if units is None else units.clamp
        return [] if clamp is None else [tuple(u) for u in clamp.units]

    def _draw_marks(self, layer: int) -> None:
        steps = self._hidden().shape[0] if self.view is not None else 0
        chosen = [self._row_and_span(unit, steps) for lay, unit in sorted(self.selected) if lay == layer]
        held = [self._row_and_span(unit, steps) for lay, unit in self.held_units() if lay == layer]
        set_points(self.selected_marks, [left for _, left, _ in chosen], [row for row, _, _ in chosen])
        set_points(self.held_marks, [right for _, _, right in held], [row for row, _, _ in held])
        self.off_button.setEnabled(bool(self.selected))
        self.off_button.setText(f"Switch off ({len(self.selected)})" if self.selected else "Switch off")

    def select_unit(self, unit: int, add: bool = False) -> None:
        """Select a unit (its number) of the shown layer: alone, or (``add``) toggled in the selection."""
        key = (max(self.layer.currentIndex(), 0), int(unit))
        if add:
            self.selected.symmetric_difference_update({key})
        else:
            self.selected = set() if self.selected == {key} else {key}
        if self.view is not None:
            self._draw_marks(key[0])

    def switch_off_selected(self) -> None:
        units = sorted(set(self.held_units()) | self.selected)
        self.selected = set()
        self.units_off_requested.emit([list(u) for u in units])
        if self.view is not None:
            self._draw_marks(max(self.layer.currentIndex(), 0))

    def _clicked(self, event) -> None:
        point = self.map.cell_at(event.scenePos())
        hidden = self._hidden() if self.view is not None else np.zeros((0, 0, 0))
        if point is None or hidden.ndim != 3:
            return
        unit = self.unit_at(int(np.floor(point[0] + 0.5)), int(np.floor(point[1] + 0.5)))
        if unit is not None:
            add = bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier)
            self.select_unit(unit, add)

    def readout_at(self, x: float, y: float) -> str:
        """The hover text for data coordinates (x = time, y = unit), '' outside the map."""
        if self.view is None:
            return ""
        hidden = self._hidden()
        if hidden.ndim != 3:
            return ""
        t, row = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))  # cells are centred on integers
        steps, _, units = hidden.shape
        unit = self.unit_at(t, row)
        if not (0 <= t < steps and 0 <= row < units) or unit is None:
            return ""
        layer = max(self.layer.currentIndex(), 0)
        labels = list(self.view.snapshot.labels or [])
        token = printable_label(labels[t]) if t < len(labels) else "?"
        return (f"h = {hidden[t, layer, row]:.4g}   unit {self.unit_label(unit)}   t = {t}   token '{token}'   "
                f"layer {layer}")

    def _hover(self, scene_pos) -> None:
        point = self.map.cell_at(scene_pos)
        text = self.readout_at(*point) if point is not None else ""
        self.readout.setText(text or "hover over the map to read a value")
