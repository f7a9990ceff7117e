"""Tables of the window's views that show something other than one run's ViewData: a group of
runs side by side, and a sweep's phase diagram and success curves."""

from __future__ import annotations

import numpy as np

from rnnviz.core.tables.cells import as_float


def runs(overlays):
    """The runs of a group (rnnviz.core.train.group overlays): loss, ||dL/dh_t|| and log10 chain,
    each the median over seeds with its low and high."""
    header = ["run", "plot", "x", "median", "low", "high"]
    rows = []
    for o in overlays or []:
        for name, x, mid, low, high in (
                ("loss", o.loss_steps, o.loss, o.loss_low, o.loss_high),
                ("grad_norm", np.arange(len(o.profile)), o.profile, o.profile_low, o.profile_high),
                ("chain_log10", np.arange(len(o.chain_log10)), o.chain_log10, o.chain_low, o.chain_high)):
            rows.extend([o.label, name, float(xx), float(a), float(b), float(c)]
                        for xx, a, b, c in zip(as_float(x), as_float(mid), as_float(low), as_float(high)))
    return header, rows


def phase(t):
    """A sweep's phase diagram (rnnviz.core.train.sweep_table.PhaseTable): the metric per cell."""
    header = [t.facet_name or "facet", t.y_name or "y", t.x_name or "x", t.metric if t else "value", "seeds"] \
        if t else ["facet", "y", "x", "value", "seeds"]
    if t is None:
        return header, []
    rows = []
    for f, facet in enumerate(t.facet_values):
        for j, y in enumerate(t.y_values):
            for i, x in enumerate(t.x_values):
                rows.append([facet, y, x, float(t.values[f, j, i]), int(t.counts[f, j, i])])
    return header, rows


def success(c):
    """A sweep's success curves (rnnviz.core.train.sweep_table.SuccessCurves)."""
    header = ["curve", c.x_name if c and c.x_name else "x", "success_rate", "seeds"]
    if c is None:
        return header, []
    rows = []
    for k, label in enumerate(c.labels):
        for i, x in enumerate(c.x_values):
            rows.append([label or "all", x, float(c.rates[k, i]), int(c.counts[k, i])])
    return header, rows
