"""Tables of the views drawn from the training history: loss, norms, gradient flow, distributions."""

from __future__ import annotations

import numpy as np

from rnnviz.core.tables.cells import FLOOR_NOTE, as_float, log_floor, step_cell
from rnnviz.core.train.distributions import NAN, NEGINF, PERCENTILES, POSINF, SIZE

LOSS_SERIES = ("loss", "loss_smooth", "val_loss")  # the loss view's curves, in its legend's order
NORM_SERIES = ("grad_norm", "clipped_norm", "param_norm", "update_ratio")  # the norms view's, top then bottom


def series(view, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps (N,), values (N,)) of a history series of ``view``, as floats (empty when absent)."""
    steps, values = view.series.get(name, (None, None)) if view is not None else (None, None)
    return as_float(steps), as_float(values)


def loss(view, log_y: bool = True):
    """Every loss value plotted, and the memoryless baseline; ``log_y``: whether zeros are floored."""
    header = ["series", "step", "value", "note"]
    rows = []
    if view is None:
        return header, rows
    for name in LOSS_SERIES:
        steps, values = series(view, name)
        for step, value in zip(steps, values):
            note = FLOOR_NOTE if log_y and np.isfinite(value) and value <= 0 else ""
            rows.append([name, step_cell(step), float(value), note])
    if view.baseline is not None:
        rows.append(["baseline", "", float(view.baseline), "memoryless baseline, all steps"])
    return header, rows


def norms(view):
    """The global gradient norm before and after clipping, the parameters' norm and the update ratio."""
    header = ["series", "step", "value", "note"]
    if view is None:
        return header, []
    rows = []
    for name in NORM_SERIES:
        steps, values = series(view, name)
        for step, value in zip(steps, values):
            floored = np.isfinite(value) and value <= 0
            rows.append([name, step_cell(step), float(value), FLOOR_NOTE if floored else ""])
    if view.clip_mode == "norm" and view.clip_threshold is not None:
        rows.append(["clip_threshold", "", float(view.clip_threshold), "clipping by global norm"])
    return header, rows


def flow_arrays(view) -> tuple[np.ndarray, np.ndarray]:
    """(steps (S,), batch-mean ||dL/dh_t|| (S, T)) of the bottom layer, with matching lengths."""
    steps = as_float(view.flow_steps).ravel()
    values = as_float(view.flow)
    if values.ndim != 2 or values.shape[0] != steps.size:
        return np.zeros(0), np.zeros((0, 0))
    return steps, values


def flow_logs(values: np.ndarray) -> np.ndarray:
    """log10 of the norms; 0 at the log floor, NaN/Inf left out (NaN)."""
    floor = log_floor(values)
    finite = np.isfinite(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.where(finite & (values > 0), values, floor))
    logs[~finite] = np.nan
    return logs


def flow(view):
    """The gradient flow map: ||dL/dh_t|| at each recorded step and timestep, and its log10."""
    header = ["step", "t", "grad_norm", "log10_grad_norm", "note"]
    if view is None:
        return header, []
    steps, values = flow_arrays(view)
    if values.size == 0:
        return header, []
    logs = flow_logs(values)
    rows = []
    for i, step in enumerate(steps):
        for t in range(values.shape[1]):
            value = float(values[i, t])
            note = "0: log drawn at the floor" if np.isfinite(value) and value <= 0 else ""
            rows.append([step_cell(step), t, value, float(logs[i, t]), note])
    return header, rows


def distribution_order(name: str) -> tuple:
    """Parameters, then gradients, then hidden states; each in name order."""
    kind = 1 if name.startswith("grad/") else 2 if name.startswith("hidden/") else 0
    return kind, name


def distributions(view):
    """Each quantity's percentile bands at each recorded step, and its NaN/Inf counts."""
    header = ["quantity", "step"] + [f"p{q}" for q in PERCENTILES] + ["nan", "posinf", "neginf", "size"]
    recorded = {} if view is None else dict(getattr(view, "distributions", None) or {})
    rows_out = []
    for name, (steps, rows) in sorted(recorded.items(), key=lambda item: distribution_order(item[0])):
        for step, row in zip(steps, np.asarray(rows, dtype=float)):
            rows_out.append([name, step_cell(step)] + [float(v) for v in row[:len(PERCENTILES)]]
                            + [int(row[NAN]), int(row[POSINF]), int(row[NEGINF]), int(row[SIZE])])
    return header, rows_out
