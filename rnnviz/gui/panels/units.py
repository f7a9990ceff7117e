"""Units panel: what switching hidden units off does, and which units the loss needs.

Select units in the hidden-state map and switch them off there; this panel then shows the
same batch with them held and without (the loss in the title, the gradient profile
||∂L/∂h_t|| and the Jacobian chain ||∂h_T/∂h_{T−k}||, held solid and free dashed), and
below, the units ranked by how much the loss rises when each is switched off too. Every
shape has units off: a bidirectional net's units are named "fwd 3" / "bwd 3", an encoder-decoder's
"enc 3" / "dec 3"; such a network has a chain per stack, and "chain of" picks the one drawn. All
the numbers and names come from ``rnnviz.core.diagnostics.ablation`` via the view.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import (Panel, as_float, floor_note, for_log_axis, line, log_floor, set_title,
                                    text_width)

NOTE_WIDTH = 56  # characters per line of the ranking's note: a dock is narrow

RANKED_SHOWN = 16  # bars in the ranking at most: the units that matter most; the CSV has every unit
FEWEST_SHOWN = 4  # ... and at least, however narrow the dock (fewer bars than that when fewer units)
HELD_COLOR = "#D55E00"
FREE_COLOR = "#0072B2"
RANK_AXIS = "unit, most needed first"
HINT = "select units in the hidden-state map (click, Ctrl+click) and press Switch off"


class UnitsPanel(Panel):
    view_name = "units"
    title = "Units off"

    units_off_requested = QtCore.pyqtSignal(list, str)  # [(layer, unit), ...] to hold (all of them), "zero"/"mean"
    rank_requested = QtCore.pyqtSignal()

    def _build(self) -> None:
        self.controls.addWidget(QtWidgets.QLabel("hold at"))
        self.mode = QtWidgets.QComboBox()
        self.mode.addItems(["zero", "mean"])
        self.mode.setToolTip("units switched off from now on are held at 0, or at their mean over the last batch")
        self.controls.addWidget(self.mode)
        self.free_button = QtWidgets.QPushButton("Free all")
        self.free_button.setToolTip("switch every unit back on")
        self.free_button.clicked.connect(lambda: self.units_off_requested.emit([], self.mode.currentText()))
        self.controls.addWidget(self.free_button)
        self.rank_button = QtWidgets.QPushButton("Rank units")
        self.rank_button.setToolTip("switch each unit off in turn (all at once, in the batch) and rank them by "
                                    "the loss change, on up to 2048 copies of the batch's sequences")
        self.rank_button.clicked.connect(self._ask_for_ranking)
        self.controls.addWidget(self.rank_button)
        self.part_label = QtWidgets.QLabel("chain of")
        self.part = QtWidgets.QComboBox()
        self.part.setToolTip("the stack whose Jacobian chain is drawn (a network of several stacks has one each)")
        self.part.currentIndexChanged.connect(self._part_chosen)
        self.controls.addWidget(self.part_label)
        self.controls.addWidget(self.part)
        self.part_label.setVisible(False)
        self.part.setVisible(False)

        self.profile_plot: pg.PlotItem = self.canvas.addPlot(row=0, col=0, axisItems=style.log_axis())
        style.style_plot(self.profile_plot, "Gradient profile", "\u2016\u2202L/\u2202h_t\u2016 (log)", "time step t")
        self.profile_plot.setLogMode(x=False, y=True)
        self.chain_plot: pg.PlotItem = self.canvas.addPlot(row=0, col=1, axisItems=style.log_axis())
        style.style_plot(self.chain_plot, "Jacobian chain", "\u2016\u2202h_T/\u2202h_{T\u2212k}\u2016 (log)", "lag k")
        self.chain_plot.setLogMode(x=False, y=True)
        self.profile_held = line(self.profile_plot, style.pen(HELD_COLOR), log_y=True)
        self.profile_free = line(self.profile_plot, style.pen(FREE_COLOR, dashed=True), log_y=True)
        self.chain_held = line(self.chain_plot, style.pen(HELD_COLOR), log_y=True)
        self.chain_free = line(self.chain_plot, style.pen(FREE_COLOR, dashed=True), log_y=True)
        # an encoder-decoder's profile runs over the source steps, then the decoder's: a line at the context
        self.context_line = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.MARKER_COLOR, dotted=True))
        self.context_line.setToolTip("the context: the encoder's steps on the left, the decoder's on the right")
        self.profile_plot.addItem(self.context_line, ignoreBounds=True)
        self.context_line.setVisible(False)
        # the losses change with every view: a label in the plot's corner, outside the layout, so
        # that new numbers do not lay the plot out again (a title would)
        self.loss_label = pg.LabelItem("", size=style.LABEL_SIZE, justify="left")
        self.loss_label.setParentItem(self.profile_plot.vb)
        self.loss_label.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(6, 2))
        self.legend = style.add_legend(self.profile_plot, self.canvas.ci, row=1, col=0)
        self.legend.addItem(self.profile_held, "units held")
        self.legend.addItem(self.profile_free, "all units free")

        self.rank_plot: pg.PlotItem = self.canvas.addPlot(row=2, col=0, colspan=2)
        self.rank_plot.setToolTip("the loss change when each unit is switched off on its own (the units already "
                                  "off stay off); the bars show the units that fit, units.csv of an export has all")
        style.style_plot(self.rank_plot, "Loss change when each unit is switched off", "\u0394 loss", RANK_AXIS)
        self.bars_up = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(HELD_COLOR))
        self.bars_down = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(FREE_COLOR))
        self.rank_plot.addItem(self.bars_up)
        self.rank_plot.addItem(self.bars_down)
        self.rank_note = pg.TextItem("", color=style.UNKNOWN_COLOR, anchor=(0.5, 0.5))
        self.rank_plot.addItem(self.rank_note)
        self._shown_bars = 0  # bars the ranking's width held at the last draw
        self.rank_plot.vb.sigResized.connect(self._rank_resized)
        self.canvas.ci.layout.setRowStretchFactor(0, 3)
        self.canvas.ci.layout.setRowStretchFactor(2, 2)
        self.readout.setVisible(True)
        self.readout.setWordWrap(True)  # a long line (many units off) wraps: it never sets the dock's width
        self.readout.setText(HINT)

    def _ask_for_ranking(self) -> None:
        self.readout.setText("ranking the units: each switched off in its own copy of the batch…")
        self.rank_requested.emit()

    def _part_chosen(self) -> None:
        if self.view is not None and not self.part.isHidden():
            self._redraw()

    def _sync_parts(self, comparison) -> str:
        """Offer the comparison's stacks in "chain of" (hidden for one stack); the chosen one, or ""."""
        parts = list(comparison.part_chains) if comparison is not None else []
        shown = [self.part.itemData(i) for i in range(self.part.count())]
        if parts != shown:
            with QtCore.QSignalBlocker(self.part):
                self.part.clear()
                for name in parts:
                    self.part.addItem(name, name)
                # start with the stack of the first unit held: the one whose chain the hold changes
                first = comparison.stacks[0] if comparison.stacks else None
                self.part.setCurrentIndex(parts.index(first) if first in parts else 0)
        self.part_label.setVisible(bool(parts))
        self.part.setVisible(bool(parts))
        return self.part.currentData() or ""

    def units_view(self):
        return None if self.view is None else getattr(self.view, "units", None)

    def _redraw(self) -> None:
        units = self.units_view()
        comparison = None if units is None else units.comparison
        layer = 0 if units is None else units.num_layers - 1  # the top layer: what the loss reads
        part = self._sync_parts(comparison)
        if comparison is None:
            for curve in (self.profile_held, self.profile_free, self.chain_held, self.chain_free):
                curve.set_values([], [])
            self.context_line.setVisible(False)
            # short titles: a title's width is its column's least, and the two plots share the dock
            set_title(self.profile_plot, "Gradient profile")
            style.set_label_text(self.loss_label, "no unit is off")
            set_title(self.chain_plot, "Jacobian chain")
            note = HINT
        else:
            held_p, free_p = as_float(comparison.profile_with)[:, layer], as_float(comparison.profile_without)[:, layer]
            floor = log_floor(held_p, free_p)
            shown_held, floored_a = for_log_axis(held_p, floor)
            shown_free, floored_b = for_log_axis(free_p, floor)
            t = np.arange(held_p.size)
            steps = tuple(getattr(self.view.snapshot, "part_steps", ()) or ())
            self.context_line.setVisible(len(steps) > 1)
            if len(steps) > 1:
                self.context_line.setValue(steps[0] - 0.5)
            self.profile_held.set_values(t, shown_held)
            self.profile_free.set_values(t, shown_free)
            chain_with, chain_without = comparison.part_chains.get(part, (comparison.chain_with,
                                                                          comparison.chain_without))
            chain_held = 10.0 ** as_float(chain_with)[layer]
            chain_free = 10.0 ** as_float(chain_without)[layer]
            chain_floor = log_floor(chain_held, chain_free)
            k = np.arange(chain_held.size)
            self.chain_held.set_values(k, for_log_axis(chain_held, chain_floor)[0])
            self.chain_free.set_values(k, for_log_axis(chain_free, chain_floor)[0])
            # the title stays short (its width is its column's least; held vs free: the legend says
            # which is which); where zeros were drawn goes under the losses in the plot's corner
            set_title(self.profile_plot, "Gradient profile")
            zeros = floor_note(bool(floored_a.any() or floored_b.any()), floor).strip(" ()")
            style.set_label_text(self.loss_label, f"loss {comparison.loss_with:.4g} held, "
                                 f"{comparison.loss_without:.4g} free" + (f"<br>{zeros}" if zeros else ""))
            # short: the title's width is its column's least ("Backward chain, layer 1")
            name = f"{part.capitalize()} chain" if part else "Jacobian chain"
            set_title(self.chain_plot, name + (f", layer {layer}" if units.num_layers > 1 else ""))
            off = ", ".join(comparison.names or [f"{lay}:{unit}" for lay, unit in comparison.units])
            note = f"{len(comparison.units)} unit(s) off ({comparison.mode}): {off}"
        ranking = None if units is None else units.ranking
        if ranking is not None and np.isfinite(as_float(ranking.delta)).any():  # what the bars stand on
            note += f" \u00b7 ranked on {ranking.samples} sequence{'s' if ranking.samples != 1 else ''}"
        # set once: a wrapped line set to another text and back lays out the dock and the window again
        self.readout.setText(note)
        self._draw_ranking(units)
        ranked = ranking is not None and np.isfinite(as_float(ranking.delta)).any()  # else the note's fixed frame
        for plot in (self.profile_plot, self.chain_plot) + ((self.rank_plot,) if ranked else ()):
            steady.hold_items(plot)

    def _bars_that_fit(self, names) -> int:
        """How many bars' names fit side by side under the ranking at its current width in pixels."""
        width = self.rank_plot.vb.width()
        if width <= 0 or not names:  # not laid out yet (an export lays out at its own size first)
            return min(RANKED_SHOWN, len(names))
        label = max(text_width(name) for name in set(names)) + text_width("   ")  # widths remembered
        return int(min(RANKED_SHOWN, max(FEWEST_SHOWN, width // label), len(names)))

    def _rank_resized(self) -> None:
        """A wider or narrower dock: as many bars as their names fit (only when that number changes)."""
        units = self.units_view()
        ranking = None if units is None else units.ranking
        if ranking is not None and self._bars_that_fit(ranking.names) != self._shown_bars:
            self._draw_ranking(units)
            steady.hold_items(self.rank_plot)  # the range follows the bars

    def _draw_ranking(self, units) -> None:
        ranking = None if units is None else units.ranking
        if ranking is not None and not np.isfinite(as_float(ranking.delta)).any():
            # an overflowed batch (a diverged run): every change is NaN; bars of 0 would say "not needed"
            note = (f"no ranking: the loss on this batch is {ranking.base_loss:.3g} with every unit on, and "
                    f"no finite number with one off (the network overflows)")
            style.set_plain_text(self.rank_note, textwrap.fill(note, NOTE_WIDTH))
            ranking = None
        elif ranking is None:
            style.set_plain_text(self.rank_note, textwrap.fill(units.ranking_note, NOTE_WIDTH) if units is not None
                                 else "no ranking yet")
        if ranking is None:
            self.bars_up.setOpts(x=[], height=[])
            self.bars_down.setOpts(x=[], height=[])
            self.rank_note.setVisible(True)
            self.rank_note.setPos(0.5, 0.5)
            steady.set_range(self.rank_plot, x=(0, 1), y=(0, 1))
            style.set_ticks(self.rank_plot.getAxis("bottom"), None)
            if self.rank_plot.getAxis("bottom").labelText != RANK_AXIS:  # no count of bars to give
                self.rank_plot.setLabel("bottom", RANK_AXIS, **{"font-size": style.LABEL_SIZE})
            return
        self.rank_note.setVisible(False)
        names = ranking.names or [f"{int(lay)}:{int(unit)}" for lay, unit in zip(ranking.layers, ranking.units)]
        self._shown_bars = self._bars_that_fit(names)
        order = ranking.order()[:self._shown_bars]
        delta = as_float(ranking.delta)[order]
        x = np.arange(order.size)
        finite = np.where(np.isfinite(delta), delta, 0.0)
        up = finite >= 0
        self.bars_up.setOpts(x=x[up], height=finite[up], width=0.8)
        self.bars_down.setOpts(x=x[~up], height=finite[~up], width=0.8)
        labels = [(float(i), names[j]) for i, j in enumerate(order)]
        style.set_ticks(self.rank_plot.getAxis("bottom"), [labels])
        shown = f"{RANK_AXIS}: {order.size} of {len(names)}"  # units.csv ranks them all
        if self.rank_plot.getAxis("bottom").labelText != shown:
            self.rank_plot.setLabel("bottom", shown, **{"font-size": style.LABEL_SIZE})
        held_at = "at 0" if ranking.mode == "zero" else "at its mean"
        set_title(self.rank_plot, f"Loss change with each unit off ({held_at}, step {ranking.step})")
