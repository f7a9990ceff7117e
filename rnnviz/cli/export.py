"""``rnnviz export SESSION --out DIR``: every plot of a saved session, without a display.

Also home of ``export_trainer``, which ``rnnviz run --export DIR`` calls after training, so
both commands write the same folder: DIR/<view>.png/.svg/.csv for each view of the window,
DIR/metadata.json (version, configuration, steps, status, final loss, wall time) and
DIR/history.npz (the training history arrays).

Qt is imported only when a file is drawn (and by ``rnnviz export --help``, which lists the
views the panels define), so ``rnnviz --help`` and ``rnnviz run`` stay fast and Qt-free.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from pathlib import Path

from rnnviz.core.errors import UserError

def view_names() -> tuple[str, ...]:
    """The exported views, in file order: read from the panels themselves (imports Qt), so the
    list here, in --help and in metadata.json can never drift from what is written."""
    from rnnviz.gui.panels import PANEL_CLASSES

    return tuple(panel.view_name for panel in PANEL_CLASSES)


def exported_files() -> list[str]:
    """Every file name export_all writes into the folder, in its order."""
    from rnnviz.gui.export import FORMATS

    return [f"{name}{suffix}" for name in view_names() for suffix in FORMATS] + ["metadata.json", "history.npz"]


def _views_help() -> str:
    try:
        return f"views: {', '.join(view_names())}"
    except ImportError:  # no Qt: export cannot run either, and says so when tried
        return "views: (not available: exporting needs PyQt6 and pyqtgraph)"


def add_arguments(parser) -> None:
    parser.add_argument("session", metavar="SESSION",
                        help="a session file (.npz) saved from the window or by 'rnnviz run --save'")
    parser.add_argument("--out", metavar="DIR", required=True,
                        help="folder to write into; created if missing. Writes <view>.png, <view>.svg and "
                             "<view>.csv for each view (listed below), metadata.json and history.npz")
    parser.add_argument("--sample", metavar="N", type=int, default=0,
                        help="which sequence of the session's last batch the per-sample plots (hidden states, "
                             "gradients, chain) show: 0 is the first, the batch size minus one the last "
                             "(default: 0)")
    parser.help_details = _views_help  # the view names need Qt: looked up only when help is shown


def main(args) -> int:
    from rnnviz.cli.main import EXIT_DIVERGED, EXIT_OK

    session = Path(args.session)
    if session.is_dir():
        raise UserError(f"{session} is a folder, not a session file (.npz)")
    if not session.is_file():
        raise UserError(f"session file not found: {session}")
    try:
        from rnnviz.core.train.session import load
    except ImportError:  # pragma: no cover - the session module is part of the release
        raise UserError("'rnnviz export' needs session support, which this version lacks") from None
    trainer = load(session)  # a refused session leaves no folder behind: it is made only after
    check_sample(trainer, args.sample)
    created = make_export_folder(args.out)
    try:
        paths = export_trainer(trainer, args.out, sample=args.sample)
    except BaseException:
        remove_empty_folders(created)
        raise
    print(f"rnnviz: wrote {len(paths)} files to {args.out}")
    if trainer.status == "diverged":
        print(f"rnnviz: this session had diverged ({trainer.divergence}); the plots show it up to then")
        return EXIT_DIVERGED
    return EXIT_OK


def check_sample(trainer, sample: int) -> None:
    """Refuse a sample the batch does not have (the trainer would quietly show another one)."""
    count = trainer.sample_count
    if not 0 <= sample < count:
        raise UserError(f"--sample must be between 0 and {count - 1} (the session's last batch holds "
                        f"{count} sequence{'' if count == 1 else 's'}), got {sample}")


def make_export_folder(out_dir) -> list[Path]:
    """Create ``out_dir`` (and missing parents) or raise a one-line UserError. Returns the
    folders created, outermost first, so a caller that ends up writing nothing can remove them
    with ``remove_empty_folders``. Call it before a long run so a typo in --export does not
    cost the run."""
    folder = Path(out_dir)
    missing, existing = [], folder
    while not existing.exists() and existing != existing.parent:
        missing.append(existing)
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        where = "it" if existing == folder else str(existing)
        raise UserError(f"cannot export to {folder}: {where} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create export folder {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK):
        raise UserError(f"cannot write to export folder {folder}: permission denied")
    return missing[::-1]


def remove_empty_folders(created: list[Path]) -> None:
    """Undo ``make_export_folder`` when nothing was written: innermost first, only empty ones."""
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or already gone): keep it and its parents


def export_trainer(trainer, out_dir, wall_time: float | None = None, sample: int = 0,
                   status: str | None = None) -> list[Path]:
    """Write every view of ``trainer`` (its latest snapshot and history) into ``out_dir``.
    Returns the paths written. A diverged trainer exports what it has, status "diverged";
    ``status`` overrides the recorded one (``rnnviz run`` says "interrupted" after Ctrl-C)."""
    make_export_folder(out_dir)
    from rnnviz.gui.export import export_all  # imports Qt (offscreen when there is no app yet)

    check_sample(trainer, sample)
    view = trainer.view_data(sample, ranking="always")  # a one-off: the units ranked whatever the size
    metadata = run_metadata(trainer, view, wall_time, status)
    return export_all(view, Path(out_dir), metadata, trainer.history.to_arrays())


def run_metadata(trainer, view, wall_time: float | None = None, status: str | None = None) -> dict:
    """What a person needs to tell one exported folder from another, and to redo the run."""
    from rnnviz import __version__

    if status is None:
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
        "shape": view.snapshot.shape,  # unidirectional or bidirectional
        "parts": list(view.snapshot.parts),  # the stacks side by side in the hidden units, if several
        "steps_done": int(trainer.step_count),
        "status": status,
        "divergence": trainer.divergence if status == "diverged" else "",
        "final_loss": float(finite[-1][1]) if finite else None,
        "final_loss_step": _step(finite[-1][0]) if finite else None,
        "baseline_loss": view.baseline,
        "wall_time_seconds": wall_time if wall_time is not None else getattr(trainer, "wall_time", None),
        "diagnostics": _diagnostics_summary(view.snapshot.diagnostics),
        "files": exported_files(),
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
    parts = getattr(diag, "parts", None) or {}
    if parts:  # each stack's own regime and horizon (a bidirectional net's forward and backward)
        summary["parts"] = {name: {key: getattr(part, key) for key in ("regime", "horizon", "growth")}
                            for name, part in parts.items()}
    return summary
