"""Loss panel: is it learning at all, and is it beating the memoryless baseline?

Raw training loss (light), its smoothed curve (dark), validation loss, and the task's
baseline as a dashed line: a model that has learned nothing about the past sits on it.

The y axis is logarithmic by default: an exploding start (1e10) or an untrained series
model (hundreds) would otherwise squash the falling loss and the baseline into a flat line
at zero. On either axis the recent steps and the baseline set the range (steadily, see
``plot.steady``): once the early spike has passed it runs off the top, and the ending reads
against the baseline, which is drawn above the curves with its value. When the validation
loss climbs clearly above its minimum while training loss falls, the title says overfitting.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnnviz.core.train.lessons import overfitting
from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.panels.group import RunOverlay
from rnnviz.gui.panels.base import (Panel, as_float, peak_decimate, divergence_note, finite_or_nan, finite_range,
                                    floor_note, for_log_axis, legend_entry, log_floor, mark_short, set_title)

TITLE = "Training loss"
COLORS = {"loss": style.RAW_COLOR, "loss_smooth": style.SMOOTH_COLOR, "val_loss": style.VALIDATION_COLOR}

BASELINE_NAME = "baseline (no memory)"

SERIES = (("loss", "training loss"), ("loss_smooth", "smoothed"), ("val_loss", "validation"))

LOG_BY_DEFAULT = True  # the loss spans decades (1e10 -> 0.1 when exploding): a linear axis shows a flat line
RECENT_FRACTION = 0.3  # linear axis: the latest 30 % of the steps set the range; early spikes may run off
RANGE_SERIES = ("loss", "val_loss")  # not the smoothed curve: an average lags the 1e10 start by hundreds of steps
ROBUST_PERCENTILE = 98  # ... and one outlier in it does not (a spike may run off the top)
FOOTROOM = 0.04  # of the range, below zero: the "0" tick label is not cut off at the frame
HEADROOM = 1.15  # space above the highest value in range, so it does not touch the frame
MIN_LOG_SPAN = 1.0  # decades a log y range spans at least
LABEL_ROOM = 0.12  # of a log y range: above the baseline, the height of its "baseline 0.167" label


def loss_axis_label(snapshot) -> str:
    """What a loss value is a sum of, short enough for a ~280 px tall dock: the trainer sums
    the per-step losses over the scored steps and averages over the batch."""
    targets, outputs = np.asarray(snapshot.targets), np.asarray(snapshot.outputs)
    if outputs.ndim == 2 and targets.ndim >= 1 and targets.shape[0] == outputs.shape[0]:
        return f"loss ({outputs.shape[0]}-step sum, batch mean)"
    return "loss (last step, batch mean)"


def robust_range(values: np.ndarray, steps: np.ndarray, baseline) -> tuple[float, float] | None:
    """A linear y range for the recent values and the baseline: (low, high), or None when
    nothing is finite. The early steps (and rare spikes) may run off the top."""
    finite = np.isfinite(values) & np.isfinite(steps)
    if not finite.any():
        return None
    values, steps = values[finite], steps[finite]
    start = steps.min() + (1 - RECENT_FRACTION) * (steps.max() - steps.min())
    recent = values[steps >= start]
    high = float(np.percentile(recent, ROBUST_PERCENTILE))
    low = min(float(recent.min()), 0.0)  # a loss is >= 0: zero anchors the eye
    if baseline is not None and np.isfinite(baseline):
        high, low = max(high, float(baseline)), min(low, float(baseline))
    if high - low <= 0:
        high = low + 1.0
    span = high - low
    return low - FOOTROOM * span, low + span * HEADROOM


def recent_log_range(values: np.ndarray, steps: np.ndarray, baseline) -> tuple[float, float] | None:
    """A log10 y range for the latest RECENT_FRACTION of the steps and the baseline: once an
    early spike (1e10 when exploding) has passed, it runs off the top and the ending can be
    read against the baseline. None when nothing positive is finite."""
    with np.errstate(invalid="ignore", divide="ignore"):
        keep = np.isfinite(values) & np.isfinite(steps) & (values > 0)
    if not keep.any():
        return None
    values, steps = values[keep], steps[keep]
    start = steps.min() + (1 - RECENT_FRACTION) * (steps.max() - steps.min())
    recent = np.log10(values[steps >= start])
    low, high = float(recent.min()), float(recent.max())
    if baseline is not None and np.isfinite(baseline) and baseline > 0:
        low, high = min(low, float(np.log10(baseline))), max(high, float(np.log10(baseline)))
    if high - low < MIN_LOG_SPAN:  # a flat loss would fill the plot with its noise and jump at every view
        middle = (low + high) / 2
        low, high = middle - MIN_LOG_SPAN / 2, middle + MIN_LOG_SPAN / 2
    if baseline is not None and np.isfinite(baseline) and baseline > 0:  # its label sits above the line
        high = max(high, float(np.log10(baseline)) + LABEL_ROOM * (high - low))
    return low, high


class LossPanel(Panel):
    view_name = "loss"
    title = "Loss"

    def _build(self) -> None:
        self.log_y = self.add_checkbox("log y", "show the loss on a logarithmic axis (off: a linear axis "
                                       "ranged on the recent steps and the baseline)", checked=LOG_BY_DEFAULT)
        self.plot: pg.PlotItem = self.canvas.addPlot(row=0, col=0, axisItems=style.log_axis())
        style.style_plot(self.plot, TITLE, "loss", "training step")
        self.plot.getAxis("left").setToolTip("training loss: summed over the scored steps of a sequence, "
                                             "averaged over the batch")
        style.add_legend(self.plot, self.canvas.ci, row=1)  # below the plot: never over the curves
        self.runs = RunOverlay(self.plot, "loss", self.log_y.isChecked)  # the other runs, when runs are compared
        self.curves = {
            "loss": self.plot.plot(pen=style.pen(style.RAW_COLOR, style.HISTORY_LINE_WIDTH), name="training loss",
                                  connect="finite"),
            "loss_smooth": self.plot.plot(pen=style.pen(style.SMOOTH_COLOR), name="smoothed", connect="finite"),
            "val_loss": self.plot.plot(pen=style.pen(style.VALIDATION_COLOR), symbol="o", symbolSize=5,
                                       symbolBrush=style.VALIDATION_COLOR, symbolPen=None, name="validation",
                                       connect="finite"),
        }
        self.curves["loss"].setDownsampling(auto=True, method="peak")  # long runs: keep the spikes
        self.curves["loss"].setClipToView(True)
        self.baseline = self.plot.plot(pen=style.pen(style.BASELINE_COLOR, dashed=True))  # legend: when known
        self.baseline.setZValue(10)  # above the curves it is to be compared with
        self.baseline_label = pg.TextItem("", color=style.BASELINE_COLOR, anchor=(1, 1))
        self.baseline_label.setZValue(11)
        self.plot.addItem(self.baseline_label, ignoreBounds=True)

    def _series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        steps, values = self.view.series.get(name, (None, None)) if self.view else (None, None)
        return as_float(steps), as_float(values)

    def _redraw(self) -> None:
        self.runs.show(self.view)
        log = self.log_y.isChecked()
        self.plot.setLogMode(x=False, y=log)
        data = {name: self._series(name) for name, _ in SERIES}
        baseline = self.view.baseline
        floor = log_floor(*(v for _, v in data.values()), [baseline] if baseline is not None else [])
        all_steps = np.concatenate([s for s, _ in data.values()])
        any_floored = False
        for name, (steps, values) in data.items():
            if log:
                shown, floored = for_log_axis(values, floor)
                any_floored |= bool(floored.any())
            else:
                shown = finite_or_nan(values)
            self.curves[name].setData(*peak_decimate(steps, shown))
            mark_short(self.curves[name], int(np.isfinite(shown).sum()), COLORS[name])
        legend_entry(self.plot, self.curves["val_loss"], "validation", data["val_loss"][0].size > 0)
        empty = " — no steps yet" if all_steps.size == 0 else ""
        diverged = divergence_note(self.view)
        overfit = overfitting(*data["val_loss"], *data["loss_smooth"])
        overfit_note = (f" — overfitting: validation +{overfit[1]:.0%} since step {overfit[0]}"
                        if overfit and not diverged else "")
        set_title(self.plot, TITLE + empty + diverged + overfit_note + floor_note(any_floored, floor),
                  color=style.THRESHOLD_COLOR if diverged or overfit_note else None)
        if baseline is not None and np.isfinite(baseline) and all_steps.size:
            x = [float(np.nanmin(all_steps)), float(np.nanmax(all_steps))]
            if x[1] - x[0] < 1:  # one recorded step: a line of zero length would not be drawn
                x = [x[0] - 0.5, x[1] + 0.5]
            y = [baseline, baseline]
            self.baseline.setData(x, for_log_axis(y, floor)[0] if log else y)
            legend_entry(self.plot, self.baseline, f"{BASELINE_NAME} = {baseline:.4g}", True)
            style.set_plain_text(self.baseline_label, f"baseline {baseline:.4g}")
            self.baseline_label.setPos(x[1], np.log10(baseline) if log and baseline > 0 else baseline)
            self.baseline_label.setVisible(True)
        else:
            self.baseline.setData([], [])
            legend_entry(self.plot, self.baseline, BASELINE_NAME, False)
            self.baseline_label.setVisible(False)
        style.set_label(self.plot, "left", loss_axis_label(self.view.snapshot), **{"font-size": style.LABEL_SIZE})
        self._set_range(log, data, baseline, all_steps)

    def _set_range(self, log: bool, data: dict, baseline, all_steps) -> None:
        """Every step; in y, log axis: everything fits, linear: the robust range. Steady (rnnviz.gui.plot.steady).

        x comes from the steps themselves: the raw curve is clipped to the view, so its bounds
        would only ever be the range it already has.
        """
        steady.hold(self.plot, x=finite_range(all_steps), steps=True)
        steps = np.concatenate([data[name][0] for name in RANGE_SERIES])
        values = np.concatenate([data[name][1] for name in RANGE_SERIES])
        y_range = recent_log_range(values, steps, baseline) if log else robust_range(values, steps, baseline)
        if y_range is None:
            steady.hold_items(self.plot, x=False)
        else:
            steady.hold(self.plot, y=y_range)

    def table_options(self) -> dict:
        return {"log_y": self.log_y.isChecked()}
