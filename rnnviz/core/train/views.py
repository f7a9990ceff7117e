"""The per-view numbers of the connectivity and units views, built from the trainer's last batch.

Kept apart from the trainer so that the training loop stays about training: the trainer
hands over its model and last batch; this module decides what is computed for one view
(the connectivity map of the shown sample; the with/without comparison when units are held;
the unit ranking when it is cheap enough, or when asked) and how the held values are chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rnnviz.core.diagnostics.ablation import (MAX_RANKING_ROWS, ClampComparison, UnitRanking, compare_clamp,
                                              hidden_means, rank_units)
from rnnviz.core.diagnostics.connectivity import Connectivity
from rnnviz.core.diagnostics.connectivity_shapes import shaped_connectivity
from rnnviz.core.nn.clamp import UnitClamp
from rnnviz.core.nn.units import unit_name, unit_parts, units_per_layer

# "auto" ranks the units in every view on a few samples (at most this many rows: 4 samples of
# 64 units) and only below this many multiply-adds (rows x steps x H^2 per layer): at H=64, T=25
# the ranking then costs ~20 ms with one BLAS thread, against ~80 ms on the 2048 rows of "always"
AUTO_RANKING_ROWS = 264
AUTO_RANKING_WORK = 1e8


@dataclass(frozen=True)
class UnitsView:
    """What the units panel shows: the held units, the ranking, and the with/without comparison."""

    num_layers: int
    hidden_size: int  # units per layer, every stack's (rnnviz.core.nn.units)
    clamp: UnitClamp | None  # the held units, or None
    ranking: UnitRanking | None  # None when skipped (see ``ranking_note``)
    comparison: ClampComparison | None  # None when no unit is held
    ranking_note: str = ""  # why there is no ranking, for people
    names: tuple = ()  # (hidden_size,) the names of a layer's units without the layer: "3", "fwd 3", "dec 0"
    parts: tuple = ()  # ((stack name, units per layer), ...) in the order of the unit numbers


@dataclass(frozen=True)
class Details:
    connectivity: Connectivity | None
    units: UnitsView


def connectivity_rows(conn: Connectivity, labels) -> list:
    """The connectivity view's CSV rows [kind, t, s, distance, input_token, connectivity, share]:
    every (t, s) cell that can be non-zero (s <= t for a causal map), then the mean by distance."""
    labels = list(labels or []) if conn.matrix.shape[1] > 1 else ["v"]
    rows = []
    for t in range(conn.matrix.shape[0]):
        for s in range(t + 1 if conn.causal else conn.matrix.shape[1]):
            token = str(labels[s]) if s < len(labels) else ""
            rows.append(["map", t, s, conn.distance_at(t, s), token, float(conn.matrix[t, s]),
                         float(conn.share[t, s])])
    for d, value in enumerate(np.asarray(conn.by_distance, dtype=float)):
        rows.append(["mean_by_distance", "", "", d, "", float(value), ""])
    return rows


def sample_state(h0, sample: int):
    """One sample's initial state (L, H) (or a pair) from a batch's (L, B, H), or None."""
    if h0 is None:
        return None
    if isinstance(h0, tuple):
        return tuple(np.asarray(part)[:, sample] for part in h0)
    return np.asarray(h0)[:, sample]


def ranking_work(model, steps: int, batch: int, max_rows: int = MAX_RANKING_ROWS) -> float:
    """Multiply-adds of ``rank_units`` on a batch of this size (its forward pass)."""
    c = model.config
    units = c.num_layers * units_per_layer(c)
    rows = (units + 1) * max(1, min(batch, max_rows // (units + 1)))
    return float(rows) * steps * units_per_layer(c) * max(c.hidden_size, c.decoder_hidden_size or 0) \
        * model.cell.gates * c.num_layers


def build(model, inputs, targets, h0, step: int, sample: int, ranking: str, mode: str,
          previous: UnitRanking | None = None) -> Details:
    """The numbers of one view (see the module docstring). ``ranking``: "auto", "always", "never";
    "auto" shows ``previous`` (a recent ranking of the same held units) instead when given."""
    if ranking not in ("auto", "always", "never"):
        raise ValueError(f"ranking must be 'auto', 'always' or 'never', got {ranking!r}")
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    s = min(max(int(sample), 0), inputs.shape[1] - 1)
    classify = np.issubdtype(targets.dtype, np.integer)
    conn = shaped_connectivity(model, inputs[:, s], sample_state(h0, s), classify)  # padded: its real steps
    steps, batch = inputs.shape[:2]
    work = ranking_work(model, steps, batch, AUTO_RANKING_ROWS)
    note = ""
    ranked = None
    if ranking == "always":
        ranked = rank_units(model, inputs, targets, h0, mode=mode)
    elif ranking == "auto" and previous is not None:
        ranked = previous
    elif ranking == "auto" and work <= AUTO_RANKING_WORK:
        ranked = rank_units(model, inputs, targets, h0, mode=mode, max_rows=AUTO_RANKING_ROWS)
    elif ranking == "auto" and previous is None:
        note = (f"ranking not recomputed in every view at this size ({work:.1e} multiply-adds): "
                f"press Rank units")
    else:
        note = "ranking not computed"
    if ranked is not None and ranked is not previous:
        ranked = replace(ranked, step=int(step))
    units = UnitsView(num_layers=model.config.num_layers, hidden_size=units_per_layer(model.config),
                      clamp=model.clamp, ranking=ranked,
                      comparison=compare_clamp(model, inputs, targets, h0, s), ranking_note=note,
                      names=layer_unit_names(model.config), parts=unit_parts(model.config))
    return Details(connectivity=conn, units=units)


def layer_unit_names(config) -> tuple:
    """The names of one layer's units, without the layer: "3", "fwd 3", "dec 0"."""
    return tuple(unit_name(config, 0, unit).split(":")[-1] for unit in range(units_per_layer(config)))


