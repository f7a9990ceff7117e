"""Jacobian-chain panel: how strongly h_T still depends on h_{T-k}, lag by lag.

||dh_T/dh_{T-k}|| against the lag k on a log axis (solid), with the textbook bound
(gamma * sigma_max)^k (dashed): when the bound falls, gradients must vanish (Pascanu et
al. 2013). A vertical line marks the gradient horizon, and a badge names the regime.
Everything comes from ``snapshot.diagnostics``; without it the plot says so. The curves are
the exact logs (``chain_log10``, ``bound_log10``) drawn on a linear view whose axis is labelled
as powers of ten: a chain of 1e-400 or 1e+400, which float64 cannot hold, is still drawn where
it belongs instead of as 0 or a gap.

The bound is drawn darker and on top of the chain, so it stays visible where it is tight
(exploding: both rise together). When it runs far above the chain, the y range follows the
chain instead and the legend says the bound is off-scale: otherwise the chain, the thing
to read, would be a flat line at the bottom. The top of the range keeps a row free for the
horizon's label.
"""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.plot.markers import StepMarkers, marked_steps
from rnnviz.core.tables.gradients import chain_arrays, chain_names
from rnnviz.core.diagnostics import summary as diagnostics
from rnnviz.core.train import lessons
from rnnviz.gui.panels.group import RunOverlay
from rnnviz.gui.panels.base import Line, Panel, as_float, line, set_title, show_item

TITLE = "How h_T depends on h_{T\u2212k}"  # short: the dock is ~400 px; the axis says the rest
BADGE_TIP = ("regime from the chain's mean growth per step g: vanishing below 0.9, exploding above 1.1; "
             "\u03c1 is W_hh's spectral radius (largest |eigenvalue|); \u2192 and \u2190 are a bidirectional "
             "network's forward and backward directions; enc and dec an encoder-decoder's stacks")

BADGE_LONG = 40  # characters: past this the badge drops to the label size, or a ~400 px dock cuts it
OFF_SCALE_DECADES = 3.0  # a bound this many decades above the chain's peak is cut off at the top
MIN_HEADROOM_DECADES = 1.0  # above the chain's peak when the bound is cut: room for the horizon label
HEADROOM_FRACTION = 0.25  # ... or this share of the chain's own span, if larger
LABEL_ROOM = 0.25  # of the span, above the highest curve: the horizon label's row at the top
MIN_SPAN_DECADES = 1.0  # a nearly flat chain (IRNN) spans a decade: its noise does not move the range
BOTTOM_ROOM = 0.08  # of the span, below the lowest curve: the label of the bottom tick is not cut off
BOUND_DARKER = 170  # QColor.darker factor: the bound's dashes read on top of its chain's colour
HORIZON_LABEL_POSITION = 0.985  # along the line from the bottom: at its top, above the curves' usual path

PART_MARKS = {"forward": "\u2192", "backward": "\u2190", "encoder": "enc", "decoder": "dec"}  # the badge's
#   short names of a network's stacks: it must fit a ~400 px dock
NO_DIAGNOSTICS = "no diagnostics for this snapshot yet (they are computed every few steps)"
NO_DIAGNOSTICS_DIVERGED = "no diagnostics: the run diverged, and a chain through NaN/Inf has no norm"


SUPERSCRIPTS = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


class ChainAxis(style.LogAxis):
    """The log axis, also past float64's range (10^-400 cannot be computed, only written)."""

    def logTickStrings(self, values, scale, spacing):
        if all(abs(float(v)) < 300 for v in values):
            return super().logTickStrings(values, scale, spacing)
        return [("10" + f"{float(v):.0f}".translate(SUPERSCRIPTS)) if float(v).is_integer() else ""
                for v in values]


