"""``rnnviz export SESSION --out DIR``: every plot of a saved session, without a display.

A session saved while runs were compared (``NAME.group/`` beside it) also gets runs.png,
runs.svg and runs.csv, every run's loss, gradients and chains overlaid, each named with its shape.

Also home of ``export_trainer``, which ``rnnviz run --export DIR`` calls after training, so
both commands write the same folder: DIR/<view>.png/.svg/.csv for each view of the window,
DIR/metadata.json (version, configuration, steps, status, final loss, wall time) and
DIR/history.npz (the training history arrays).

Qt is imported only when a file is drawn (and by ``rnnviz export --help``, which lists the
views the panels define), so ``rnnviz --help`` and ``rnnviz run`` stay fast and Qt-free. It is
imported with signals held (``drawing_modules``): PyQt6 runs Python code while it sets up its
modules, and a Ctrl-C raised in there left Qt half set up, which crashed the process a moment
later (a second Ctrl-C while ``rnnviz run --export`` begins its export).
"""

from __future__ import annotations

import os
from pathlib import Path

from rnnviz.core.errors import UserError
from rnnviz.core.exports import run_metadata, weights_finite


def drawing_modules():
    """``rnnviz.gui.export``, with Qt, pyqtgraph and the panels imported while signals wait
    (``rnnviz.interrupts.held_signals``); a signal that arrived is delivered once they are whole."""
    from rnnviz.interrupts import held_signals

    with held_signals():
        import rnnviz.gui.export as drawing
        import rnnviz.gui.panels  # noqa: F401 - pyqtgraph and every panel class
    return drawing


def view_names() -> tuple[str, ...]:
    """The exported views, in file order: read from the panels themselves (imports Qt), so the
    list here, in --help and in metadata.json can never drift from what is written."""
    drawing_modules()
    from rnnviz.gui.panels import PANEL_CLASSES

    return tuple(panel.view_name for panel in PANEL_CLASSES)


def exported_files() -> list[str]:
    """Every file name export_all writes into the folder, in its order."""
    return drawing_modules().exported_files()


def _views_help() -> str:
    try:
        return f"views: {', '.join(view_names())}"
    except ImportError:  # no Qt: export cannot run either, and says so when tried
        return "views: (not available: exporting needs PyQt6 and pyqtgraph)"


def add_arguments(parser) -> None:
    parser.add_argument("session", metavar="SESSION",
                        help="a session file (.npz) saved from the window or by 'rnnviz run --save'")
    parser.add_argument("--out", metavar="DIR",
                        help="folder to write into; created if missing. Writes <view>.png, <view>.svg and "
                             "<view>.csv for each view (listed below), metadata.json and history.npz")
    parser.add_argument("--weights", metavar="FILE",
                        help="write the network as a .safetensors state_dict for PyTorch (README, PyTorch), "
                             "and for text its vocabulary beside it as FILE's name with .vocab.json")
    parser.add_argument("--sample", metavar="N", type=int, default=0,
                        help="which sequence of the session's last batch the per-sample plots (hidden states, "
                             "gradients, chain) show: 0 is the first, the batch size minus one the last "
                             "(default: 0)")
    parser.add_argument("--allow-changed-data", action="store_true",
                        help="go on although the session's data file changed since it was saved")
    parser.help_details = _views_help  # the view names need Qt: looked up only when help is shown


def main(args) -> int:
    from rnnviz.cli.main import EXIT_DIVERGED, EXIT_OK
    from rnnviz.interrupts import StopOnSignals

    if args.out is None and args.weights is None:
        raise UserError("nothing to write: give --out DIR (the plots), --weights FILE (the network), or both")
    session = Path(args.session)
    if session.is_dir():
        raise UserError(f"{session} is a folder, not a session file (.npz)")
    if not session.exists() and not session.is_symlink():
        raise UserError(f"session file not found: {session}")  # a FIFO or a device: load() says what it is
    try:
        from rnnviz.core.train.session import load
    except ImportError:  # pragma: no cover - the session module is part of the release
        raise UserError("'rnnviz export' needs session support, which this version lacks") from None
    # a refused session leaves no folder behind: it is made only after
    from rnnviz.core.train.session import DataChangedError

    try:
        trainer = load(session, allow_changed_data=getattr(args, "allow_changed_data", False))
    except DataChangedError as exc:
        raise UserError(f"{exc}; add --allow-changed-data to go on anyway") from None
    check_sample(trainer, args.sample)
    if args.out is not None:
        trainer = with_group(session, trainer)
    if args.weights is not None:
        from rnnviz.core.train.imported import export_weights

        for path in export_weights(trainer, args.weights):
            print(f"rnnviz: wrote {path}")
    if args.out is None:
        return EXIT_DIVERGED if trainer.status == "diverged" else EXIT_OK
    created = make_export_folder(args.out)
    try:
        with StopOnSignals() as stop:  # a first Ctrl-C lets the export finish; a second stops it
            paths = export_trainer(trainer, args.out, sample=args.sample)
    except BaseException:
        remove_empty_folders(created)
        raise
    print(f"rnnviz: wrote {len(paths)} files to {args.out}")
    if stop.pressed:
        return stop.exit_code
    if trainer.status == "diverged" or not weights_finite(trainer):
        where = trainer.divergence or "its weights hold NaN or Inf"
        print(f"rnnviz: this session had diverged ({where}); the plots show it up to then")
        return EXIT_DIVERGED
    return EXIT_OK


def with_group(session: Path, trainer):
    """The runs compared, when the session was saved with them (``NAME.group/`` beside it): their
    views are then exported too (runs.png, .svg, .csv). A group that cannot be read is said on
    stderr, and the session's own run is exported alone."""
    import sys

    from rnnviz.core.train.group_trainer import load_group_beside

    try:
        grouped = load_group_beside(session, trainer)
    except (UserError, OSError) as exc:
        print(f"rnnviz: the runs saved beside {session} could not be read ({exc}); exporting its own run alone",
              file=sys.stderr)
        return trainer
    return trainer if grouped is None else grouped


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
    export_all = drawing_modules().export_all  # imports Qt (offscreen when there is no app yet)

    check_sample(trainer, sample)
    view = trainer.view_data(sample, ranking="always")  # a one-off: the units ranked whatever the size
    group = getattr(view, "group", None)
    files = exported_files() + ([f"runs{suffix}" for suffix in (".png", ".svg", ".csv")] if group else [])
    metadata = run_metadata(trainer, view, wall_time=wall_time, status=status, files=files)
    if group is not None:  # the runs compared: what each is, as runs.csv names them
        metadata["runs_compared"] = [{"label": o.label, "shape": o.shape, "steps": int(steps)}
                                     for o, steps in zip(group.overlays, group.steps)]
    return export_all(view, Path(out_dir), metadata, trainer.history.to_arrays())
