"""Tables of the views drawn from the gradients of the last batch: ||dL/dh_t||, the Jacobian chain,
connectivity, and the units switched off."""

from __future__ import annotations

import numpy as np

from rnnviz.core.tables.cells import FLOOR_NOTE, as_float, token
from rnnviz.core.train.views import connectivity_rows


# ---------------------------------------------------------------------- ||dL/dh_t||
def unit_parts(snapshot) -> tuple:
    """The parts side by side in the units (a bidirectional net's directions); () for one stack, and
    for parts that follow each other in time (an encoder-decoder's, drawn as one curve)."""
    if getattr(snapshot, "part_steps", ()):
        return ()
    return tuple(getattr(snapshot, "parts", ()) or ())


def grad_columns(snapshot) -> tuple[np.ndarray, np.ndarray]:
    """(sample (T, C), batch mean (T, C)) of ||dL/dh_t||, as the snapshot carries them: C = L
    columns, one per layer, or for several stacks side by side in h_t, one per part and layer."""
    per_part = getattr(snapshot, "part_grad_norm", None)  # (T, L, P), or None
    if per_part is not None:
        steps, layers, parts = per_part.shape
        sample = as_float(per_part).transpose(0, 2, 1).reshape(steps, parts * layers)
        mean = as_float(getattr(snapshot, "part_grad_mean", None))  # (T, L, P)
        mean = (mean.transpose(0, 2, 1).reshape(sample.shape) if mean.shape == (steps, layers, parts)
                else np.full(sample.shape, np.nan))
        return sample, mean
    sample = as_float(snapshot.grad_hidden_norm)  # (T, L)
    mean = as_float(snapshot.grad_hidden_mean)
    if mean.shape != sample.shape:
        mean = np.full(sample.shape, np.nan)
    return sample, mean


def grad_column_names(snapshot) -> list | None:
    """A name per column of ``grad_columns`` for several stacks side by side (part, layer); None for one."""
    parts = unit_parts(snapshot)
    layers = as_float(snapshot.grad_hidden).shape[1] if as_float(snapshot.grad_hidden).ndim == 3 else 0
    if not parts:
        return None
    return [part if layers == 1 else f"{part}, layer {k}" for part in parts for k in range(layers)]


