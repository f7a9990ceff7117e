"""A sweep's output folder: one small file per finished point, and the tables built from them.

    DIR/points/<key>.json   one finished point (settings, seed, row, wall time), written the
                            moment it arrives: an interrupted sweep keeps everything finished
    DIR/results.csv         one row per point and seed, every setting a column, sorted
    DIR/timings.csv         key, seed and wall time per row: apart from results.csv, because
                            wall time differs between runs and machines and results must not
    DIR/sweep.json          the grid, the versions and the machine

Every file is written whole or not at all (a temporary file beside it, flushed, fsynced,
renamed). Point files are read as hostile: size checked first, every field validated; one that
fails is ignored, so its point is simply computed again.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

from rnnviz.core import atomic
from rnnviz.core.errors import UserError
from rnnviz.core.train.sweep import RESULT_COLUMNS
from rnnviz.core.train.sweep_grid import Grid, sort_key

POINTS = "points"
MAX_POINT_BYTES = 64 * 1024  # a point file is ~1 KB; anything larger is not ours
INTEGER_COLUMNS = {"success", "diverged", "diverged_step", "steps_done", "horizon_start", "horizon_end"}


def prepare_folder(out_dir) -> Path:
    """Create DIR and DIR/points, or say in one line why not."""
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out {folder} is a file, not a folder")
    try:
        (folder / POINTS).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the sweep folder {folder}: {exc.strerror or exc}") from None
    if not os.access(folder / POINTS, os.W_OK):
        raise UserError(f"cannot write to the sweep folder {folder}: permission denied")
    return folder


def write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path``, whole or not at all (rnnviz.core.atomic)."""
    atomic.write_text(path, text)


# ---------------------------------------------------------------------- one point
def stored_row(row: dict) -> dict:
    """The row as it is kept and written: the result columns, NaN and Inf as None (an empty CSV
    cell: no finite value, e.g. the chain of a diverged run). A row read back from its point file
    is then equal to the one computed, so a resumed sweep writes the same results.csv."""
    return {name: _finite(row.get(name)) for name in RESULT_COLUMNS}


def save_point(folder: Path, key: str, settings: dict, seed: int, row: dict) -> Path:
    record = {"key": key, "seed": int(seed), "settings": settings,
              "row": stored_row(row), "wall_time": float(row.get("wall_time", 0.0))}
    path = Path(folder) / POINTS / f"{key}.json"
    write_atomically(path, json.dumps(_finite(record), sort_keys=True) + "\n")
    return path


def load_point(folder: Path, key: str) -> dict | None:
    """The finished point ``key`` ({"seed", "settings", "row", "wall_time"}), or None when it is
    missing or its file is not a valid point file (then the point is computed again)."""
    path = Path(folder) / POINTS / f"{key}.json"
    try:
        if not path.is_file() or path.stat().st_size > MAX_POINT_BYTES:
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    row, seed, wall = record.get("row"), record.get("seed"), record.get("wall_time")
    if not isinstance(row, dict) or set(row) != set(RESULT_COLUMNS) or not isinstance(record.get("settings"), dict):
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not _number(wall):
        return None
    for name, value in row.items():
        if value is None:
            continue
        if name in INTEGER_COLUMNS and (isinstance(value, bool) or not isinstance(value, int)):
            return None
        if not _number(value):
            return None
    return {"seed": seed, "settings": record["settings"], "row": row, "wall_time": float(wall)}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _finite(value):
    """NaN and Inf become None (JSON has neither): a missing number, read back as such."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# ---------------------------------------------------------------------- the tables
def setting_columns(grid: Grid) -> list[str]:
    """The varied settings in the order given, then the fixed ones that were set."""
    return list(grid.varied) + [name for name, value in grid.fixed.items() if value is not None]


def table_rows(grid: Grid, done: dict) -> list[dict]:
    """One dict per finished (point, seed) of ``grid``: settings, seed, key, results; sorted."""
    rows = []
    for key, settings, seed in grid.tasks():
        if key in done:
            rows.append({**{k: settings.get(k) for k in setting_columns(grid)}, "seed": seed, "key": key,
                         **done[key]["row"], "wall_time": done[key]["wall_time"]})
    rows.sort(key=lambda row: sort_key(row, setting_columns(grid)))
    return rows


def write_results(folder: Path, grid: Grid, rows: list[dict]) -> tuple[Path, Path]:
    """results.csv (settings, seed, results, key) and timings.csv (key, seed, wall_time)."""
    columns = setting_columns(grid) + ["seed", *RESULT_COLUMNS, "key"]
    results = _csv(columns, ([row.get(c) for c in columns] for row in rows))
    timings = _csv(["key", "seed", "wall_time_s"], ([row["key"], row["seed"], row["wall_time"]] for row in rows))
    paths = Path(folder) / "results.csv", Path(folder) / "timings.csv"
    write_atomically(paths[0], results)
    write_atomically(paths[1], timings)
    return paths


def _csv(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else repr(float(v)) if isinstance(v, float) else v for v in row])
    return buffer.getvalue()


def write_manifest(folder: Path, manifest: dict) -> Path:
    path = Path(folder) / "sweep.json"
    write_atomically(path, json.dumps(_finite(manifest), indent=2, sort_keys=True) + "\n")
    return path