def clamp_for(model, last, units, mode: str) -> UnitClamp | None:
    """The clamp holding ``units`` [(layer, unit), ...]: units already held keep their value, new
    ones are held at 0 or at their mean over ``last``'s batch (inputs, targets, h0, ...) with the
    held ones held. None for an empty list."""
    if mode not in ("zero", "mean"):
        raise ValueError(f"units are held at 'zero' or 'mean', got {mode!r}")
    units = sorted({(int(layer), int(unit)) for layer, unit in units})
    if not units:
        return None
    c = model.config
    current = dict(zip(model.clamp.units, model.clamp.values)) if model.clamp is not None else {}
    width = units_per_layer(c)
    UnitClamp(tuple(units), (0.0,) * len(units), mode).check(c.num_layers, width)
    values = dict.fromkeys(units, 0.0)
    if mode == "mean":
        inputs, h0 = np.asarray(last[0]), last[2]
        keep = np.ones((inputs.shape[1], c.num_layers, width), dtype=bool)
        held = np.zeros(keep.shape)
        for (layer, unit), value in current.items():
            keep[:, layer, unit], held[:, layer, unit] = False, value
        parts = None if h0 is None else (tuple(h0) if isinstance(h0, tuple) else (h0,))
        with np.errstate(all="ignore"):
            means = hidden_means(model, inputs, keep, held, parts)  # (L, W)
        values = {(layer, unit): float(means[layer, unit]) for layer, unit in units}
        bad = [unit_name(c, layer, unit) for (layer, unit), value in values.items()
               if (layer, unit) not in current and not np.isfinite(value)]
        if bad:
            raise ValueError(f"the mean of unit {bad[0]} over the last batch is not a number (the batch "
                             f"overflowed): hold it at zero instead")
    values.update({key: value for key, value in current.items() if key in values})
    return UnitClamp(tuple(units), tuple(values[u] for u in units), mode)
