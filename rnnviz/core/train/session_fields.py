"""The metadata of a session, field by field: types, ranges, and nothing unexpected.

A session's JSON says how to rebuild its run: both configurations, the step, the random
generator's state, how to reload the data and where its cursor was, the roll-back points.
Each of these reaches code that trusts it (numpy's generator, the data loaders, ``range()``),
so each is checked here first, and the first bad one is named in a ``SessionError``.
"""

from __future__ import annotations

import math
from pathlib import Path

from rnnviz.core.config import OPTIMIZERS, ModelConfig, TrainConfig
from rnnviz.core.errors import SessionError

MAX_BATCH, MAX_STEPS_PER_WINDOW = 4096, 10_000  # TrainConfig's limits on batch_size and seq_len
MAX_VOCABULARY = 1 << 21  # inputs/outputs of a network: every Unicode code point fits
MAX_ROLLBACK_POINTS = 8
MAX_TEXT = 10_000  # characters of a free-text field (divergence, source name)
SESSION_STATUSES = ("ready", "finished", "diverged")
TOP_KEYS = {"format", "version", "rnnviz_version", "model_config", "train_config", "optimizer", "step",
            "status", "divergence", "loss_smooth", "wall_time", "rng", "source", "carry_parts",
            "last_h0_parts", "rollback", "data_sha256", "units_off", "units_mode"}
TASK_OPTIONS = {"sines": {"periods": "numbers", "amplitudes": "numbers"}, "sine": {"period": "number"},
                "parity": {"lag": "int"}}


def check_metadata(path: Path, metadata: dict, format_name: str, newest: int, rnnviz_version: str) -> None:
    """Every field's type and range; a SessionError names the first bad one."""
    name = path.name
    if metadata.get("format") != format_name:
        raise SessionError(f"{name} is not an rnnviz session (its metadata is of another format)")
    version = metadata.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SessionError(f"{name} has an unreadable session version {version!r}")
    if version > newest:
        raise SessionError(f"{name} was written by a newer rnnviz ({str(metadata.get('rnnviz_version', '?'))[:40]}, "
                           f"session format {version}); this rnnviz {rnnviz_version} reads format "
                           f"{newest} and older: update rnnviz to open it")

    def bad(field: str, why: str):
        return SessionError(f"{name} has damaged settings: {field} {why}")

    unknown = sorted(set(metadata) - TOP_KEYS, key=str)
    if unknown:
        raise bad(str(unknown[0])[:80], "is not a session field")
    model, train = _configs(metadata, bad)
    if model.input_size > MAX_VOCABULARY or model.output_size > MAX_VOCABULARY:
        raise bad("model_config", f"has more than {MAX_VOCABULARY:,} inputs or outputs")
    if metadata.get("optimizer") not in OPTIMIZERS or metadata["optimizer"] != train.optimizer:
        raise bad("optimizer", "does not match the training settings")
    _int_field(metadata, "step", 0, 2**62, bad)
    if metadata.get("status") not in SESSION_STATUSES:
        raise bad("status", f"must be one of {', '.join(SESSION_STATUSES)}")
    _text_field(metadata, "divergence", bad, optional=True)
    _number_field(metadata, "loss_smooth", bad, optional=True)
    _number_field(metadata, "wall_time", bad, optional=True, minimum=0.0)
    check_rng_state(metadata.get("rng"), bad, "rng")
    check_source(metadata.get("source"), bad)
    from rnnviz.core.nn.cells import make_cell

    cells = {model.cell, getattr(model, "decoder_cell", None) or model.cell}
    states = max(len(make_cell(cell).state_names) for cell in cells)
    plain = getattr(model, "arch", "stack") == "stack" and not getattr(model, "bidirectional", False)
    states = states if plain else -states  # negative: any count up to it (two stacks, two cells)
    if not _is_count(metadata.get("carry_parts"), states):
        raise bad("carry_parts", f"must be 0 or {abs(states)} for the {model.cell} cell")
    if not _is_count(metadata.get("last_h0_parts"), states):
        raise bad("last_h0_parts", f"must be 0 or {abs(states)} for the {model.cell} cell")
    _check_rollback(metadata.get("rollback"), states, bad)
    digest = metadata.get("data_sha256")
    if digest is not None and not (isinstance(digest, str) and len(digest) == 64
                                   and all(c in "0123456789abcdef" for c in digest)):
        raise bad("data_sha256", "is not a SHA-256 digest")


