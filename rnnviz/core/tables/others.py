"""Tables of the window's views that show something other than one run's ViewData: a group of
runs side by side, and a sweep's phase diagram and success curves."""

from __future__ import annotations

import numpy as np

from rnnviz.core.tables.cells import as_float


def runs(overlays):
    """The runs of a group (rnnviz.core.train.group overlays): loss, ||dL/dh_t|| and log10 chain,
    each the median over seeds with its low and high; ``shape`` names the run's network and
    ``part`` the stack a curve belongs to (a direction, the encoder or the decoder; an
    encoder-decoder's joined time axis names each step's stack), empty for a one-way stack."""
    header = ["run", "shape", "part", "plot", "x", "median", "low", "high"]
    rows = []
    for o in overlays or []:
        series = [("", "loss", o.loss_steps, o.loss, o.loss_low, o.loss_high)]
        series += [(c.name, "grad_norm", np.arange(len(c.median)), c.median, c.low, c.high) for c in o.profiles]
        series += [(c.name, "chain_log10", np.arange(len(c.median)), c.median, c.low, c.high) for c in o.chains]
        for part, name, x, mid, low, high in series:
            for xx, a, b, c in zip(as_float(x), as_float(mid), as_float(low), as_float(high)):
                stack = part
                if name == "grad_norm" and not part and o.divider is not None:  # source | decoder on one axis
                    stack = "encoder" if xx < o.divider else "decoder"
                rows.append([o.label, o.shape, stack, name, float(xx), float(a), float(b), float(c)])
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
