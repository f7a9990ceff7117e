"""Jacobian-chain panel: how strongly h_T still depends on h_{T-k}, lag by lag.

||dh_T/dh_{T-k}|| against the lag k on a log axis (solid), with the textbook bound
(gamma * sigma_max)^k (dashed): when the bound falls, gradients must vanish (Pascanu et
al. 2013). A vertical line marks the gradient horizon, and a badge names the regime.
Everything comes from ``snapshot.diagnostics``; without it the plot says so.

The bound is drawn darker and on top of the chain, so it stays visible where it is tight
(exploding: both rise together). When it runs far above the chain, the y range follows the
chain instead and the legend says the bound is off-scale: otherwise the chain, the thing
to read, would be a flat line at the bottom. The top of the range keeps a row free for the
horizon's label.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

from rnnviz.gui.plot import steady
from rnnviz.gui.plot import style
from rnnviz.gui.plot.markers import StepMarkers, marked_steps
from rnnviz.gui.panels.base import (FLOOR_NOTE, Panel, as_float, floor_note, for_log_axis, log_floor,
                                    set_title, show_item)

TITLE = "How h_T depends on h_{T\u2212k}"  # short: the dock is ~400 px; the axis says the rest
BADGE_TIP = ("regime from the chain's mean growth per step g: vanishing below 0.9, exploding above 1.1; "
             "\u03c1 is W_hh's spectral radius (largest |eigenvalue|); \u2192 and \u2190 are a bidirectional "
             "network's forward and backward directions; enc and dec an encoder-decoder's stacks")

OFF_SCALE_DECADES = 3.0  # a bound this many decades above the chain's peak is cut off at the top
MIN_HEADROOM_DECADES = 1.0  # above the chain's peak when the bound is cut: room for the horizon label
HEADROOM_FRACTION = 0.25  # ... or this share of the chain's own span, if larger
LABEL_ROOM = 0.25  # of the span, above the highest curve: the horizon label's row at the top
MIN_SPAN_DECADES = 0.2  # a nearly flat chain (IRNN) still gets a range a label fits in
BOTTOM_ROOM = 0.08  # of the span, below the lowest curve: the label of the bottom tick is not cut off
BOUND_DARKER = 170  # QColor.darker factor: the bound's dashes read on top of its chain's colour
HORIZON_LABEL_POSITION = 0.985  # along the line from the bottom: at its top, above the curves' usual path

PART_MARKS = {"forward": "\u2192", "backward": "\u2190", "encoder": "enc", "decoder": "dec"}  # the badge's
#   short names of a network's stacks: it must fit a ~400 px dock
NO_DIAGNOSTICS = "no diagnostics for this snapshot yet (they are computed every few steps)"
NO_DIAGNOSTICS_DIVERGED = "no diagnostics: the run diverged, and a chain through NaN/Inf has no norm"


class ChainPanel(Panel):
    view_name = "chain"
    title = "Jacobian chain"

    def _build(self) -> None:
        self.badge = self.canvas.addLabel("", row=0, col=0, size=style.TITLE_SIZE)
        self.badge.setToolTip(BADGE_TIP)
        self.plot: pg.PlotItem = self.canvas.addPlot(row=1, col=0, axisItems=style.log_axis())
        style.style_plot(self.plot, TITLE,
                         "\u2016\u2202h_T/\u2202h_{T\u2212k}\u2016 (log scale)", "lag k (steps back from T)")
        self.plot.setLogMode(x=False, y=True)
        style.add_legend(self.plot, self.canvas.ci, row=2)  # below the plot: never over the curves
        self.chain_curves: list[pg.PlotDataItem] = []
        self.bound_curves: list[pg.PlotDataItem] = []
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
            self.chain_curves.append(self.plot.plot(pen=style.pen(color, 3), connect="finite"))
            bound = self.plot.plot(pen=style.pen(QtGui.QColor(color).darker(BOUND_DARKER), 1.5, dashed=True),
                                   connect="finite")
            bound.setZValue(1)  # over the chain: a tight bound would hide under it
            self.bound_curves.append(bound)
        for k, (chain, bound) in enumerate(zip(self.chain_curves, self.bound_curves)):
            name = names[k] if names is not None and k < len(names) else f"layer {k}"
            show_item(self.plot, chain, name, k < layers)
            known = k < layers and k < len(bounds_known) and bool(bounds_known[k])
            note = ", off-scale" if off_scale else ""
            show_item(self.plot, bound, f"{name} bound (\u03b3\u03c3_max)^k{note}", known)

    def _names(self, diag) -> list | None:
        """Curve names for a network of several stacks (each part's chain, per layer), else None."""
        parts = getattr(diag, "parts", None) or {}
        if not parts:
            return None
        layers = as_float(diag.chain).shape[0]
        return [name if layers == 1 else f"{name}, layer {k}" for name in parts for k in range(layers)]

    def _arrays(self):
        diag = self.view.snapshot.diagnostics if self.view is not None else None
        if diag is None:
            return None
        parts = getattr(diag, "parts", None) or {}
        if parts:  # every part's chain in its own processing order: (P*L, T+1), NaN past a shorter part's end
            chain = _stacked([as_float(part.chain) for part in parts.values()])
            bound = _stacked([as_float(part.bound) for part in parts.values()])
        else:
            chain = as_float(getattr(diag, "chain", None))  # (L, T+1)
            bound = as_float(getattr(diag, "bound", None))  # (L, T+1)
        if chain.ndim != 2:
            return None
        if bound.shape != chain.shape:
            bound = np.full(chain.shape, np.nan)
        return diag, chain, bound

    def _redraw(self) -> None:
        arrays = self._arrays()
        if arrays is None:
            self._ensure_curves(0)
            self.horizon.setVisible(False)
            self.markers.set([])
            message = NO_DIAGNOSTICS_DIVERGED if self.view.status == "diverged" else NO_DIAGNOSTICS
            self.badge.setText(message, color=style.UNKNOWN_COLOR, size=style.LABEL_SIZE)
            style.relax(self.badge)
            return
        diag, chain, bound = arrays
        layers = chain.shape[0]
        floor = log_floor(chain, bound)
        y_range, off_scale = chain_range(chain, bound, floor)
        self._ensure_curves(layers, np.isfinite(bound).any(axis=1), off_scale=off_scale, names=self._names(diag))
        lags = np.arange(chain.shape[1])
        any_floored = False
        for k in range(layers):
            shown_chain, floored_chain = for_log_axis(chain[k], floor)
            shown_bound, floored_bound = for_log_axis(bound[k], floor)
            self.chain_curves[k].setData(lags, shown_chain)
            self.bound_curves[k].setData(lags, shown_bound)
            any_floored |= bool(floored_chain.any() or floored_bound.any())
        set_title(self.plot, TITLE + floor_note(any_floored, floor))
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
            self.horizon.setValue(float(horizon))
            self.horizon.label.setFormat(f"horizon k={int(horizon)}")
            right_half = float(horizon) > lags[-1] / 2  # text on the side with more room
            anchor = (1.0, 0.0) if right_half else (0.0, 0.0)
            self.horizon.label.anchors = [anchor, anchor]
            self.horizon.label.updatePosition()
        else:
            self.horizon.setVisible(False)
        self.badge.setText(self._badge_text(diag), color=self._badge_color(diag), size=style.TITLE_SIZE)
        style.relax(self.badge)

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
        return " \u00b7 ".join(parts)

    def _table(self):
        header = ["layer", "lag_k", "chain_norm", "bound", "marker", "note"]
        arrays = self._arrays()
        if arrays is None:
            return header, []
        diag, chain, bound = arrays
        names = self._names(diag)
        if names is not None:
            header = header + ["part"]
        horizon = getattr(diag, "horizon", None)
        layers = as_float(diag.chain).shape[0]  # per part
        rows = []
        for k in range(chain.shape[0]):
            for lag in range(chain.shape[1]):
                a, b = float(chain[k, lag]), float(bound[k, lag])
                marker = "horizon" if horizon is not None and k == layers - 1 and lag == int(horizon) else ""
                floored = any(np.isfinite(v) and v <= 0 for v in (a, b))
                row = [k % layers, lag, a, b, marker, FLOOR_NOTE if floored else ""]
                rows.append(row if names is None else row + [names[k].split(",")[0]])
        return header, rows


def _stacked(rows: list) -> np.ndarray:
    """(L_i, K_i) arrays one under another, (sum L_i, max K_i), NaN where a row is shorter."""
    width = max(row.shape[1] for row in rows)
    return np.concatenate([np.pad(row, ((0, 0), (0, width - row.shape[1])), constant_values=np.nan)
                           for row in rows])


def chain_range(chain: np.ndarray, bound: np.ndarray, floor: float) -> tuple[tuple[float, float] | None, bool]:
    """((low, high) in log10 units or None when nothing is finite, bound off-scale?) for the
    chain (L, T+1) and bound (L, T+1). A bound more than OFF_SCALE_DECADES above the chain's
    peak is cut off, so the chain keeps the plot's height; the top always has room for the
    horizon label above the curves."""
    with np.errstate(divide="ignore", invalid="ignore"):
        chain_log = np.log10(np.where(np.isfinite(chain) & (chain > 0), chain, np.nan))
        bound_log = np.log10(np.where(np.isfinite(bound) & (bound > 0), bound, np.nan))
    if not np.isfinite(chain_log).any():
        return None, False
    chain_high = float(np.nanmax(chain_log))
    bound_high = float(np.nanmax(bound_log)) if np.isfinite(bound_log).any() else -np.inf
    off_scale = bound_high - chain_high > OFF_SCALE_DECADES
    low = float(np.nanmin(chain_log))
    if np.isfinite(bound_log).any():
        low = min(low, float(np.nanmin(bound_log)))
    if (np.isfinite(chain) & (chain <= 0)).any() or (np.isfinite(bound) & (bound <= 0)).any():
        low = min(low, float(np.log10(floor)))  # floored zeros stay in view
    high = chain_high if off_scale else max(chain_high, bound_high)
    span = max(high - low, MIN_SPAN_DECADES)
    headroom = max(MIN_HEADROOM_DECADES, HEADROOM_FRACTION * span) if off_scale else LABEL_ROOM * span
    return (low - BOTTOM_ROOM * span, high + headroom), off_scale