def _configs(metadata: dict, bad):
    configs = []
    for field, kind in (("model_config", ModelConfig), ("train_config", TrainConfig)):
        value = metadata.get(field)
        if not isinstance(value, dict):
            raise bad(field, "is missing or not a table of settings")
        try:
            configs.append(kind.from_dict(value))
        except (TypeError, ValueError) as exc:
            raise bad(field, f"is invalid: {str(exc)[:200]}") from None
    return configs


def _int_field(table: dict, field: str, low: int, high: int, bad, label: str = "") -> int:
    value = table.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad(label or field, f"must be a whole number from {low} to {high}, got {_short(value)}")
    return value


def _number_field(table: dict, field: str, bad, optional: bool = False, minimum: float | None = None,
                  label: str = "") -> None:
    value = table.get(field)
    if value is None and optional:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (minimum is not None and value < minimum):
        raise bad(label or field, f"must be a finite number{'' if minimum is None else f' >= {minimum}'}, "
                                  f"got {_short(value)}")


def _text_field(table: dict, field: str, bad, optional: bool = False, label: str = "") -> None:
    value = table.get(field)
    if value is None and optional:
        return
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise bad(label or field, f"must be a text, got {_short(value)}")


def _is_count(value, states: int) -> bool:
    """0 (no state) or the cell's number of state arrays; ``states`` < 0: anything up to -states."""
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return value in (0, states) if states >= 0 else 0 <= value <= -states


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_rng_state(state, bad, label: str) -> None:
    """numpy's PCG64 state: {"bit_generator": "PCG64", "state": {"state", "inc"}, "has_uint32", "uinteger"}."""
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64" or not isinstance(state.get("state"), dict):
        raise bad(label, "is not a random generator state of numpy's PCG64")
    if set(state) - {"bit_generator", "state", "has_uint32", "uinteger"} or set(state["state"]) != {"state", "inc"}:
        raise bad(label, "has unexpected fields")
    for key in ("state", "inc"):
        _int_field(state["state"], key, 0, 2**128 - 1, bad, f"{label}.state.{key}")
    _int_field(state, "has_uint32", 0, 1, bad, f"{label}.has_uint32")
    _int_field(state, "uinteger", 0, 2**32 - 1, bad, f"{label}.uinteger")


def check_source(info, bad) -> None:
    if not isinstance(info, dict):
        raise bad("source", "is missing or not a table")
    if set(info) - {"spec", "name", "state", "initial_state"}:
        raise bad("source", "has unexpected fields")
    _text_field(info, "name", bad, label="source.name")
    for field in ("state", "initial_state"):
        check_source_state(info.get(field), bad, f"source.{field}")
    spec = info.get("spec")
    if spec is not None:
        check_spec(spec, bad)


def check_source_state(state, bad, label: str) -> None:
    """A data cursor: {} for tasks, {"cursor", "batch_size", "epochs"} for streams."""
    if not isinstance(state, dict) or set(state) - {"cursor", "batch_size", "epochs"}:
        raise bad(label, "is not a data position")
    for key in ("cursor", "epochs"):
        if key in state:
            _int_field(state, key, 0, 2**62, bad, f"{label}.{key}")
    if state.get("batch_size") is not None:
        _int_field(state, "batch_size", 1, MAX_BATCH, bad, f"{label}.batch_size")


