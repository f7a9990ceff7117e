"""``rnnviz export SESSION --out DIR``: every plot of a saved session, without a display.

Also home of ``export_trainer``, which ``rnnviz run --export DIR`` calls after training, so
both commands write the same folder: DIR/<view>.png/.svg/.csv for each of the eight views,
DIR/metadata.json (version, configuration, steps, status, final loss, wall time) and
DIR/history.npz (the training history arrays).

Qt is imported only when a file is drawn, so ``rnnviz --help`` stays fast and Qt-free.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from pathlib import Path

from rnnviz.core.errors import UserError

VIEWS = ("loss", "gradients", "chain", "hidden", "flow", "weights", "spectrum", "norms")


def add_arguments(parser) -> None:
    parser.add_argument("session", metavar="SESSION",
                        help="a session file (.npz) saved from the window or by 'rnnviz run --save'")
    parser.add_argument("--out", metavar="DIR", required=True,
                        help="folder to write into; created if missing. Writes <view>.png, <view>.svg and "
                             f"<view>.csv for each view ({', '.join(VIEWS)}), metadata.json and history.npz")
    parser.add_argument("--sample", metavar="N", type=int, default=0,
                        help="which sequence of the batch the per-sample plots (hidden states, gradients, "
                             "chain) show (default: 0, the first)")


def main(args) -> int:
    from rnnviz.cli import EXIT_DIVERGED, EXIT_OK

    session = Path(args.session)
    if not session.is_file():
        raise UserError(f"session file not found: {session}")
    check_export_folder(args.out)  # before loading: a bad folder fails fast
    try:
        from rnnviz.core.session import load
    except ImportError:  # pragma: no cover - the session module is part of the release
        raise UserError("'rnnviz export' needs session support, which this version lacks") from None
    trainer = load(session)
    paths = export_trainer(trainer, args.out, sample=args.sample)
    print(f"rnnviz: wrote {len(paths)} files to {args.out}")
    if trainer.status == "diverged":
        print(f"rnnviz: this session had diverged ({trainer.divergence}); the plots show it up to then")
        return EXIT_DIVERGED
    return EXIT_OK


def check_export_folder(out_dir) -> Path:
    """Create ``out_dir`` (and parents) or raise a one-line UserError. Call it before a long
    run so a typo in --export does not cost the run."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create export folder {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK):
        raise UserError(f"cannot write to export folder {folder}: permission denied")
    return folder


def export_trainer(trainer, out_dir, wall_time: float | None = None, sample: int = 0) -> list[Path]:
    """Write every view of ``trainer`` (its latest snapshot and history) into ``out_dir``.
    Returns the paths written. A diverged trainer exports what it has, status "diverged"."""
    folder = check_export_folder(out_dir)
    from rnnviz.gui.export import export_all  # imports Qt (offscreen when there is no app yet)

    view = trainer.view_data(sample)
    return export_all(view, folder, run_metadata(trainer, view, wall_time), trainer.history.to_arrays())


def run_metadata(trainer, view, wall_time: float | None = None) -> dict:
    """What a person needs to tell one exported folder from another, and to redo the run."""
    from rnnviz import __version__

    status = trainer.status if trainer.status in ("finished", "diverged") else (
        "finished" if trainer.step_count > 0 else "ready")
    steps, losses = view.series.get("loss", ((), ()))
    finite = [(s, v) for s, v in zip(steps, losses) if math.isfinite(float(v))]
    metadata = {
        "rnnviz_version": __version__,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": view.source_name,
        "source_spec": getattr(trainer, "source_spec", None),
        "model_config": trainer.model_config.to_dict(),
        "train_config": trainer.train_config.to_dict(),
        "steps_done": int(trainer.step_count),
        "status": status,
        "divergence": trainer.divergence if status == "diverged" else "",
        "final_loss": float(finite[-1][1]) if finite else None,
        "final_loss_step": _step(finite[-1][0]) if finite else None,
        "baseline_loss": view.baseline,
        "wall_time_seconds": wall_time if wall_time is not None else getattr(trainer, "wall_time", None),
        "diagnostics": _diagnostics_summary(view.snapshot.diagnostics),
        "files": [f"{name}.{ext}" for name in VIEWS for ext in ("png", "svg", "csv")]
                 + ["metadata.json", "history.npz"],
    }
    return metadata


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
    return summary
