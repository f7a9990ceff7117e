"""``rnnviz sweep``: train a grid of networks on Dask and draw where training works.

  rnnviz sweep --vary recurrent_scale=0.5:2.0:16 --vary length=10,20,50,100 --seeds 5 \\
               --steps 1000 --task adding --out sweep/
  rnnviz sweep --preset latching --out latching/
  rnnviz sweep ... --scheduler tcp://HOST:8786      # the same sweep on a running Dask cluster

Every ``rnnviz run`` flag is accepted and held fixed for every point (they are the run
command's own parser arguments, added here, not copies). Each finished point is written to
``DIR/points/`` the moment it arrives, so running the same command again computes only what is
missing, and Ctrl-C cancels what is pending and keeps what finished (exit code 130). At the end:
``results.csv``, ``timings.csv``, ``sweep.json`` and the figures ``phase`` and ``success``
(PNG, SVG, CSV) — see rnnviz.core.train.sweep_store for what each file holds.
"""

from __future__ import annotations

import platform
import sys
import time

from rnnviz.core.errors import UserError

RUN_ONLY_FLAGS = {"save": "--save", "resume": "--resume", "export": "--export"}
FIGURES = ("phase", "success")


def add_arguments(parser) -> None:
    from rnnviz.cli import run
    from rnnviz.cli.types import whole
    from rnnviz.core.train.sweep_presets import SWEEP_PRESET_NAMES
    from rnnviz.core.train.sweep_table import METRIC_LABELS

    sweep = parser.add_argument_group("sweep")
    sweep.add_argument("--vary", metavar="NAME=VALUES", action="append", default=[],
                       help="a setting to vary: NAME=START:STOP:COUNT (evenly spaced; add :log for a "
                            "log scale) or NAME=V1,V2,... ; repeat for more settings. NAME is a run flag "
                            "without '--' (length, cell, hidden, recurrent_scale, lr, clip_norm, ...); "
                            "cell also takes irnn (relu with identity init)")
    sweep.add_argument("--seeds", metavar="K", type=whole, help="seeds per point (default 1, or the preset's): --seed, "
                                                    "--seed + 1, ...")
    sweep.add_argument("--out", metavar="DIR", required=True,
                       help="output folder; a folder holding part of the same sweep is resumed")
    sweep.add_argument("--preset", metavar="NAME", help=f"a paper's sweep: {', '.join(SWEEP_PRESET_NAMES)}")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on this Dask cluster (default: a local cluster on this machine)")
    sweep.add_argument("--workers", metavar="N", type=whole, help="local worker processes, one thread each "
                                                      "(default: one per core)")
    sweep.add_argument("--metric", metavar="NAME", help=f"what the phase diagram shows: {', '.join(METRIC_LABELS)} "
                                                        "(default success, or the preset's)")
    sweep.add_argument("--x", metavar="NAME", help="setting across the phase diagram (default: the first --vary)")
    sweep.add_argument("--y", metavar="NAME", help="setting up the phase diagram (default: the second)")
    sweep.add_argument("--facet", metavar="NAME", help="one diagram per value of this setting (default: the third)")
    refused = set(run_flags_a_sweep_cannot_set()) | set(RUN_ONLY_FLAGS)
    run.add_arguments(_HidingParser(parser, refused), presets=False)  # --preset above is the sweep's own


class _HidingParser:
    """``parser`` as rnnviz run's flags are added to it: the flags a sweep refuses are still parsed
    (so that giving one is answered with the reason) but left out of ``rnnviz sweep --help``."""

    def __init__(self, parser, hidden: set[str]) -> None:
        self._parser, self._hidden = parser, hidden

    def add_argument_group(self, *args, **kwargs):
        return _HidingParser(self._parser.add_argument_group(*args, **kwargs), self._hidden)

    def add_argument(self, *flags, **kwargs):
        import argparse

        dest = kwargs.get("dest") or next((f for f in flags if f.startswith("--")), flags[0]).lstrip("-")
        if dest.replace("-", "_") in self._hidden:
            kwargs["help"] = argparse.SUPPRESS
        return self._parser.add_argument(*flags, **kwargs)


def fixed_settings(args) -> dict:
    """The run flags given on the command line, by setting name (None: not given)."""
    from rnnviz.core.train.sweep import SETTINGS

    return {name: getattr(args, name, None) for name in SETTINGS}


