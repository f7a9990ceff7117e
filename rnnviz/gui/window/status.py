"""The status bar's permanent fields: what the trainer is doing, step, speed, loss, gradient
norm and regime, and the progress bar of "Train N steps".

They are fed from the worker's throttled statistics (at most ten a second) and from each new
view (the regime comes from its diagnostics), never once per training step.
"""

from __future__ import annotations

from PyQt6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PyQt6.QtWidgets import QLabel, QProgressBar, QStatusBar

from rnnviz.gui.plot import style

FIELDS = (("state", "what the trainer is doing"), ("step", "updates applied"),
          ("rate", "training speed"), ("loss", "training loss of the last batch"),
          ("grad", "global gradient norm before clipping"),
          ("lr", "learning rate of the next update: shown while LR growth raises it"),
          ("regime", "vanishing / stable / exploding, from the Jacobian chain"))
# the widest text each field shows: its width is fixed to hold it
WIDEST = {"state": ("running", "ready", "diverged", "paused", "finished"), "step": ("step 99999999",),
          "rate": ("99999 steps/s",), "loss": ("loss -8.888e+888",), "grad": ("\u2016g\u2016 8.88e+888",),
          "lr": ("lr 8.88e-888",), "regime": tuple(f"regime: {regime}" for regime in style.REGIME_COLORS)}
FIELD_WIDTH = 90  # pixels at least


class StatusFields:
    """Adds the fields to ``bar`` and keeps them up to date.

    Every field has a fixed size that holds its widest text. A label whose size may change asks
    its parents' layouts to run again whenever its text does: the status bar's, then the main
    window's, which repaints the whole window, plots included, several times a second while a
    network trains.
    """

    def __init__(self, bar: QStatusBar) -> None:
        self.labels: dict[str, QLabel] = {}
        for key, tip in FIELDS:
            label = QLabel("")
            label.setToolTip(tip)
            if key == "regime":
                bold = QFont(label.font())
                bold.setBold(True)
                label.setFont(bold)
            label.setFixedSize(field_width(label, WIDEST[key]), label.sizeHint().height())
            bar.addPermanentWidget(label)
            self.labels[key] = label
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
        label.setText(text)  # the same text: Qt does nothing
        # the colour by palette, not style sheet: a style sheet re-styles and re-lays out the whole
        # status bar (and repaints its every field) whenever it changes
        color = QColor(style.REGIME_COLORS.get(regime, style.UNKNOWN_COLOR))
        palette = label.palette()
        if palette.color(QPalette.ColorRole.WindowText) != color:
            palette.setColor(QPalette.ColorRole.WindowText, color)
            label.setPalette(palette)

    def start_progress(self, total: int) -> None:
        self.progress.setRange(0, int(total))
        self.progress.setValue(0)
        self.progress.setVisible(True)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def end_progress(self) -> None:
        self.progress.setVisible(False)


def field_width(label: QLabel, texts) -> int:
    """Pixels that hold the widest of ``texts`` in the label's font, and at least FIELD_WIDTH."""
    metrics = QFontMetrics(label.font())
    margins = label.contentsMargins()
    widest = max(metrics.horizontalAdvance(text) for text in texts)
    return max(FIELD_WIDTH, widest + margins.left() + margins.right() + 2 * label.margin() + 4)


def _number(value: float, spec: str) -> str:
    """A status number, or a dash before the first step (no loss yet is not a NaN loss)."""
    return "—" if value != value else format(value, spec)  # value != value: NaN
