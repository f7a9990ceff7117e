"""Norms panel: the size of each update, the signature of exploding gradients.

Top: the global gradient norm before and after clipping, with the threshold when clipping
by norm is on (an exploding run shows spikes that clipping cuts flat). Bottom: the
parameter norm and the update-to-parameter ratio (around 1e-3 is healthy; near 1 an update
rewrites the weights). Both on log axes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.base import (Panel, as_float, peak_decimate, finite_range, floor_note, for_log_axis,
                                    log_floor, divergence_note, legend_entry, mark_short, set_title, show_item)

TOP_TITLE = "Gradient norm"  # short: a divergence note follows it in a ~400 px dock
BOTTOM_TITLE = "Parameters and update size"
THRESHOLD_NAME = "threshold {:g}"

# short names: each key fits one row of a ~400 px dock, so the plots keep the height
TOP = (("grad_norm", "before clip", style.SMOOTH_COLOR, False),
       ("clipped_norm", "after clip", style.VALIDATION_COLOR, True))
BOTTOM = (("param_norm", "\u2016\u03b8\u2016", style.LAYER_COLORS[2], False),
          ("update_ratio", "\u2016\u0394\u03b8\u2016/\u2016\u03b8\u2016 (update ratio)", style.LAYER_COLORS[3], False))
LEGEND_COLUMNS = 3  # every entry of a plot in one row (the top has three with the threshold)


COLORS = {name: color for name, _, color, _ in TOP + BOTTOM}


class NormsPanel(Panel):
    view_name = "norms"
    title = "Norms"

    def _build(self) -> None:
        # each legend sits ABOVE its plot and names what it shows, in place of a title row: two
        # plots, their keys and one step axis then fit a ~300 px dock; a title appears only for a note
        self.top: pg.PlotItem = self.canvas.addPlot(row=1, col=0, axisItems=style.log_axis())
        style.style_plot(self.top, TOP_TITLE, "\u2016\u2202L/\u2202\u03b8\u2016", "")
        self.top.setToolTip("global gradient norm before and after clipping (log scale)")
        self.bottom: pg.PlotItem = self.canvas.addPlot(row=3, col=0, axisItems=style.log_axis())
        style.style_plot(self.bottom, BOTTOM_TITLE, "\u2016\u03b8\u2016, ratio", "training step")
        self.bottom.setToolTip("parameter norm and update-to-parameter ratio (log scale); "
                               "a ratio around 1e-3 is healthy")
        self.bottom.setXLink(self.top)
        self.bottom.vb.disableAutoRange(axis=pg.ViewBox.XAxis)  # the top plot ranges the shared steps
        self.top.getAxis("bottom").setStyle(showValues=False)  # the linked bottom plot numbers the steps
        self.top.getAxis("bottom").setHeight(6)
        self.canvas.ci.setSpacing(2)  # between the rows: legends and plots sit close, the plots get the height
        self.curves = {}
        self.legends = []
        for plot, specs, legend_row in ((self.top, TOP, 0), (self.bottom, BOTTOM, 2)):
            plot.setLogMode(x=False, y=True)
            legend = style.add_legend(plot, self.canvas.ci, row=legend_row, columns=LEGEND_COLUMNS)  # above its plot
            legend.layout.setContentsMargins(4, 0, 4, 0)  # one tight row: the plots keep the height
            self.legends.append(legend)
            for name, label, color, dashed in specs:
                curve = plot.plot(pen=style.pen(color, style.HISTORY_LINE_WIDTH, dashed=dashed), name=label,
                                  connect="finite")
                curve.setDownsampling(auto=True, method="peak")  # long runs keep their spikes
                curve.setClipToView(True)
                self.curves[name] = curve
        self.threshold = self.top.plot(pen=style.pen(style.THRESHOLD_COLOR, 1.5, dotted=True))  # legend: when on

    def _refresh(self) -> None:
        super()._refresh()  # shows every legend that has entries
        self._show_legends(any(self._series(name)[0].size for name, *_ in TOP + BOTTOM))

    def _show_legends(self, shown: bool) -> None:
        """Before the first step the keys give way to the titles saying so, and their rows
        collapse: the two plots keep the dock's height instead of ~50 px each."""
        for legend in self.legends:
            legend.setVisible(shown and bool(legend.items))
            height = legend.maximumHeight()
            if (height > 0) != shown:
                legend.setMaximumHeight(1e6 if shown else 0)
                self.canvas.ci.layout.invalidate()

    def _series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        steps, values = self.view.series.get(name, (None, None))
        return as_float(steps), as_float(values)

    def _redraw(self) -> None:
        all_steps = []
        for plot, title, specs, shared_floor in ((self.top, TOP_TITLE, TOP, True),
                                                 (self.bottom, BOTTOM_TITLE, BOTTOM, False)):
            data = {name: self._series(name) for name, *_ in specs}
            all_steps += [steps for steps, _ in data.values()]
            common = log_floor(*(values for _, values in data.values()))
            notes, empty = [], all(steps.size == 0 for steps, _ in data.values())
            for name, (steps, values) in data.items():
                # gradient norms share one floor; a parameter norm and a ratio each get their own,
                # or a zero update ratio would be drawn a decade below the parameter norm (~1)
                floor = common if shared_floor else log_floor(values)
                shown, floored = for_log_axis(values, floor)
                self.curves[name].setData(*peak_decimate(steps, shown))
                mark_short(self.curves[name], int(np.isfinite(shown).sum()), COLORS[name])
                if floored.any():
                    notes.append(floor_note(True, floor))
            suffix = " — no steps yet" if empty else (notes[0] if notes else "")
            diverged = divergence_note(self.view) if plot is self.top else ""
            if diverged or suffix:  # the legend names the curves; a title only carries a note
                set_title(plot, title + diverged + suffix, color=style.THRESHOLD_COLOR if diverged else None)
            else:
                plot.setTitle(None)  # hides the row; the label keeps a relaxed (small) minimum width
        # without clipping "after" is "before" exactly and would hide it; with clipping it is drawn
        # over the threshold line it sits on
        show_item(self.top, self.curves["clipped_norm"], "after clip", self.view.clip_mode != "none")
        self.curves["clipped_norm"].setZValue(3)
        self.threshold.setZValue(2)
        steps = self._series("grad_norm")[0]
        threshold = self.view.clip_threshold
        if self.view.clip_mode == "norm" and threshold is not None and np.isfinite(threshold) \
                and threshold > 0 and steps.size:
            self.threshold.setData([steps.min(), steps.max()], [threshold, threshold])
            legend_entry(self.top, self.threshold, THRESHOLD_NAME.format(threshold), True)
        else:
            self.threshold.setData([], [])
            legend_entry(self.top, self.threshold, "", False)
        # x from the steps themselves (the curves are clipped to the view, so their bounds would be
        # the range they already have); the top plot's x ranges the bottom one too (linked)
        steady.hold(self.top, x=finite_range(np.concatenate(all_steps)), steps=True)
        steady.hold_items(self.top, x=False)
        steady.hold_items(self.bottom, x=False)
