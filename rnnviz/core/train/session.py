"""Save a whole training run to one file, and resume it exactly where it stopped.

One ``.npz`` holds the arrays (parameters, optimizer state, carried hidden state, history,
the last batch) and one JSON entry, ``metadata``, holds the rest (format and version, both
configurations, step, status, the batch generator's state, how to rebuild the data and where
its cursor was). No pickles: ``allow_pickle=False`` both ways, so opening a session never
runs code. Writing goes to a temporary file in the same folder, then ``os.replace``: a crash
mid-write leaves the old file whole. Loading checks everything before building anything, so
a truncated, foreign or newer file raises ``SessionError`` and the current run is untouched.

A run saved and loaded continues bitwise identically to one never interrupted.

Source specs (how to rebuild the data), ``Trainer(source_spec=...)``:
  {"kind": "sample", "name": "fables.txt" | None, "level": "char"}
  {"kind": "file", "path": "/abs/path.txt", "level": "char" | "word" | None, "encoding": "utf-8"}
  {"kind": "task", "name": "adding", "length": 50 | None, "seed": 0, "options": {...}}
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from rnnviz import __version__
from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import SessionError, UserError
from rnnviz.core.nn.clamp import CLAMP_MODES, UnitClamp
from rnnviz.core.train.distributions import Distributions
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
    arrays["metadata"] = np.array(json.dumps(metadata, default=str))  # a Path in a spec becomes text
    _write_atomically(path, arrays)
    return path


def _write_atomically(path: Path, arrays: dict) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SessionError(f"cannot write the session {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, allow_pickle=False, **arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; a session is an ordinary document
        os.replace(temporary, path)
    except OSError as exc:
        _remove_quietly(temporary)
        raise SessionError(f"cannot write the session {path}: {exc.strerror or exc}") from None
    except BaseException:
        _remove_quietly(temporary)
        raise


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


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
    """(metadata, arrays) of a session file, checked for format and version; SessionError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise SessionError(f"{path}: no such session file")
    try:
        with open(path, "rb") as stream, np.load(stream, allow_pickle=False) as npz:  # we close the file,
            # even when numpy fails half-way through a cut-off zip
            if "metadata" not in npz.files:
                raise SessionError(f"{path.name} is not an rnnviz session (it has no rnnviz metadata)")
            arrays = {key: npz[key] for key in npz.files}
        metadata = json.loads(str(arrays.pop("metadata")))
    except SessionError:
        raise
    except Exception:  # a cut-off zip, a text file, a pickle: all unreadable as sessions
        raise SessionError(f"{path.name} is not a readable rnnviz session: the file is truncated "
                           f"or is not a session file") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise SessionError(f"{path.name} is not an rnnviz session (its metadata is of another format)")
    version = metadata.get("version")
    if not isinstance(version, int) or version < 1:
        raise SessionError(f"{path.name} has an unreadable session version {version!r}")
    if version > FORMAT_VERSION:
        raise SessionError(f"{path.name} was written by a newer rnnviz ({metadata.get('rnnviz_version', '?')}, "
                           f"session format {version}); this rnnviz {__version__} reads format "
                           f"{FORMAT_VERSION} and older: update rnnviz to open it")
    return metadata, arrays


def load(path, source=None) -> Trainer:
    """A Trainer continuing the saved run. ``source`` (already loaded) is used instead of
    rebuilding the data from the session's spec. Raises SessionError and changes nothing."""
    path = Path(path)
    metadata, arrays = read(path)
    try:
        model_config = ModelConfig.from_dict(metadata["model_config"])
        train_config = TrainConfig.from_dict(metadata["train_config"])
        step = int(metadata["step"])
        info = metadata["source"]
        spec = info.get("spec")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SessionError(f"{path.name} has damaged settings: {exc}") from None
    if source is None:
        if spec is None:
            raise SessionError(f"{path.name} does not say how to rebuild its data "
                               f"({info.get('name', '?')}); open the data first, then the session")
        try:
            source = build_source(spec)
        except UserError as exc:
            raise SessionError(f"the data of {path.name} cannot be loaded: {exc}") from None
    if (source.input_size, source.output_size) != (model_config.input_size, model_config.output_size):
        raise SessionError(f"{path.name} was trained on data with {model_config.input_size} inputs and "
                           f"{model_config.output_size} outputs, but {source.name} has "
                           f"{source.input_size} and {source.output_size}")
    try:
        trainer = Trainer(source, model_config, train_config, source_spec=spec)
        _restore(trainer, metadata, arrays, step)
        source.set_state(info["state"])
    except (KeyError, TypeError, ValueError, UserError) as exc:  # UserError covers SessionError
        raise SessionError(f"{path.name} is damaged: {exc}") from None
    return trainer


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
    trainer._checkpoints = []
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
