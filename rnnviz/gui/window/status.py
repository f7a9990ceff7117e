"""The status bar's permanent fields: what the trainer is doing, step, speed, loss, gradient
norm and regime, and the progress bar of "Train N steps".

They are fed from the worker's throttled statistics (at most ten a second) and from each new
view (the regime comes from its diagnostics), never once per training step.
"""

from __future__ import annotations

from PyQt6.QtGui import QFont, QFontMetrics
from PyQt6.QtWidgets import QLabel, QProgressBar, QStatusBar

from rnnviz.gui.plot import style

FIELDS = (("state", "what the trainer is doing"), ("step", "updates applied"),
          ("rate", "training speed"), ("loss", "training loss of the last batch"),
          ("grad", "global gradient norm before clipping"),
          ("lr", "learning rate of the next update: shown while LR growth raises it"),
          ("regime", "vanishing / stable / exploding, from the Jacobian chain"))
FIELD_WIDTH = 90  # pixels: "step 123456" and "1234 steps/s" fit without the bar jumping


class StatusFields:
    """Adds the fields to ``bar`` and keeps them up to date."""

    def __init__(self, bar: QStatusBar) -> None:
        self.labels: dict[str, QLabel] = {}
        for key, tip in FIELDS:
            label = QLabel("")
            label.setToolTip(tip)
            label.setMinimumWidth(FIELD_WIDTH)
            bar.addPermanentWidget(label)
            self.labels[key] = label
        self.labels["regime"].setMinimumWidth(regime_width(self.labels["regime"]))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.progress.setToolTip("Train N steps")
        bar.addPermanentWidget(self.progress)

    def show_stats(self, stats: dict) -> None:
        labels = self.labels
        labels["state"].setText(stats.get("status", ""))
        labels["step"].setText(f"step {stats['step']}")
        labels["rate"].setText(f"{stats['steps_per_sec']:.0f} steps/s" if stats["steps_per_sec"] else "")
        labels["loss"].setText(f"loss {_number(stats['loss'], '.4g')}")
        labels["grad"].setText(f"‖g‖ {_number(stats['grad_norm'], '.3g')}")
        lr = stats.get("lr", float("nan"))
        labels["lr"].setText("" if lr != lr else f"lr {lr:.3g}")  # NaN: a constant rate, in the form

    def show_regime(self, view) -> None:
        diagnostics = getattr(view.snapshot, "diagnostics", None)
        regime = getattr(diagnostics, "regime", "") if diagnostics is not None else ""
        label = self.labels["regime"]
        text = f"regime: {regime}" if regime else ""
        if label.text() == text and label.styleSheet():
            return  # a style sheet set again re-styles and re-lays out the status bar at every redraw
        label.setText(text)
        color = style.REGIME_COLORS.get(regime, style.UNKNOWN_COLOR)
        label.setStyleSheet(f"color: {color}; font-weight: bold;")

    def start_progress(self, total: int) -> None:
        self.progress.setRange(0, int(total))
        self.progress.setValue(0)
        self.progress.setVisible(True)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def end_progress(self) -> None:
        self.progress.setVisible(False)


def regime_width(label: QLabel) -> int:
    """Pixels that hold the widest regime text in bold: a regime that changes while training
    (stable, vanishing, ...) then never widens the field and re-lays out the whole status bar."""
    font = QFont(label.font())
    font.setBold(True)
    metrics = QFontMetrics(font)
    margins = label.contentsMargins()
    widest = max(metrics.horizontalAdvance(f"regime: {regime}") for regime in style.REGIME_COLORS)
    return max(FIELD_WIDTH, widest + margins.left() + margins.right() + 2 * label.margin() + 4)


def _number(value: float, spec: str) -> str:
    """A status number, or a dash before the first step (no loss yet is not a NaN loss)."""
    return "—" if value != value else format(value, spec)  # value != value: NaN
