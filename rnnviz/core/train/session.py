"""Save a whole training run to one file, and resume it exactly where it stopped.

One ``.npz`` holds the arrays (parameters, optimizer state, carried hidden state, history,
the last batch) and one JSON entry, ``metadata``, holds the rest (format and version, both
configurations, step, status, the batch generator's state, how to rebuild the data and where
its cursor was, the roll-back points and a fingerprint of the data file). No pickles:
``allow_pickle=False`` both ways, so opening a session never runs code. Writing is whole or
absent (``rnnviz.core.atomic``): a crash or a full disk mid-write leaves the old file whole,
with its permissions. Loading treats the file as hostile (``session_check``,
``session_fields``): sizes, headers and every metadata field are checked before any array is
read or anything is built, so a truncated, foreign, altered or newer file raises
``SessionError`` and the current run is untouched.

A run saved and loaded continues bitwise identically to one never interrupted.

Source specs (how to rebuild the data), ``Trainer(source_spec=...)``:
  {"kind": "sample", "name": "fables.txt" | None, "level": "char"}
  {"kind": "file", "path": "/abs/path.txt", "level": "char" | "word" | None, "encoding": "utf-8"}
  {"kind": "task", "name": "adding", "length": 50 | None, "seed": 0, "options": {...}}
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rnnviz import __version__
from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core import atomic
from rnnviz.core.errors import SessionError, UserError
from rnnviz.core.nn.clamp import CLAMP_MODES, UnitClamp
from rnnviz.core.train.distributions import Distributions
from rnnviz.core.train import session_check as check
from rnnviz.core.train import session_extras as extras
from rnnviz.core.train.session_fields import check_metadata
from rnnviz.core.train.history import History
from rnnviz.core.train.trainer import Trainer

FORMAT = "rnnviz-session"
FORMAT_VERSION = 1  # bump when the layout changes; older readers then refuse newer files


# ---------------------------------------------------------------------- saving
def save(trainer: Trainer, path) -> Path:
    """Write the run to ``path`` atomically. Raises SessionError when the folder is not writable."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    for name, value in trainer.model.params.items():
        arrays[f"param/{name}"] = value
    for key, value in trainer.optimizer.state_arrays().items():
        arrays[f"optim/{key}"] = value
    carry = _parts(trainer._carry)
    for i, part in enumerate(carry):
        arrays[f"carry/{i}"] = part
    for key, value in trainer.history.to_arrays().items():
        arrays[f"history/{key}"] = value
    for key, value in trainer.distributions.to_arrays().items():
        arrays[f"dist/{key}"] = value
    last = trainer._last
    if last is not None:
        inputs, targets, h0 = last[:3]
        arrays["last/inputs"], arrays["last/targets"] = np.asarray(inputs), np.asarray(targets)
        for i, part in enumerate(_parts(h0)):
            arrays[f"last/h0/{i}"] = part
    metadata = {
        "format": FORMAT, "version": FORMAT_VERSION, "rnnviz_version": __version__,
        "model_config": trainer.model_config.to_dict(), "train_config": trainer.train_config.to_dict(),
        "optimizer": trainer.optimizer.name, "step": trainer.step_count, "status": trainer.status,
        "divergence": trainer.divergence, "loss_smooth": trainer.loss_smooth, "wall_time": trainer.wall_time,
        "rng": trainer.rng.bit_generator.state,
        "source": {"spec": trainer.source_spec, "name": trainer.source.name,
                   "state": trainer.source.get_state(), "initial_state": trainer._source_state0},
        "units_off": _units_off_dict(trainer.units_off), "units_mode": trainer.units_mode,
        "carry_parts": len(carry), "last_h0_parts": len(_parts(last[2])) if last is not None else 0,
    }
    point_arrays, metadata["rollback"] = extras.points_to_arrays(trainer._checkpoints)
    arrays.update(point_arrays)
    metadata["data_sha256"] = extras.data_digest(trainer.source_spec)
    arrays["metadata"] = np.array(json.dumps(metadata, default=str))  # a Path in a spec becomes text
    atomic.write_with(path, lambda stream: np.savez(stream, allow_pickle=False, **arrays),
                      what="the session", error=SessionError)
    return path


def _parts(state) -> tuple:
    if state is None:
        return ()
    return tuple(state) if isinstance(state, tuple) else (state,)


