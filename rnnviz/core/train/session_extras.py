"""What a session keeps beside the run itself: its roll-back points and its data's fingerprint.

Roll-back points: a run that diverged is only useful if it can go back to before the blow-up.
The trainer keeps a few checkpoints in memory; a session saves them too, so a diverged run
opened from a file (``rnnviz run --resume F --rollback``) goes back exactly as it would have
in the window that trained it.

Fingerprint: a session trained on a file rebuilds its data from that path. If the file has
changed since, the resumed run would silently train on other data; so the session records the
SHA-256 of the file, and loading compares it. Hashing reads the file once per process for a
given (path, size, modification time); periodic checkpoints reuse the result.
"""

from __future__ import annotations

import copy
import hashlib
import os
import stat
from pathlib import Path

import numpy as np

from rnnviz.core.train.records import LastBatch

HASH_CHUNK = 1 << 20
_digests: dict[tuple, str] = {}  # (real path, size, mtime_ns) -> hex digest


# ---------------------------------------------------------------------- roll-back points
def points_to_arrays(checkpoints: list[dict]) -> tuple[dict[str, np.ndarray], list[dict]]:
    """(arrays, metadata) for the trainer's roll-back checkpoints, oldest first."""
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for k, point in enumerate(checkpoints):
        prefix = f"rollback/{k}/"
        for name, value in point["params"].items():
            arrays[f"{prefix}param/{name}"] = value
        for key, value in point["optim"].items():
            arrays[f"{prefix}optim/{key}"] = value
        carry = _parts(point["carry"])
        for i, part in enumerate(carry):
            arrays[f"{prefix}carry/{i}"] = part
        last = point["last"]
        h0 = _parts(last.h0) if last is not None else ()
        if last is not None:
            arrays[f"{prefix}last/inputs"] = np.asarray(last.inputs)
            arrays[f"{prefix}last/targets"] = np.asarray(last.targets)
            for i, part in enumerate(h0):
                arrays[f"{prefix}last/h0/{i}"] = part
        meta.append({"step": int(point["step"]), "optimizer": point["optimizer"], "rng": point["rng"],
                     "source": point["source"], "smooth": point["smooth"], "carry_parts": len(carry),
                     "last_h0_parts": len(h0)})
    return arrays, meta


def points_from_arrays(meta: list[dict], arrays: dict) -> list[dict]:
    """The checkpoints ``points_to_arrays`` saved, in the trainer's form. Their last batch has no
    trace: a roll-back marks it stale, and the next snapshot runs it through the weights again."""
    points = []
    for k, info in enumerate(meta):
        prefix = f"rollback/{k}/"
        params = {key[len(prefix) + 6:]: value for key, value in arrays.items() if key.startswith(f"{prefix}param/")}
        optim = {key[len(prefix) + 6:]: value for key, value in arrays.items() if key.startswith(f"{prefix}optim/")}
        last = None
        if f"{prefix}last/inputs" in arrays:
            h0 = _join([arrays[f"{prefix}last/h0/{i}"] for i in range(info["last_h0_parts"])])
            last = LastBatch(arrays[f"{prefix}last/inputs"], arrays[f"{prefix}last/targets"], h0)
        points.append({"step": info["step"], "optimizer": info["optimizer"], "params": params, "optim": optim,
                       "carry": _join([arrays[f"{prefix}carry/{i}"] for i in range(info["carry_parts"])]),
                       "rng": copy.deepcopy(info["rng"]), "source": copy.deepcopy(info["source"]),
                       "smooth": None if info["smooth"] is None else float(info["smooth"]), "last": last})
    return points


def _parts(state) -> tuple:
    if state is None:
        return ()
    return tuple(state) if isinstance(state, tuple) else (state,)


def _join(parts: list):
    if not parts:
        return None
    return tuple(parts) if len(parts) > 1 else parts[0]


# ---------------------------------------------------------------------- the data's fingerprint
def data_digest(spec) -> str | None:
    """SHA-256 of the file a ``{"kind": "file"}`` spec names; None for samples, tasks, or a file
    that cannot be read (loading it will then say why)."""
    if not isinstance(spec, dict) or spec.get("kind") != "file" or not isinstance(spec.get("path"), str):
        return None
    try:
        path = os.path.realpath(spec["path"])
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            return None
        key = (path, info.st_size, info.st_mtime_ns)
        if key not in _digests:
            digest = hashlib.sha256()
            with open(Path(path), "rb") as stream:
                while chunk := stream.read(HASH_CHUNK):
                    digest.update(chunk)
            _digests[key] = digest.hexdigest()
        return _digests[key]
    except OSError:
        return None
