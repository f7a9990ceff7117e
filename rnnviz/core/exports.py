"""What an exported folder says about its run, and how a view's table is written as CSV.

The window's "Export all plots" and the command line (``rnnviz run --export``, ``rnnviz
export``) write the same folder: <view>.png/.svg/.csv, metadata.json and history.npz. The
CSVs and the metadata come from here, without Qt (the figures are drawn by the window's
panels), so both writers agree key for key and byte for byte.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timezone

import numpy as np

from rnnviz.core.nn.units import held_record


# ---------------------------------------------------------------------- CSV
def csv_bytes(header: list, rows: list) -> bytes:
    """A table as UTF-8 CSV: floats in their shortest exact form ('nan' and 'inf' stay readable)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return text.getvalue().encode("utf-8")


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value


# ---------------------------------------------------------------------- metadata.json
def run_metadata(trainer, view, *, wall_time: float | None = None, status: str | None = None,
                 files: list | None = None) -> dict:
    """What a person needs to tell one exported folder from another, and to redo the run.

    ``status`` overrides the run's own ("interrupted" after Ctrl-C; the window, which trains
    until paused, says "ready"); ``wall_time`` the trainer's seconds in training; ``files`` are
    the names the folder holds."""
    from rnnviz import __version__

    if status is None:
        status = trainer.status if trainer.status in ("finished", "diverged") else (
            "finished" if trainer.step_count > 0 else "ready")
    if not weights_finite(trainer):
        status = "diverged"  # NaN weights are never "finished", whatever the session says
    steps, losses = view.series.get("loss", ((), ()))
    finite = [(s, v) for s, v in zip(steps, losses) if math.isfinite(float(v))]
    return {
        "rnnviz_version": __version__,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": view.source_name,
        "source_spec": getattr(trainer, "source_spec", None),
        "model_config": trainer.model_config.to_dict(),
        "train_config": trainer.train_config.to_dict(),
        "shape": view.snapshot.shape,  # unidirectional or bidirectional
        "parts": list(view.snapshot.parts),  # the stacks side by side in the hidden units, if several
        "units_off": _held_units(trainer),  # by name, with the values they are held at and how chosen
        "steps_done": int(trainer.step_count),
        "status": status,
        "divergence": (trainer.divergence or "the weights hold NaN or Inf") if status == "diverged" else "",
        "final_loss": float(finite[-1][1]) if finite else None,
        "final_loss_step": _step(finite[-1][0]) if finite else None,
        "baseline_loss": view.baseline,
        "wall_time_seconds": wall_time if wall_time is not None else getattr(trainer, "wall_time", None),
        "diagnostics": _diagnostics_summary(view.snapshot.diagnostics),
        "files": list(files or []),
    }


def _held_units(trainer) -> dict | None:
    """{"units": ["fwd 3", ...], "values": [...], "mode": "zero" or "mean"} as a session saves
    them, or None when every unit is free."""
    clamp = getattr(trainer, "units_off", None)
    if clamp is None or not clamp.units:
        return None
    return held_record(trainer.model_config, clamp.units, clamp.values, clamp.mode)


def weights_finite(trainer) -> bool:
    """False when a parameter holds NaN or Inf: whatever the saved status says, that run diverged."""
    return all(bool(np.isfinite(value).all()) for value in trainer.model.params.values())


def _step(value):
    value = float(value)
    return int(value) if value.is_integer() else value  # history keeps steps as floats


def _diagnostics_summary(diag) -> dict | None:
    """The headline numbers of the last snapshot: regime, horizon, growth, spectra."""
    if diag is None:
        return None
    summary = {}
    for name in ("regime", "horizon", "growth", "spectral_radius", "sigma_max"):
        value = getattr(diag, name, None)
        if value is not None:
            summary[name] = value.tolist() if hasattr(value, "tolist") else value
    parts = getattr(diag, "parts", None) or {}
    if parts:  # each stack's own regime and horizon (a bidirectional net's forward and backward)
        summary["parts"] = {name: {key: getattr(part, key) for key in ("regime", "horizon", "growth")}
                            for name, part in parts.items()}
    return summary