def _join(parts: list):
    if not parts:
        return None
    return tuple(parts) if len(parts) > 1 else parts[0]


# ---------------------------------------------------------------------- loading
def read(path) -> tuple[dict, dict]:
    """(metadata, arrays) of a session file, each checked before it is read (see the module
    docstring); SessionError otherwise. Reads nothing the metadata's settings do not need."""
    path = Path(path)
    with check.open_members(path) as archive:
        metadata = check.read_metadata(path, archive)
        check_metadata(path, metadata, FORMAT, FORMAT_VERSION, __version__)
        names = [m.filename[:-len(".npy")] for m in archive.infolist()]
        model = ModelConfig.from_dict(metadata["model_config"])
        expected = check.expected_members(metadata, names, path.stat().st_size)
        layouts = check.check_headers(path, archive, expected, same_batch=check.plain_stack(model))
        budget, limit = check.load_budget(metadata, layouts), check.memory_limit()
        if limit is not None and budget > limit:
            raise SessionError(f"{path.name} needs about {budget / 2**30:.1f} GiB of memory to open, more than "
                               f"this machine has ({limit / 2**30:.1f} GiB)")
        arrays = check.read_arrays(path, archive, layouts)
        check.check_history_values(path, arrays)
    return metadata, arrays


class DataChangedError(SessionError):
    """The data file of a session is not the one it was trained on (its SHA-256 differs)."""


def load(path, source=None, allow_changed_data: bool = False) -> Trainer:
    """A Trainer continuing the saved run. ``source`` (already loaded) is used instead of
    rebuilding the data from the session's spec. Raises SessionError and changes nothing;
    DataChangedError when the data file changed since the session was saved, unless
    ``allow_changed_data``."""
    path = Path(path)
    metadata, arrays = read(path)
    model_config = ModelConfig.from_dict(metadata["model_config"])  # checked by read()
    train_config = TrainConfig.from_dict(metadata["train_config"])
    step = metadata["step"]
    info = metadata["source"]
    spec = info.get("spec")
    if source is None:
        if spec is None:
            raise SessionError(f"{path.name} does not say how to rebuild its data "
                               f"({info.get('name', '?')}); open the data first, then the session")
        _check_data_unchanged(path, metadata, spec, allow_changed_data)
        try:
            source = build_source(spec)
        except UserError as exc:
            raise SessionError(f"the data of {path.name} cannot be loaded: {exc}") from None
    if (source.input_size, source.output_size) != (model_config.input_size, model_config.output_size):
        raise SessionError(f"{path.name} was trained on data with {model_config.input_size} inputs and "
                           f"{model_config.output_size} outputs, but {source.name} has "
                           f"{source.input_size} and {source.output_size}")
    state_before = source.get_state()
    try:
        trainer = Trainer(source, model_config, train_config, source_spec=spec)
        _restore(trainer, metadata, arrays, step)
        source.set_state(info["state"])
    except (KeyError, TypeError, ValueError, IndexError, OverflowError, UserError) as exc:
        source.set_state(state_before)  # UserError covers SessionError and DataError
        raise SessionError(f"{path.name} is damaged: {exc}") from None
    except MemoryError:
        source.set_state(state_before)
        raise SessionError(f"{path.name} needs more memory to open than this machine has") from None
    return trainer


def _check_data_unchanged(path: Path, metadata: dict, spec: dict, allow_changed_data: bool) -> None:
    recorded = metadata.get("data_sha256")
    if recorded is None or allow_changed_data:
        return
    current = extras.data_digest(spec)
    if current is not None and current != recorded:
        raise DataChangedError(f"the data file {spec['path']} has changed since {path.name} was saved "
                               f"(its SHA-256 differs): the run would go on with other data")