class ChainPanel(Panel):
    view_name = "chain"
    title = "Jacobian chain"

    def _build(self) -> None:
        self.badge = self.canvas.addLabel("", row=0, col=0, size=style.TITLE_SIZE)
        self._small_badge: str | None = None  # the badge, numbers left out, that had to take the label size
        self._caveat_run = None  # (source, model settings) of the run whose badge last had a caveat line
        self.badge.setToolTip(BADGE_TIP)
        self.plot: pg.PlotItem = self.canvas.addPlot(row=1, col=0, axisItems={"left": ChainAxis("left")})
        style.style_plot(self.plot, TITLE,
                         "\u2016\u2202h_T/\u2202h_{T\u2212k}\u2016 (log scale)", "lag k (steps back from T)")
        # the data are log10 already: only the axis is logarithmic (its labels read 10^v); the view
        # is told it is linear, so that it does not keep its range inside float64's
        self.plot.getAxis("left").setLogMode(y=True)
        self.plot.vb.setLogMode("y", False)
        style.add_legend(self.plot, self.canvas.ci, row=2)  # below the plot: never over the curves
        self.runs = RunOverlay(self.plot, "chain")  # the other runs, when runs are compared
        self.chain_curves: list[Line] = []
        self.bound_curves: list[Line] = []
        self.horizon = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.MARKER_COLOR, dotted=True),
                                       label="horizon", labelOpts={"position": HORIZON_LABEL_POSITION,
                                                                   "color": style.MARKER_COLOR,
                                                                   "fill": (255, 255, 255, 200)})
        self.plot.addItem(self.horizon)
        self.horizon.setVisible(False)
        self.markers = StepMarkers(self.plot)  # at lag k = T - 1 - t of each marked step t

    def _ensure_curves(self, layers: int, bounds_known=(), off_scale: bool = False, names=None) -> None:
        """A solid chain and a dashed bound per layer (or per part and layer: ``names``); a bound
        the diagnostics could not give (gated cells) is hidden, legend entry included."""
        while len(self.chain_curves) < layers:
            color = style.layer_color(len(self.chain_curves))
            self.chain_curves.append(line(self.plot, style.pen(color, 3)))  # log10 already: a linear view
            bound = line(self.plot, style.pen(QtGui.QColor(color).darker(BOUND_DARKER), 1.5, dashed=True))
            bound.setZValue(1)  # over the chain: a tight bound would hide under it
            self.bound_curves.append(bound)
        for k, (chain, bound) in enumerate(zip(self.chain_curves, self.bound_curves)):
            name = names[k] if names is not None and k < len(names) else f"layer {k}" if layers > 1 else ""
            show_item(self.plot, chain, name or "chain", k < layers)  # one stack of one layer: no "layer 0"
            known = k < layers and k < len(bounds_known) and bool(bounds_known[k])
            note = ", off-scale" if off_scale else ""
            # several stacks: four entries, two a row; the formula (in the tooltip and F1) would push
            # the legend, and the plot with it, past a ~400 px dock
            formula = "" if names is not None else " (\u03b3\u03c3_max)^k"
            show_item(self.plot, bound, f"{name} bound{formula}{note}".lstrip(), known)

    def _redraw(self) -> None:
        self.runs.show(self.view)
        arrays = chain_arrays(self.view)  # the core's, as the CSV reads them
        if arrays is None:
            self._ensure_curves(0)
            self.horizon.setVisible(False)
            self.markers.set([])
            message = NO_DIAGNOSTICS_DIVERGED if self.view.status == "diverged" else NO_DIAGNOSTICS
            style.set_label_text(self.badge, message, color=style.UNKNOWN_COLOR, size=style.LABEL_SIZE)
            style.relax(self.badge)
            return
        diag, chain, bound = arrays
        layers = chain.shape[0]
        floor = log10_floor(chain, bound)
        others = self.runs.values(self.view)  # (N,) log10: the other runs' chains stay in view too
        y_range, off_scale = chain_range(np.concatenate([chain.ravel(), others])[None, :], bound, floor)
        self._ensure_curves(layers, np.isfinite(bound).any(axis=1), off_scale=off_scale, names=chain_names(diag))
        lags = np.arange(chain.shape[1])
        any_floored = False
        for k in range(layers):
            shown_chain, floored_chain = at_floor(chain[k], floor)
            shown_bound, floored_bound = at_floor(bound[k], floor)
            self.chain_curves[k].set_values(lags, shown_chain)
            self.bound_curves[k].set_values(lags, shown_bound)
            any_floored |= bool(floored_chain.any() or floored_bound.any())
        set_title(self.plot, TITLE + (f" (zeros drawn at 1e{floor:.0f})" if any_floored else ""))
        steps = chain.shape[1] - 1  # T: lag k reaches h_{T-k}; timestep t (from 0) holds h_{t+1}
        self.markers.set([steps - 1 - t for t in marked_steps(self.view.snapshot.labels) if t < steps])
        if y_range is None:
            steady.hold_items(self.plot)
        else:  # log10 units: the axis is logarithmic
            steady.hold(self.plot, y=y_range)
            steady.hold_items(self.plot, y=False)
        horizon = getattr(diag, "horizon", None)
        if horizon is not None and np.isfinite(float(horizon)):
            self.horizon.setVisible(True)  # first: a hidden label ignores new text
            label = self.horizon.label
            right_half = float(horizon) > lags[-1] / 2  # text on the side with more room
            anchor = (1.0, 0.0) if right_half else (0.0, 0.0)
            text = f"horizon k={int(horizon)}"
            if self.horizon.value() != float(horizon) or label.format != text or list(label.anchors) != [anchor, anchor]:
                self.horizon.setValue(float(horizon))  # unchanged: the label keeps its laid-out text
                label.setFormat(text)
                label.anchors = [anchor, anchor]
                label.updatePosition()
        else:
            self.horizon.setVisible(False)
        text = self._badge_text(diag)
        style.set_label_text(self.badge, text, color=self._badge_color(diag), size=self._badge_size(text))
        style.relax(self.badge)

    def _badge_size(self, text: str) -> str:
        """The title size, or the label size for a long badge (a ~400 px dock would cut it).

        A badge whose numbers change width from view to view (x0.98, then x1.1e+02) keeps the
        smaller size once it had to take it, while its words stay the same: a badge changing size
        at every view would lay out the plot below it again, and paint it twice."""
        plain = re.sub(r"<[^>]+>", "", text.split("<br>")[0])  # the first line sets the size
        words = re.sub(r"[-+]?[\d.]+(e[-+]?\d+)?", "#", plain)  # the badge without its numbers
        small = len(plain) > BADGE_LONG or self._small_badge == words
        self._small_badge = words if small else None
        return style.LABEL_SIZE if small else style.TITLE_SIZE

    @staticmethod
    def _badge_color(diag) -> str:
        return style.REGIME_COLORS.get(str(getattr(diag, "regime", "")), style.UNKNOWN_COLOR)

    def _badge_text(self, diag) -> str:
        parts = getattr(diag, "parts", None) or {}
        if parts:  # one regime per direction, short enough for the dock: arrows name the directions
            return " \u00b7 ".join(f"{PART_MARKS.get(name, name)} <b>{str(part.regime).upper()}</b> "
                                    f"\u00d7{float(part.growth):.2g}" for name, part in parts.items())
        regime = str(getattr(diag, "regime", "unknown"))
        parts = [f"<b>{regime.upper()}</b>"]  # short enough for a ~400 px dock; BADGE_TIP explains
        growth = getattr(diag, "growth", None)
        if growth is not None and np.isfinite(float(growth)):
            parts.append(f"\u00d7{float(growth):.3g} per step")
        radius = as_float(getattr(diag, "spectral_radius", None))
        if radius.size:
            parts.append("\u03c1 " + ", ".join(f"{r:.3g}" for r in radius.ravel()[:3]))
        cell = str((self.view.model_config or {}).get("cell", "")) if self.view is not None else ""
        if cell in ("lstm", "gru"):  # the chain is not the whole story: say where the gradient goes
            parts.append("cell path: see Gates")
        dead = as_float(getattr(diag, "dead_units", None))
        if cell == "relu" and dead.size and float(dead.max()) > 0:
            parts.append(f"dead units {float(dead.max()):.0%}")
        text = " \u00b7 ".join(parts)
        caveat = self._caveat(diag)
        run = (self.view.source_name, self.view.model_config)
        if caveat:
            self._caveat_run = run
        elif self._caveat_run == run:  # a regime flipping early in a run: the line's room stays
            caveat = "&nbsp;"  # else the plot below is laid out again, and painted twice, at each flip
        if caveat:  # what the badge's numbers leave out (the core's note), on a line of its own
            text += f"<br><span style='font-size:{style.LEGEND_SIZE}; font-weight:normal'>{caveat}</span>"
        return text

    def _caveat(self, diag) -> str:
        snapshot = self.view.snapshot
        chain = as_float(getattr(diag, "chain", None))
        steps = chain.shape[-1] - 1 if chain.ndim == 2 else 0
        scored = np.shape(snapshot.targets)[0] if np.ndim(snapshot.targets) else 0
        log_chain = as_float(getattr(diag, "chain_log10", None))
        cut = diagnostics.chain_cut(log_chain[-1]) if log_chain.ndim == 2 and log_chain.shape[0] else None
        return lessons.badge_note(str(getattr(diag, "regime", "")), getattr(diag, "horizon", None), steps,
                                  scored, cut)


