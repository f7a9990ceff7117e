"""One place where a data spec becomes a data source.

A spec is the plain dict that names a run's data; the window's form, the presets, the command
line, sweeps and sessions all describe data this way (a session stores it, to rebuild the data
when it is opened again), so they all build it here and agree on every field:

  {"kind": "sample", "name": "fables.txt" | None, "level": "char" | "word" | None}
  {"kind": "file", "path": "/abs/path.txt", "level": "char" | "word" | None, "encoding": "utf-8"}
  {"kind": "task", "name": "adding", "length": 50 | None, "seed": 0, "options": {...}}
"""

from __future__ import annotations

from rnnviz.core.errors import DataError

KINDS = ("sample", "file", "task")


def build_source(spec: dict, progress=None):
    """The data source ``spec`` describes (see the module docstring). ``progress(fraction)`` is
    called while a file loads. Raises DataError (a UserError) with a message a person can act on."""
    if not isinstance(spec, dict):
        raise DataError(f"unreadable data description {spec!r}")
    kind = spec.get("kind", "sample")
    if kind == "sample":
        from rnnviz.core.data.files import load_sample

        return load_sample(spec.get("name"), level=spec.get("level") or "char", progress=progress)
    if kind == "file":
        from rnnviz.core.data.files import load_path

        return load_path(spec["path"], level=spec.get("level"), encoding=spec.get("encoding") or "utf-8",
                         progress=progress)
    if kind == "task":
        from rnnviz.core.data.tasks import make_task

        return make_task(spec["name"], length=spec.get("length"), seed=int(spec.get("seed") or 0),
                         **(spec.get("options") or {}))
    raise DataError(f"unknown kind of data {kind!r} (expected {', '.join(KINDS[:-1])} or {KINDS[-1]})")
