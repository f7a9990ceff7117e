"""Tables of the views drawn from the network as it is: hidden states, weights, spectra, gates."""

from __future__ import annotations

import numpy as np

from rnnviz.core.diagnostics import gating
from rnnviz.core.tables.cells import as_float, token


def hidden(view):
    """The shown sample's h_t, every layer, step and unit."""
    header = ["layer", "t", "token", "unit", "h"]
    if view is None:
        return header, []
    values = as_float(view.snapshot.hidden)  # (T, L, H)
    if values.ndim != 3:
        return header, []
    labels = list(view.snapshot.labels or [])
    rows = []
    steps, layers, units = values.shape
    for layer in range(layers):
        for t in range(steps):
            label = token(labels, t)
            for unit in range(units):
                rows.append([layer, t, label, unit, float(values[t, layer, unit])])
    return header, rows


def weights(view):
    """Every weight matrix (biases are not drawn) and its gradient on the last batch, entry by entry."""
    header = ["parameter", "row", "col", "weight", "gradient"]
    if view is None:
        return header, []
    snap = view.snapshot
    rows = []
    for name in sorted(snap.params):
        if not (name.startswith("weight_") or name == "out.weight"):
            continue
        weight = as_float(snap.params[name])
        grad = as_float(snap.grads.get(name)) if snap.grads else np.zeros(0)
        if grad.shape != weight.shape:
            grad = np.full(weight.shape, np.nan)
        for (i, j), value in np.ndenumerate(weight):
            rows.append([name, i, j, float(value), float(grad[i, j])])
    return header, rows


# ---------------------------------------------------------------------- spectrum
def spectrum_of(w_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (square matrices only; gated cells stack their gates) and singular values,
    or empty arrays when the matrix holds NaN/Inf (np.linalg would raise)."""
    empty = (np.zeros(0, dtype=complex), np.zeros(0))
    if w_hh.ndim != 2 or w_hh.size == 0 or not np.all(np.isfinite(w_hh)):
        return empty
    sv = np.linalg.svd(w_hh, compute_uv=False)  # already sorted largest first
    rows, cols = w_hh.shape
    eig = np.linalg.eigvals(w_hh) if rows == cols else np.zeros(0, dtype=complex)
    return eig, sv


def _from_diagnostics(diag) -> list[tuple[np.ndarray, np.ndarray]]:
    eig = [np.asarray(e, dtype=complex).ravel() for e in getattr(diag, "eigenvalues", None) or []]
    sv = [np.sort(as_float(s).ravel())[::-1] for s in diag.singular_values]
    eig += [np.zeros(0, dtype=complex)] * (len(sv) - len(eig))
    return list(zip(eig, sv))


def spectrum_names(view) -> list | None:
    """For a network of several stacks, a name per spectrum (part and layer); None for one stack."""
    diag = view.snapshot.diagnostics if view is not None else None
    parts = getattr(diag, "parts", None) or {}
    if not parts:
        return None
    return [f"{name}, layer {k}" for name, part in parts.items() for k in range(len(part.singular_values))]


def spectra(view) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer (per part and layer for several stacks): (eigenvalues (complex), singular values
    sorted largest first) of W_hh, from the diagnostics when they were computed."""
    if view is None:
        return []
    diag = view.snapshot.diagnostics
    parts = getattr(diag, "parts", None) or {}
    if parts:  # each direction's own W_hh, in the order of ``spectrum_names``
        return [pair for part in parts.values() for pair in _from_diagnostics(part)]
    if diag is not None and getattr(diag, "singular_values", None) is not None:
        return _from_diagnostics(diag)
    result = []
    layers = int(view.model_config.get("num_layers", 1) or 1)
    for layer in range(layers):
        result.append(spectrum_of(as_float(view.snapshot.params.get(f"weight_hh_l{layer}"))))
    return result


def spectrum(view):
    """The eigenvalues and singular values of each W_hh."""
    header = ["layer", "kind", "index", "real", "imag", "abs"]
    names = spectrum_names(view)
    if names is not None:
        header = header + ["part"]
    rows = []
    for k, (eig, sv) in enumerate(spectra(view)):
        layer, extra = (k, []) if names is None else (int(names[k].rsplit(" ", 1)[1]), [names[k].split(",")[0]])
        for i, value in enumerate(eig):
            rows.append([layer, "eigenvalue", i, float(value.real), float(value.imag), float(abs(value))] + extra)
        for i, value in enumerate(sv):
            rows.append([layer, "singular_value", i + 1, float(value), 0.0, float(abs(value))] + extra)
    return header, rows


# ---------------------------------------------------------------------- gates
def gate_name(view) -> str | None:
    """The keep gate the view's cell records ("forget_gate", "update_gate"), or None."""
    if view is None:
        return None
    extras = view.snapshot.extras or {}
    name = gating.KEEP_GATE.get(str(view.model_config.get("cell", "")))
    if name in extras:
        return name
    return next((g for g in gating.KEEP_GATE.values() if g in extras), None)


def gate_values(view) -> np.ndarray:
    """(T, L, H) keep-gate values of the shown sample, or an empty array."""
    name = gate_name(view)
    if name is None:
        return np.zeros((0, 0, 0))
    values = as_float(view.snapshot.extras[name])
    return values if values.ndim == 3 else np.zeros((0, 0, 0))


def gate_directions(view, values: np.ndarray) -> list:
    """[(name, gate, reverse)] of one layer's (T, H) gate: both directions of a bidirectional net,
    the encoder and the decoder of an encoder-decoder, or the one stack ("")."""
    snapshot = view.snapshot
    return gating.direction_gates(values, tuple(getattr(snapshot, "parts", ()) or ()),
                                  tuple(getattr(snapshot, "part_steps", ()) or ()),
                                  bool(view.model_config.get("reverse_source")))


def gates(view):
    """The keep gate of every layer, step and unit, and each layer's (and direction's) direct-path
    products (rnnviz.core.diagnostics.gating.keep_paths)."""
    header = ["series", "layer", "t", "lag", "unit", "value"]
    gate = gate_values(view)
    if gate.size == 0:
        return header, []
    name = gate_name(view)
    steps, layers, units = gate.shape
    rows = []
    for layer in range(layers):
        for t in range(steps):
            for unit in range(units):
                rows.append([name, layer, t, "", unit, float(gate[t, layer, unit])])
        for direction, part, reverse in gate_directions(view, gate[:, layer, :]):
            best, median = gating.keep_paths(part, reverse)
            prefix = f"{direction}_" if direction else ""
            for label, curve in ((f"{prefix}direct_path_largest_unit", best),
                                 (f"{prefix}direct_path_median_unit", median)):
                rows.extend([label, layer, "", lag, "", float(value)] for lag, value in enumerate(curve))
    return header, rows