def log10_floor(*arrays) -> float:
    """Where an exact zero (log10 = -inf) is drawn: a decade below the smallest finite log10 among
    ``arrays`` (0 when none is finite)."""
    lowest = np.inf
    for values in arrays:
        finite = values[np.isfinite(values)]
        if finite.size:
            lowest = min(lowest, float(finite.min()))
    return lowest - 1.0 if np.isfinite(lowest) else 0.0


def at_floor(logs: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """(log10 values to plot, mask of exact zeros now drawn at ``floor``); NaN stays a gap."""
    floored = logs == -np.inf
    shown = np.where(np.isfinite(logs), logs, np.nan)
    shown[floored] = floor
    return shown, floored


def chain_range(chain: np.ndarray, bound: np.ndarray, floor: float) -> tuple[tuple[float, float] | None, bool]:
    """((low, high) in log10 units or None when nothing is finite, bound off-scale?) for the
    chain (L, T+1) and bound (L, T+1), both log10. A bound more than OFF_SCALE_DECADES above the
    chain's peak is cut off, so the chain keeps the plot's height; the top always has room for
    the horizon label above the curves."""
    if not np.isfinite(chain).any():
        return None, False
    chain_high = float(np.nanmax(np.where(np.isfinite(chain), chain, np.nan)))
    finite_bound = np.isfinite(bound).any()
    bound_high = float(np.nanmax(np.where(np.isfinite(bound), bound, np.nan))) if finite_bound else -np.inf
    off_scale = bound_high - chain_high > OFF_SCALE_DECADES
    low = float(np.nanmin(np.where(np.isfinite(chain), chain, np.nan)))
    if finite_bound:
        low = min(low, float(np.nanmin(np.where(np.isfinite(bound), bound, np.nan))))
    if (chain == -np.inf).any() or (bound == -np.inf).any():
        low = min(low, floor)  # floored zeros stay in view
    high = chain_high if off_scale else max(chain_high, bound_high)
    span = max(high - low, MIN_SPAN_DECADES)
    headroom = max(MIN_HEADROOM_DECADES, HEADROOM_FRACTION * span) if off_scale else LABEL_ROOM * span
    return (low - BOTTOM_ROOM * span, high + headroom), off_scale