def grid_from_args(args):
    """(Grid, metric) from the flags and the preset. Raises UserError."""
    from rnnviz.core.train.sweep_grid import make_grid, parse_vary
    from rnnviz.core.train.sweep_presets import get_sweep_preset

    given = [flag for name, flag in RUN_ONLY_FLAGS.items() if getattr(args, name, None) is not None]
    if given:
        raise UserError(f"{', '.join(given)} belong to rnnviz run, not to a sweep (its output is --out)")
    unswept = [f"--{name.replace('_', '-')}" for name, default in run_flags_a_sweep_cannot_set().items()
               if getattr(args, name, default) != default]
    if unswept:
        raise UserError(f"{', '.join(unswept)} cannot be set in a sweep (its points train fresh networks "
                        "from plain settings); use rnnviz run")
    vary, fixed, seeds, metric = list(args.vary), fixed_settings(args), 1, "success"
    if fixed.get("data") is not None:  # workers, local or remote, open the file by its full path
        from pathlib import Path

        fixed["data"] = str(Path(fixed["data"]).resolve())
    if args.preset is not None:
        preset = get_sweep_preset(args.preset)
        mine = {parse_vary(text)[0] for text in vary}
        vary = [text for text in preset.vary if parse_vary(text)[0] not in mine] + vary
        varied = {parse_vary(text)[0] for text in vary}
        fixed = {**{k: v for k, v in preset.fixed.items() if k not in varied},
                 **{k: v for k, v in fixed.items() if v is not None}}
        seeds, metric = preset.seeds, preset.metric
    seeds = seeds if args.seeds is None else args.seeds
    first = 0 if args.seed is None else args.seed
    if not 1 <= seeds <= 1000 or first < 0:
        raise UserError("--seeds must be from 1 to 1000 and --seed non-negative")
    grid = make_grid(vary, fixed, list(range(first, first + seeds)))
    return grid, args.metric or metric


def run_flags_a_sweep_cannot_set() -> dict:
    """rnnviz run's flags that are not sweep settings (dest -> default): refused rather than ignored."""
    import argparse

    from rnnviz.cli import run
    from rnnviz.core.train.sweep import SETTINGS

    probe = argparse.ArgumentParser(add_help=False)
    run.add_arguments(probe, presets=False)
    dests = vars(probe.parse_args([]))
    return {name: dests[name] for name in sorted(set(dests) - set(SETTINGS) - set(RUN_ONLY_FLAGS) - {"seed"})}