def gradients(view):
    """The shown sample's and the batch mean's ||dL/dh_t|| at each step, per layer (and part), and
    a code vector's ||dL_t/dv||."""
    header = ["layer", "t", "token", "grad_norm_sample", "grad_norm_batch_mean", "note"]
    if view is None:
        return header, []
    snap = view.snapshot
    sample, mean = grad_columns(snap)
    names = grad_column_names(snap)
    if names is not None:
        header = header + ["part"]
    columns = sample.shape[1] if sample.ndim == 2 else 0
    parts = len(unit_parts(snap)) if names is not None else 1
    layers = columns // parts if parts else 0
    labels = list(snap.labels or [])
    rows = []
    for k in range(columns):
        for t in range(sample.shape[0]):
            a, b = float(sample[t, k]), float(mean[t, k])
            floored = any(np.isfinite(v) and v <= 0 for v in (a, b))
            row = [k % layers if layers else k, t, token(labels, t), a, b, FLOOR_NOTE if floored else ""]
            rows.append(row if names is None else row + [unit_parts(snap)[k // layers]])
    vector = getattr(snap, "vector_grads", None)
    for t, value in enumerate(as_float(vector) if vector is not None else []):  # ||dL_t/dv||
        row = ["code vector", t, token(labels, t), float(value), float("nan"), FLOOR_NOTE if value <= 0 else ""]
        rows.append(row if names is None else row + [""])
    return header, rows


# ---------------------------------------------------------------------- the chain
def stacked(rows: list) -> np.ndarray:
    """(L_i, K_i) arrays one under another, (sum L_i, max K_i), NaN where a row is shorter."""
    width = max(row.shape[1] for row in rows)
    return np.concatenate([np.pad(row, ((0, 0), (0, width - row.shape[1])), constant_values=np.nan)
                           for row in rows])


def diagnostics_field(diag, name: str) -> np.ndarray:
    """A (L, T+1) field of the diagnostics; for a network of several stacks every part's, in its
    own processing order, one under another: (P*L, T+1), NaN past a shorter part's end."""
    parts = getattr(diag, "parts", None) or {}
    if parts:
        return stacked([as_float(getattr(part, name, None)) for part in parts.values()])
    return as_float(getattr(diag, name, None))


def chain_names(diag) -> list | None:
    """Curve names for a network of several stacks (each part's chain, per layer), else None."""
    parts = getattr(diag, "parts", None) or {}
    if not parts:
        return None
    layers = as_float(diag.chain).shape[0]
    return [name if layers == 1 else f"{name}, layer {k}" for name in parts for k in range(layers)]


def chain_arrays(view):
    """(diagnostics, log10 chain (L, T+1), log10 bound (L, T+1)) of the shown sample, or None."""
    diag = view.snapshot.diagnostics if view is not None else None
    if diag is None:
        return None
    chain_log = diagnostics_field(diag, "chain_log10")  # -inf where exactly 0; parts stacked
    bound_log = diagnostics_field(diag, "bound_log10")  # NaN without a bound
    if chain_log.ndim != 2:
        return None
    if bound_log.shape != chain_log.shape:
        bound_log = np.full(chain_log.shape, np.nan)
    return diag, chain_log, bound_log


def chain(view):
    """||dh_T/dh_{T-k}|| and its bound at each lag k, per layer (and part), with the horizon marked."""
    header = ["layer", "lag_k", "chain_norm", "bound", "log10_chain_norm", "log10_bound", "marker", "note"]
    arrays = chain_arrays(view)
    if arrays is None:
        return header, []
    diag, chain_log, bound_log = arrays
    names = chain_names(diag)
    if names is not None:
        header = header + ["part"]
    horizon = getattr(diag, "horizon", None)
    layers = as_float(diag.chain).shape[0]  # per part
    rows = []
    norms = diagnostics_field(diag, "chain")  # (L, T+1) the same, 0 / inf beyond float64
    bounds = diagnostics_field(diag, "bound")
    if norms.shape != chain_log.shape or bounds.shape != chain_log.shape:
        with np.errstate(over="ignore", under="ignore"):
            norms, bounds = 10.0 ** chain_log, 10.0 ** bound_log
    for k in range(chain_log.shape[0]):
        for lag in range(chain_log.shape[1]):
            a, b = float(chain_log[k, lag]), float(bound_log[k, lag])
            marker = "horizon" if horizon is not None and k == layers - 1 and lag == int(horizon) else ""
            floored = a == -np.inf or b == -np.inf
            row = [k % layers, lag, float(norms[k, lag]), float(bounds[k, lag]), a, b, marker,
                   FLOOR_NOTE if floored else ""]
            rows.append(row if names is None else row + [names[k].split(",")[0]])
    return header, rows


# ---------------------------------------------------------------------- connectivity, units
def connectivity(view):
    """||dh_t/dx_s|| of the shown sample, its share of row t, and the mean by distance
    (rnnviz.core.train.views.connectivity_rows)."""
    header = ["kind", "t", "s", "distance", "input_token", "connectivity", "share"]
    conn = None if view is None else getattr(view, "connectivity", None)
    if conn is None:
        return header, []
    return header, connectivity_rows(conn, view.snapshot.labels)


def units(view):
    """The units held and their values, the run with and without them held, and the ranking. ``name``
    is the unit's as the panels show it ("0:3", "fwd 3", "1:dec 0"); on a chain row of a network of
    several stacks, the stack's."""
    header = ["kind", "layer", "unit", "t_or_k", "held", "free", "value", "name"]
    held = None if view is None else getattr(view, "units", None)
    if held is None:
        return header, []
    rows = []
    comparison = held.comparison
    if held.clamp is not None:
        names = comparison.names if comparison is not None and comparison.names else ("",) * len(held.clamp.units)
        for (layer, unit), value, name in zip(held.clamp.units, held.clamp.values, names):
            rows.append(["held_unit", layer, unit, "", "", "", float(value), name])
    if comparison is not None:
        rows.append(["loss", "", "", "", float(comparison.loss_with), float(comparison.loss_without), "", ""])
        chains = comparison.part_chains or {"": (comparison.chain_with, comparison.chain_without)}
        for layer in range(comparison.profile_with.shape[1]):
            for t in range(comparison.profile_with.shape[0]):
                rows.append(["grad_norm", layer, "", t, float(comparison.profile_with[t, layer]),
                             float(comparison.profile_without[t, layer]), "", ""])
            for part, (chain_with, chain_without) in chains.items():
                for k in range(chain_with.shape[1]):
                    rows.append(["log10_chain", layer, "", k, float(chain_with[layer, k]),
                                 float(chain_without[layer, k]), "", part])
    ranking = held.ranking
    if ranking is not None:
        names = ranking.names or ("",) * ranking.delta.size
        for j in ranking.order():
            rows.append(["loss_change_off", int(ranking.layers[j]), int(ranking.units[j]), "",
                         "", "", float(ranking.delta[j]), names[j]])
    return header, rows
