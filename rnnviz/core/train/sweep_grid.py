"""A sweep's grid: which settings vary and over which values, the points it makes, their keys.

``--vary recurrent_scale=0.5:2.0:16`` (16 evenly spaced values), ``--vary lr=1e-4:1e-1:4:log``
(4 values evenly spaced in log), ``--vary cell=tanh,lstm`` (a list). The grid is the product of
the varied settings, in the order given, times the seeds; every other setting is held fixed.

A point's key is a hash of everything that determines its result (every setting, the seed,
and the row format), so a finished point is found again on disk whatever order points run in,
and a changed setting never reuses an old result. Rows are sorted by their settings and seed
before they are written: completion order differs from run to run, results must not.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass

import numpy as np

from rnnviz.core.errors import UserError
from rnnviz.core.train.sweep import SETTINGS, canonical_name, coerce

ROW_FORMAT = 1  # part of every key: a new row layout recomputes instead of mixing formats
MAX_VALUES = 1000  # values of one varied setting
MAX_POINTS = 100_000  # points x seeds in one sweep: a grid this large is almost surely a typo
MAX_SEEDS = 1000


@dataclass(frozen=True)
class Grid:
    varied: dict  # name -> tuple of values, in the order given
    fixed: dict  # name -> value for every other setting given (None: the default)
    seeds: tuple  # the seeds every point is trained with

    @property
    def names(self) -> tuple:
        return tuple(self.varied)

    def points(self) -> list[dict]:
        """Every combination of the varied values, each with the fixed settings: full settings dicts."""
        combos = itertools.product(*self.varied.values()) if self.varied else [()]
        return [{**self.fixed, **dict(zip(self.varied, combo))} for combo in combos]

    def tasks(self) -> list[tuple[str, dict, int]]:
        """(key, settings, seed) for every point and seed, in grid order."""
        return [(point_key(settings, seed), settings, seed) for settings in self.points() for seed in self.seeds]

    def spec(self) -> dict:
        return {"varied": {k: list(v) for k, v in self.varied.items()}, "fixed": dict(self.fixed),
                "seeds": list(self.seeds)}


def parse_vary(text: str) -> tuple[str, tuple]:
    """``name=a:b:n[:log]`` or ``name=v1,v2,...`` -> (name, values). Raises UserError."""
    if "=" not in str(text):
        raise UserError(f"--vary {text!r}: write NAME=START:STOP:COUNT or NAME=V1,V2,...")
    name, _, spec = str(text).partition("=")
    name = canonical_name(name)
    kind, _, _ = SETTINGS[name]
    spec = spec.strip()
    if not spec:
        raise UserError(f"--vary {name}: no values given")
    if ":" in spec and kind in ("int", "float"):
        values = _range(name, kind, spec)
    else:
        values = tuple(coerce(name, part.strip()) for part in spec.split(",") if part.strip())
    if not values:
        raise UserError(f"--vary {name}: no values given")
    if len(set(values)) != len(values):
        raise UserError(f"--vary {name}: a value is repeated ({spec})")
    if len(values) > MAX_VALUES:
        raise UserError(f"--vary {name}: {len(values)} values, at most {MAX_VALUES}")
    return name, values


def _range(name: str, kind: str, spec: str) -> tuple:
    parts = spec.split(":")
    log = len(parts) == 4 and parts[3].strip().lower() == "log"
    if len(parts) not in (3, 4) or (len(parts) == 4 and not log):
        raise UserError(f"--vary {name}={spec}: a range is START:STOP:COUNT or START:STOP:COUNT:log")
    start, stop = (_number(name, part) for part in parts[:2])
    try:
        count = int(parts[2])
    except ValueError:
        raise UserError(f"--vary {name}={spec}: COUNT must be a whole number, got {parts[2]!r}") from None
    if not 1 <= count <= MAX_VALUES:
        raise UserError(f"--vary {name}={spec}: COUNT must be from 1 to {MAX_VALUES}")
    if log:
        if start <= 0 or stop <= 0:
            raise UserError(f"--vary {name}={spec}: a log range needs positive ends")
        values = np.geomspace(start, stop, count)
    else:
        values = np.linspace(start, stop, count)
    if kind == "int":
        out = []
        for v in values:  # whole numbers: rounded, each kept once
            v = int(round(float(v)))
            if v not in out:
                out.append(v)
        return tuple(out)
    return tuple(float(_tidy(v)) for v in values)


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--vary {name}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise UserError(f"--vary {name}: {text!r} is not a finite number")
    return value


def _tidy(value: float) -> float:
    """0.1 + 0.2 style noise of linspace removed (12 significant digits), so that values read
    cleanly in files and a grid written by hand finds the same points."""
    return float(f"{float(value):.12g}")


def make_grid(vary: list[str], fixed: dict, seeds: list[int]) -> Grid:
    varied: dict = {}
    for text in vary:
        name, values = parse_vary(text)
        if name in varied:
            raise UserError(f"--vary {name} is given twice: list every value once")
        varied[name] = values
    fixed = {canonical_name(k): (None if v is None else coerce(canonical_name(k), v)) for k, v in fixed.items()}
    both = sorted(set(varied) & {k for k, v in fixed.items() if v is not None})
    if both:
        raise UserError(f"{', '.join(both)} is both varied and fixed: drop the fixed flag")
    fixed = {k: v for k, v in fixed.items() if k not in varied}
    if not seeds or len(seeds) > MAX_SEEDS:
        raise UserError(f"a sweep needs from 1 to {MAX_SEEDS} seeds")
    grid = Grid(varied, fixed, tuple(int(s) for s in seeds))
    total = math.prod(len(v) for v in varied.values()) * len(grid.seeds)
    if total > MAX_POINTS:
        raise UserError(f"this grid has {total} runs (points x seeds); at most {MAX_POINTS}")
    return grid


def point_key(settings: dict, seed: int) -> str:
    """A short hash of everything that determines a row (settings, seed, row format)."""
    blob = json.dumps({"settings": {k: v for k, v in settings.items() if v is not None}, "seed": int(seed),
                       "format": ROW_FORMAT}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def sort_key(row: dict, names) -> tuple:
    """Rows in order of their settings (numbers before text, each in its own order), then seed."""
    key = []
    for name in names:
        value = row.get(name)
        key.append((0, float(value), "") if isinstance(value, (int, float)) else (1, 0.0, str(value)))
    return tuple(key) + ((0, float(row["seed"]), ""),)


def check_points(grid) -> None:
    """Every point's settings make valid configurations, each distinct data source can be built,
    and every network's shape suits its data (an encoder-decoder needs a source and a target):
    a typo fails now, not on a worker an hour in."""
    from rnnviz.core.data.build import build_source
    from rnnviz.core.train.parts import check_shape_fits
    from rnnviz.core.train.sweep import configs, source_spec

    sources = {}
    for settings in grid.points():
        model, _ = configs(settings, grid.seeds[0])
        spec = source_spec(settings, grid.seeds[0])
        if spec["kind"] == "task" and settings.get("seq_len") is not None:
            raise UserError("seq_len does not apply to a task: it sets its own window (use length)")
        key = tuple(sorted((k, str(v)) for k, v in spec.items()))
        if key not in sources:
            sources[key] = build_source(spec)
        check_shape_fits(sources[key], model)
