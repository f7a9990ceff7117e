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

The data is rebuilt from the trainer's ``source_spec`` (rnnviz.core.data.build).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rnnviz import __version__
from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core import atomic
from rnnviz.core.data.build import build_source
from rnnviz.core.errors import SessionError, UserError
from rnnviz.core.nn.clamp import CLAMP_MODES, UnitClamp
from rnnviz.core.nn.units import held_record, read_held_record
from rnnviz.core.train import session_check as check
from rnnviz.core.train import session_extras as extras
from rnnviz.core.train.session_fields import check_metadata
from rnnviz.core.train.session_layout import expected_members, plain_stack
from rnnviz.core.train.records import LastBatch
from rnnviz.core.train.trainer import Trainer

FORMAT = "rnnviz-session"
FORMAT_VERSION = 2  # bump when the layout changes; older readers then refuse newer files
# 2: held units are saved by name ("fwd 3"), no longer as [layer, unit]; format 1 is still read.
# A session holding no unit is the same in both formats and says 1, so older readers open it.


# ---------------------------------------------------------------------- saving
def save(trainer: Trainer, path) -> Path:
    """Write the run to ``path`` atomically. Raises SessionError when the folder is not writable."""
    path = Path(path)
    state = trainer.state_dict()
    arrays: dict[str, np.ndarray] = {}
    for name, value in state["params"].items():
        arrays[f"param/{name}"] = value
    for key, value in state["optimizer_state"].items():
        arrays[f"optim/{key}"] = value
    for i, part in enumerate(state["carry"]):
        arrays[f"carry/{i}"] = part
    for key, value in state["history"].items():
        arrays[f"history/{key}"] = value
    for key, value in state["distributions"].items():
        arrays[f"dist/{key}"] = value
    last = state["last_batch"]
    if last is not None:
        arrays["last/inputs"], arrays["last/targets"] = np.asarray(last.inputs), np.asarray(last.targets)
        for i, part in enumerate(_parts(last.h0)):
            arrays[f"last/h0/{i}"] = part
    metadata = {
        "format": FORMAT, "version": FORMAT_VERSION if state["units_off"] is not None else 1,
        "rnnviz_version": __version__,
        "model_config": trainer.model_config.to_dict(), "train_config": trainer.train_config.to_dict(),
        "optimizer": state["optimizer"], "step": state["step"], "status": trainer.status,
        "divergence": state["divergence"], "loss_smooth": state["loss_smooth"], "wall_time": state["wall_time"],
        "rng": state["rng"],
        "source": {"spec": trainer.source_spec, "name": trainer.source.name,
                   "state": state["source_state"], "initial_state": state["source_initial_state"]},
        "units_off": _units_off_dict(state["units_off"], trainer.model_config), "units_mode": state["units_mode"],
        "carry_parts": len(state["carry"]), "last_h0_parts": len(_parts(last.h0)) if last is not None else 0,
    }
    point_arrays, metadata["rollback"] = extras.points_to_arrays(state["rollback"])
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
        expected = expected_members(metadata, names, path.stat().st_size)
        layouts = check.check_headers(path, archive, expected, same_batch=plain_stack(model))
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
        trainer.load_state_dict(_state(trainer, metadata, arrays))
    except SessionError:
        source.set_state(state_before)
        raise
    except (KeyError, TypeError, ValueError, IndexError, OverflowError, UserError) as exc:
        source.set_state(state_before)  # UserError covers DataError
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


def _state(trainer: Trainer, metadata: dict, arrays: dict) -> dict:
    """The ``Trainer.state_dict`` a session's metadata and arrays hold (``trainer`` only says
    which parameters to expect; it is not changed). The session's ``status`` is not read: it
    follows from the divergence and the step."""
    def members(prefix: str) -> dict:
        return {key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)}

    params = {name: arrays.get(f"param/{name}") for name in trainer.model.params}
    if metadata.get("optimizer") != trainer.optimizer.name:
        raise SessionError("the optimizer state does not belong to the configured optimizer")
    mode = metadata.get("units_mode", "zero")
    if mode not in CLAMP_MODES:
        raise SessionError(f"units are held at 'zero' or 'mean', not {mode!r}")
    last = None
    if "last/inputs" in arrays:
        h0 = _join([arrays[f"last/h0/{i}"] for i in range(int(metadata["last_h0_parts"]))])
        last = LastBatch(arrays["last/inputs"], arrays["last/targets"], h0)
    source = metadata["source"]
    return {
        "step": metadata["step"], "divergence": str(metadata.get("divergence", "")),
        "loss_smooth": metadata.get("loss_smooth"), "wall_time": float(metadata.get("wall_time", 0.0)),
        "params": params, "optimizer": metadata["optimizer"], "optimizer_state": members("optim/"),
        "carry": tuple(arrays[f"carry/{i}"] for i in range(int(metadata["carry_parts"]))),
        "rng": metadata["rng"], "source_state": source["state"],
        "source_initial_state": source.get("initial_state", trainer.source.get_state()),
        "history": members("history/"), "distributions": members("dist/"),  # older files: no bands
        "last_batch": last, "rollback": extras.points_from_arrays(metadata.get("rollback") or [], arrays),
        "units_off": _units_off(metadata.get("units_off"), trainer.model_config), "units_mode": mode,
    }


def _units_off_dict(clamp, config) -> dict | None:
    """The held units by name ("fwd 3"), with their values and mode; None when none is held."""
    return None if clamp is None else held_record(config, clamp.units, clamp.values, clamp.mode)


def _units_off(data, model_config: ModelConfig) -> UnitClamp | None:
    """The held units saved in a session (by name, or as [layer, unit] numbers in older files),
    checked against the network; ValueError naming what is wrong otherwise (``load`` names the file)."""
    if data is None:
        return None
    try:
        units, values, mode = read_held_record(model_config, data)
        clamp = UnitClamp(tuple(units), tuple(values), mode)
    except ValueError as exc:
        raise ValueError(f"the units switched off: {exc}") from None
    return clamp if clamp.units else None