def check_spec(spec, bad) -> None:
    """How to rebuild the data (see ``rnnviz.core.data.build``): every field by kind."""
    if not isinstance(spec, dict):
        raise bad("source.spec", "is not a table")
    kind = spec.get("kind")
    allowed = {"sample": {"kind", "name", "level"}, "file": {"kind", "path", "level", "encoding"},
               "task": {"kind", "name", "length", "seed", "options"}}
    if kind not in allowed:
        raise bad("source.spec.kind", f"must be sample, file or task, got {_short(kind)}")
    extra = sorted(set(spec) - allowed[kind], key=str)
    if extra:
        raise bad(f"source.spec.{str(extra[0])[:40]}", f"is not a field of a {kind} spec")
    if spec.get("level") is not None and spec["level"] not in ("char", "word"):
        raise bad("source.spec.level", f"must be char or word, got {_short(spec['level'])}")
    if kind == "sample":
        _text_field(spec, "name", bad, optional=True, label="source.spec.name")
    elif kind == "file":
        path = spec.get("path")
        if not isinstance(path, str) or not path or "\x00" in path or len(path) > 4096:
            raise bad("source.spec.path", f"must be a file path, got {_short(path)}")
        encoding = spec.get("encoding")
        if encoding is not None and (not isinstance(encoding, str) or len(encoding) > 64):
            raise bad("source.spec.encoding", f"must be an encoding name, got {_short(encoding)}")
    else:
        task = spec.get("name")
        if not isinstance(task, str) or len(task) > 64:
            raise bad("source.spec.name", f"must be a task name, got {_short(task)}")
        if spec.get("length") is not None:
            _int_field(spec, "length", 1, MAX_STEPS_PER_WINDOW, bad, "source.spec.length")
        if "seed" in spec:
            _int_field(spec, "seed", 0, 2**63 - 1, bad, "source.spec.seed")
        _check_task_options(task, spec.get("options"), bad)


def _check_task_options(task: str, options, bad) -> None:
    if options is None:
        return
    if not isinstance(options, dict):
        raise bad("source.spec.options", f"must be a table, got {_short(options)}")
    known = TASK_OPTIONS.get(task, {})
    for key, value in options.items():
        kind = known.get(key)
        label = f"source.spec.options.{str(key)[:40]}"
        if kind is None:
            raise bad(label, f"is not an option of the {task[:40]} task")
        if kind == "int":
            _int_field(options, key, 1, MAX_STEPS_PER_WINDOW, bad, label)
        elif kind == "number":
            _number_field(options, key, bad, label=label)
        elif not (isinstance(value, list) and 1 <= len(value) <= 64
                  and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                          for v in value)):
            raise bad(label, f"must be a list of up to 64 finite numbers, got {_short(value)}")


def _check_rollback(points, states: int, bad) -> None:
    if points is None:
        return
    if not isinstance(points, list) or len(points) > MAX_ROLLBACK_POINTS:
        raise bad("rollback", f"must be a list of at most {MAX_ROLLBACK_POINTS} roll-back points")

    for k, point in enumerate(points):
        label = f"rollback[{k}]"
        if not isinstance(point, dict) or set(point) != {"step", "optimizer", "rng", "source", "smooth",
                                                         "carry_parts", "last_h0_parts"}:
            raise bad(label, "is not a roll-back point")
        _int_field(point, "step", 0, 2**62, bad, f"{label}.step")
        if point["optimizer"] not in OPTIMIZERS:
            raise bad(f"{label}.optimizer", f"must be one of {', '.join(OPTIMIZERS)}")
        check_rng_state(point["rng"], bad, f"{label}.rng")
        check_source_state(point["source"], bad, f"{label}.source")
        _number_field(point, "smooth", bad, optional=True, label=f"{label}.smooth")
        if not _is_count(point["carry_parts"], states):
            raise bad(f"{label}.carry_parts", f"must be 0 or {abs(states)}")
        if not _is_count(point["last_h0_parts"], states):
            raise bad(f"{label}.last_h0_parts", f"must be 0 or {abs(states)}")