# ---------------------------------------------------------------------- the command
def main(args) -> int:
    from rnnviz.cli.main import EXIT_INTERRUPTED, EXIT_OK
    from rnnviz.core.train import sweep_store as store
    from rnnviz.core.train.sweep_grid import check_points
    from rnnviz.core.train.sweep_table import axes_for, check_metric

    grid, metric = grid_from_args(args)
    check_metric(metric)
    axes = axes_for(grid.varied, args.x, args.y, args.facet)
    workers = args.workers
    if workers is not None and args.scheduler is not None:
        raise UserError("--workers sets the local cluster's size; a --scheduler's cluster has its own workers")
    if args.scheduler is not None:
        from rnnviz.core.train.sweep_dask import check_address

        check_address(args.scheduler)
    check_points(grid)
    folder = store.prepare_folder(args.out)
    tasks = grid.tasks()
    done = {}
    for key, _, _ in tasks:
        found = store.load_point(folder, key)
        if found is not None:
            done[key] = found
    todo = [task for task in tasks if task[0] not in done]
    points = len(grid.points())
    print(f"sweep: {points} point(s) x {len(grid.seeds)} seed(s) = {len(tasks)} run(s); "
          f"{len(done)} already done in {folder}, {len(todo)} to compute", flush=True)
    interrupted, where, started = False, "nothing to compute", time.perf_counter()
    if todo:
        interrupted, where = _compute(args, workers, folder, todo, done)
    elapsed = time.perf_counter() - started
    rows = store.table_rows(grid, done)
    store.write_results(folder, grid, rows)
    store.write_manifest(folder, _manifest(args, grid, metric, where, len(rows), len(tasks), interrupted))
    written = _figures(folder, grid, rows, metric, axes)
    _summary(grid, rows, len(tasks), elapsed, folder, written, metric, axes)
    if interrupted:
        print(f"rnnviz: interrupted with {len(rows)} of {len(tasks)} runs done; run the same command again "
              f"to compute the rest", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _compute(args, workers, folder, todo, done) -> tuple[bool, str]:
    """Run ``todo`` on the cluster, saving each point as it arrives. (interrupted, where)."""
    from rnnviz.cli.progress import CountProgress
    from rnnviz.core.train import sweep_store as store
    from rnnviz.core.train.sweep_dask import Cluster, PointRun

    progress = None
    interrupted = False
    with Cluster(args.scheduler, workers) as cluster:
        where = cluster.description
        print(f"running on a {where}", flush=True)
        progress = CountProgress(len(todo), sys.stdout, noun="runs")

        def arrived(key, settings, seed, row):
            done[key] = {"seed": seed, "settings": settings, "row": store.stored_row(row),
                         "wall_time": row["wall_time"]}
            store.save_point(folder, key, settings, seed, row)  # whole or absent, even at a Ctrl-C
            progress.update()

        try:
            PointRun(cluster, todo).run(arrived)
        except KeyboardInterrupt:
            interrupted = True  # PointRun cancelled what was pending; finished points are on disk
        finally:
            progress.close()
    return interrupted, where


def _manifest(args, grid, metric, where, finished, total, interrupted) -> dict:
    import numpy as np

    from rnnviz import __version__
    from rnnviz.core.train.sweep import SUCCESS_RULES

    versions = {"rnnviz": __version__, "numpy": np.__version__, "python": platform.python_version()}
    try:
        import dask
        import distributed

        versions.update(dask=dask.__version__, distributed=distributed.__version__)
    except ImportError:
        pass
    return {"format": "rnnviz-sweep", "format_version": 1, "grid": grid.spec(), "preset": args.preset,
            "metric": metric, "success_rules": SUCCESS_RULES, "versions": versions,
            "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                        "cpus": __import__("os").cpu_count()},
            "ran_on": where, "runs_finished": finished, "runs_total": total, "interrupted": interrupted,
            "files": {"results.csv": "one row per point and seed, sorted by settings then seed",
                      "timings.csv": "wall time per run (kept apart: it differs between runs and machines)",
                      "points/": "one file per finished run: a re-run computes only what is missing"}}


def _figures(folder, grid, rows, metric, axes) -> list:
    """phase.* and success.* through the panels' own export; none when Qt is not available."""
    try:
        from rnnviz.cli.export import drawing_modules

        export = drawing_modules()  # Qt set up with signals held
        from rnnviz.gui.panels.sweep import PhasePanel, SuccessPanel
    except ImportError:
        print("rnnviz: the figures need PyQt6 and pyqtgraph; results.csv is written", file=sys.stderr)
        return []
    from rnnviz.core.train.sweep_table import phase_table, success_curves
    from rnnviz.gui import qt_app

    export.ensure_app()
    written = []
    for panel_class, show, table in (
            (PhasePanel, "show_table", phase_table(rows, grid.varied, metric, *axes)),
            (SuccessPanel, "show_curves", success_curves(rows, grid.varied, axes[0]))):
        panel = panel_class()
        try:
            getattr(panel, show)(table)
            for suffix in export.FORMATS:
                written.append(export.export_panel(panel, folder / f"{panel.view_name}{suffix}"))
        finally:
            qt_app.dispose(panel)  # now, whole: never by a garbage collection in the middle of Qt's work
    return written


def _summary(grid, rows, total, elapsed, folder, written, metric="success", axes=(None, None, None)) -> None:
    """The phase diagram's numbers as text: one line per facet value and y value, across x."""
    from rnnviz.core.train.sweep_table import RATE_METRICS, phase_table

    lines = [f"{len(rows)} of {total} runs done ({elapsed:.1f} s this time); results in {folder / 'results.csv'}"]
    table = phase_table(rows, grid.varied, metric, *axes)
    if rows and table.x_name is not None:
        lines.append(f"{table.label} by {table.x_name}: " + ", ".join(str(v) for v in table.x_values))
        for f, facet in enumerate(table.facet_values):
            for j, y in enumerate(table.y_values):
                label = ", ".join(f"{n}={v}" for n, v in ((table.y_name, y), (table.facet_name, facet)) if n)
                cells = ["    -" if v != v else (f"{v:5.0%}" if metric in RATE_METRICS else f"{v:5.3g}")
                         for v in table.values[f, j]]
                lines.append(f"  {label or 'all':<28} {' '.join(cells)}")
    if written:
        lines.append(f"figures: {', '.join(sorted({p.name for p in written}))}")
    print("\n".join(lines), flush=True)