def _restore(trainer: Trainer, metadata: dict, arrays: dict, step: int) -> None:
    params = {}
    for name, current in trainer.model.params.items():
        value = arrays.get(f"param/{name}")
        if value is None or value.shape != current.shape or value.dtype != current.dtype:
            raise SessionError(f"parameter {name} is missing or has the wrong shape or type")
        params[name] = value
    optimizer_state = {key[len("optim/"):]: value for key, value in arrays.items() if key.startswith("optim/")}
    if metadata.get("optimizer") != trainer.optimizer.name:
        raise SessionError("the optimizer state does not belong to the configured optimizer")
    trainer.optimizer.load_state_arrays(optimizer_state)
    history = {key[len("history/"):]: value for key, value in arrays.items() if key.startswith("history/")}
    tc = trainer.train_config
    trainer.history = History.from_arrays(history, tc.history_size, tc.flow_size)
    dist = {key[len("dist/"):]: value for key, value in arrays.items() if key.startswith("dist/")}
    trainer.distributions = Distributions.from_arrays(dist, tc.flow_size)  # older files: none, empty
    held = _units_off(metadata.get("units_off"), trainer.model_config)
    if held is not None:
        trainer.model.clamp = held
    mode = metadata.get("units_mode", "zero")
    if mode not in CLAMP_MODES:
        raise SessionError(f"units are held at 'zero' or 'mean', not {mode!r}")
    trainer.units_mode = mode
    trainer.rng.bit_generator.state = metadata["rng"]
    carry = _join([arrays[f"carry/{i}"] for i in range(int(metadata["carry_parts"]))])
    for name, value in params.items():
        trainer.model.params[name][...] = value
    trainer.step_count = step
    trainer.status = metadata["status"] if metadata["status"] in ("ready", "finished", "diverged") else "ready"
    trainer.divergence = str(metadata.get("divergence", ""))
    smooth = metadata.get("loss_smooth")
    trainer.loss_smooth = None if smooth is None else float(smooth)
    trainer._carry = carry
    trainer.wall_time = float(metadata.get("wall_time", 0.0))
    trainer._source_state0 = metadata["source"].get("initial_state", trainer._source_state0)
    if "last/inputs" in arrays:
        h0 = _join([arrays[f"last/h0/{i}"] for i in range(int(metadata["last_h0_parts"]))])
        # the last batch again, through the saved weights: what the plots showed, one update later
        trainer._last = trainer._trace_batch(arrays["last/inputs"], arrays["last/targets"], h0)
    points = extras.points_from_arrays(metadata.get("rollback") or [], arrays)
    trainer._checkpoints = [point for point in points if point["step"] < step]
    trainer._checkpoint()


def _units_off_dict(clamp) -> dict | None:
    if clamp is None:
        return None
    return {"units": [list(unit) for unit in clamp.units], "values": list(clamp.values), "mode": clamp.mode}


def _units_off(data, model_config: ModelConfig) -> UnitClamp | None:
    """The held units saved in a session, checked against the network; SessionError otherwise."""
    if data is None:
        return None
    if not isinstance(data, dict) or set(data) != {"units", "values", "mode"}:
        raise SessionError("the units switched off are damaged (expected units, values and mode)")
    units, values = data["units"], data["values"]
    if (not isinstance(units, list) or not isinstance(values, list) or len(units) != len(values)
            or len(units) > model_config.num_layers * model_config.hidden_size
            or not all(isinstance(u, list) and len(u) == 2 and all(type(i) is int for i in u) for u in units)
            or not all(type(v) in (int, float) for v in values)):
        raise SessionError("the units switched off are damaged (one [layer, unit] and one number each)")
    try:
        clamp = UnitClamp(tuple(tuple(u) for u in units), tuple(values), data["mode"])
        clamp.check(model_config.num_layers, model_config.hidden_size)
    except ValueError as exc:
        raise SessionError(f"the units switched off are damaged: {exc}") from None
    return clamp if clamp.units else None


def build_source(spec: dict):
    """The data source a spec describes (see the module docstring). Raises UserError."""
    if not isinstance(spec, dict):
        raise SessionError(f"unreadable data description {spec!r}")
    kind = spec.get("kind")
    if kind == "sample":
        from rnnviz.core.data.files import load_sample

        return load_sample(spec.get("name"), level=spec.get("level") or "char")
    if kind == "file":
        from rnnviz.core.data.files import load_path

        return load_path(spec["path"], level=spec.get("level"), encoding=spec.get("encoding") or "utf-8")
    if kind == "task":
        from rnnviz.core.data.tasks import make_task

        return make_task(spec["name"], length=spec.get("length"), seed=spec.get("seed", 0),
                         **(spec.get("options") or {}))
    raise SessionError(f"unknown kind of data {kind!r} in the session (expected sample, file or task)")
