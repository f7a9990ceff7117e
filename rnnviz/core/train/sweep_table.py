"""The numbers behind a sweep's figures, computed once from its rows.

A *phase diagram* is one value per grid cell over two settings (x across, y up), one panel per
value of a third (the facet): the share of seeds that succeeded, or the median over seeds of
any other result column (a loss ratio, the chain's log10, a horizon). *Success curves* are the
success rate against one setting, one curve per combination of the others — the plot of
Bengio et al. (1994) and Le et al. (2015). The window's live diagram and the files that
``rnnviz sweep`` writes both read these tables.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from rnnviz.core.errors import UserError

METRIC_LABELS = {
    "success": "success rate",
    "loss_ratio": "final loss / baseline (median)",
    "loss_final": "final held-out loss (median)",
    "loss_best": "best held-out loss (median)",
    "accuracy": "held-out accuracy (median)",
    "chain_start_log10": "log\u2081\u2080 \u2016\u2202h_T/\u2202h_0\u2016 at start (median)",
    "chain_end_log10": "log\u2081\u2080 \u2016\u2202h_T/\u2202h_0\u2016 at end (median)",
    "horizon_start": "gradient horizon at start (median)",
    "horizon_end": "gradient horizon at end (median)",
    "diverged": "share diverged",
}
RATE_METRICS = ("success", "diverged")  # 0/1 per seed: shown as the share of seeds


@dataclass(frozen=True)
class PhaseTable:
    metric: str
    x_name: str | None  # None when nothing varies along x
    y_name: str | None
    facet_name: str | None
    x_values: tuple
    y_values: tuple
    facet_values: tuple
    values: np.ndarray  # (F, Y, X) the metric per cell; NaN where no seed has finished (or no value)
    counts: np.ndarray  # (F, Y, X) seeds finished per cell

    @property
    def label(self) -> str:
        return METRIC_LABELS.get(self.metric, self.metric)


@dataclass(frozen=True)
class SuccessCurves:
    x_name: str | None
    x_values: tuple
    labels: tuple  # one per curve: "cell=lstm" (empty when only x varies)
    rates: np.ndarray  # (C, X) success rate; NaN where no seed has finished
    counts: np.ndarray  # (C, X) seeds finished


def check_metric(metric: str) -> str:
    if metric not in METRIC_LABELS:
        raise UserError(f"--metric must be one of {', '.join(METRIC_LABELS)}, got {metric!r}")
    return metric


def axes_for(varied: dict, x=None, y=None, facet=None) -> tuple:
    """(x, y, facet) setting names: those asked for, else the varied settings in order."""
    names = list(varied)
    chosen = []
    for given in (x, y, facet):
        if given is not None and given not in names:
            raise UserError(f"{given!r} is not a varied setting; the varied ones are {', '.join(names) or 'none'}")
        chosen.append(given)
    rest = [n for n in names if n not in chosen]
    return tuple(c if c is not None else (rest.pop(0) if rest else None) for c in chosen)


def phase_table(rows: list[dict], varied: dict, metric: str = "success", x=None, y=None, facet=None) -> PhaseTable:
    """Aggregate ``rows`` over seeds (and over any varied setting not on an axis) per cell."""
    check_metric(metric)
    x, y, facet = axes_for(varied, x, y, facet)
    xs, ys, fs = (tuple(varied[n]) if n else (None,) for n in (x, y, facet))
    cells: dict = {}
    for row in rows:
        cell = (fs.index(row[facet]) if facet else 0, ys.index(row[y]) if y else 0, xs.index(row[x]) if x else 0)
        cells.setdefault(cell, []).append(row.get(metric))
    values = np.full((len(fs), len(ys), len(xs)), np.nan)
    counts = np.zeros((len(fs), len(ys), len(xs)), dtype=int)
    for cell, found in cells.items():
        counts[cell] = len(found)
        values[cell] = aggregate(metric, found)
    return PhaseTable(metric, x, y, facet, xs, ys, fs, values, counts)


def aggregate(metric: str, found: list) -> float:
    """The share of 1s for a rate, else the median of the finite values (NaN if none)."""
    numbers = np.array([np.nan if v is None else float(v) for v in found])
    if metric in RATE_METRICS:
        return float(np.mean(numbers == 1)) if numbers.size else np.nan
    finite = numbers[np.isfinite(numbers)]
    return float(np.median(finite)) if finite.size else np.nan


def success_curves(rows: list[dict], varied: dict, x=None) -> SuccessCurves:
    """The success rate against ``x`` (default: the first varied setting), one curve per
    combination of the other varied settings."""
    (x,) = axes_for(varied, x)[:1]
    others = [n for n in varied if n != x]
    xs = tuple(varied[x]) if x else (None,)
    combos = list(itertools.product(*(varied[n] for n in others))) if others else [()]
    rates = np.full((len(combos), len(xs)), np.nan)
    counts = np.zeros((len(combos), len(xs)), dtype=int)
    found: dict = {}
    for row in rows:
        combo = combos.index(tuple(row[n] for n in others))
        found.setdefault((combo, xs.index(row[x]) if x else 0), []).append(row.get("success"))
    for cell, values in found.items():
        counts[cell] = len(values)
        rates[cell] = aggregate("success", values)
    labels = tuple(", ".join(f"{n}={v}" for n, v in zip(others, combo)) for combo in combos)
    return SuccessCurves(x, xs, labels, rates, counts)


