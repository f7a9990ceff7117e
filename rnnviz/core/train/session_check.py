"""Opening a session file as a hostile file: sizes and headers first, arrays last.

A ``.npz`` is a zip of ``.npy`` members, and a zip can lie: a 2 MB file may declare gigabytes of
zeros, metadata may describe a network far larger than its arrays, an array may have another
shape than the network needs. So a session is opened in this order, and every step can refuse
it with a ``SessionError`` before anything large is read or allocated:

1. the file itself: a regular, readable file (not a folder, a FIFO or a device);
2. the zip's member list: known kinds of members, sizes that fit inside the file (a stored
   member takes its bytes in the file; a compressed one may expand at most ``MAX_EXPANSION``
   times), at most ``MAX_MEMBERS`` of them;
3. the metadata member (at most ``MAX_METADATA_BYTES``), and every field in it, by type and range
   (``session_fields``);
4. every other member's ``.npy`` header (shape and dtype, read from the first bytes of the
   member), against what the metadata's configuration implies: unknown members and wrong
   shapes or dtypes are refused, and each declared size must match the member's size;
5. only then are the arrays read.

The configuration limits are those of ``ModelConfig`` / ``TrainConfig`` (the same the command
line enforces for ``--hidden``, ``--layers``, ``--batch``, ``--seq-len``); ``load_budget``
estimates what building the run will allocate, and a run that could not fit in this
machine's memory is refused before it is built.
"""

from __future__ import annotations

import json
import math
import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.data.textfile import special_kind
from rnnviz.core.errors import SessionError
from rnnviz.core.train.session_fields import MAX_STEPS_PER_WINDOW
from rnnviz.core.train.session_layout import Expect

MAX_MEMBERS = 2048  # a deep LSTM with three roll-back points has about 500
MAX_METADATA_BYTES = 4 << 20  # the JSON is a few kB; 4 MiB of UTF-32 is a million characters
MAX_EXPANSION = 4  # a compressed member may declare at most 4x its compressed bytes (+ 64 KiB)
EXPANSION_SLACK = 64 << 10
MAX_HEADER_BYTES = 10_000  # numpy's own default limit for .npy headers


# ------------------------------------------------------------------ the file and its members
@contextmanager
def open_members(path: Path) -> Iterator[zipfile.ZipFile]:
    """The session's zip, its member list checked against the file's size; closed on exit."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SessionError(f"{path}: no such session file") from None
    except PermissionError:
        raise SessionError(f"cannot read the session {path}: permission denied") from None
    except OSError as exc:
        raise SessionError(f"cannot read the session {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SessionError(f"{path} is a folder, not a session file (.npz)")
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block, /dev/zero never end
        raise SessionError(f"{path} is {special_kind(info.st_mode)}, not a session file (.npz)")
    try:
        stream = open(path, "rb")
    except PermissionError:
        raise SessionError(f"cannot read the session {path}: permission denied") from None
    except OSError as exc:
        raise SessionError(f"cannot read the session {path}: {exc.strerror or exc}") from None
    with stream:
        try:
            archive = zipfile.ZipFile(stream)
            members = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
            raise SessionError(f"{path.name} is not a readable rnnviz session: the file is truncated "
                               f"or is not a session file") from None
        with archive:
            _check_member_sizes(path, members, info.st_size)
            yield archive


def _check_member_sizes(path: Path, members: list, file_size: int) -> None:
    if len(members) > MAX_MEMBERS:
        raise SessionError(f"{path.name} has {len(members)} members, more than a session ever has")
    names = [m.filename for m in members]
    if len(set(names)) != len(names):
        raise SessionError(f"{path.name} has duplicate members: it is damaged")
    stored_total = 0
    for member in members:
        if not member.filename.endswith(".npy"):
            raise SessionError(f"{path.name} has a member {member.filename[:80]!r} that is not an array")
        if member.compress_type == zipfile.ZIP_STORED:
            if member.file_size != member.compress_size:
                raise SessionError(f"{path.name}: member {member.filename[:80]!r} has inconsistent sizes")
        elif member.compress_type == zipfile.ZIP_DEFLATED:
            if member.file_size > MAX_EXPANSION * member.compress_size + EXPANSION_SLACK:
                raise SessionError(f"{path.name}: member {member.filename[:80]!r} would expand from "
                                   f"{member.compress_size:,} to {member.file_size:,} bytes; refused")
        else:
            raise SessionError(f"{path.name}: member {member.filename[:80]!r} uses an unsupported compression")
        stored_total += member.compress_size
    if stored_total > file_size:
        raise SessionError(f"{path.name} declares more data ({stored_total:,} bytes) than the file holds "
                           f"({file_size:,}): it is truncated or damaged")


def read_metadata(path: Path, archive: zipfile.ZipFile) -> dict:
    """The metadata JSON, read through a size limit; SessionError if absent or unreadable."""
    try:
        member = archive.getinfo("metadata.npy")
    except KeyError:
        raise SessionError(f"{path.name} is not an rnnviz session (it has no rnnviz metadata)") from None
    if member.file_size > MAX_METADATA_BYTES:
        raise SessionError(f"{path.name}: its metadata is {member.file_size:,} bytes, far more than a session's")
    try:
        with archive.open(member) as stream:
            shape, dtype = _header(stream)
            if shape != () or dtype.kind != "U":
                raise ValueError("metadata is not a text")
            stream.seek(0)
            text = str(np.lib.format.read_array(stream, allow_pickle=False))
        metadata = json.loads(text)
    except Exception:  # a damaged member, bad JSON, a header of the wrong kind: all unreadable
        raise SessionError(f"{path.name} is not a readable rnnviz session: its metadata is damaged") from None
    if not isinstance(metadata, dict):
        raise SessionError(f"{path.name} is not an rnnviz session (its metadata is of another format)")
    return metadata


def _header(stream) -> tuple[tuple, np.dtype]:
    shape, _, dtype = _header_and_order(stream)
    return shape, dtype


def _header_and_order(stream) -> tuple[tuple, bool, np.dtype]:
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream, max_header_size=MAX_HEADER_BYTES)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream, max_header_size=MAX_HEADER_BYTES)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    return tuple(int(n) for n in shape), bool(fortran), dtype


@dataclass(frozen=True)
class Layout:
    """Where one member's array is: its shape, dtype, memory order and data offset."""

    shape: tuple
    dtype: np.dtype
    fortran: bool
    offset: int


def check_headers(path: Path, archive: zipfile.ZipFile, expected: dict[str, Expect],
                  same_batch: bool = True) -> dict[str, Layout]:
    """Each member's header against ``expected``: no unknown or missing member, shapes and dtypes
    as required, and a declared size that is exactly the member's. Returns name -> Layout."""
    present = {m.filename[:-len(".npy")]: m for m in archive.infolist() if m.filename != "metadata.npy"}
    unknown = sorted(set(present) - set(expected))
    if unknown:
        raise SessionError(f"{path.name} has a member rnnviz does not know: {unknown[0][:80]!r}; "
                           f"it is damaged or was altered")
    shapes = {}
    for name, member in sorted(present.items(), key=lambda item: _order(item[0])):  # params first
        try:
            with archive.open(member) as stream:
                shape, fortran, dtype = _header_and_order(stream)
                offset = stream.tell()
        except Exception:  # a cut-off member, a header that is not a header
            raise SessionError(f"{path.name}: the array {name!r} is damaged") from None
        rule = expected[name]
        if not rule.accepts(shape, dtype):
            raise SessionError(f"{path.name}: the array {name!r} has shape {shape} of {dtype}, but this "
                               f"session's settings need {rule.describe()}")
        if offset + math.prod(shape) * dtype.itemsize != member.file_size:
            raise SessionError(f"{path.name}: the array {name!r} does not have the size its header "
                               f"declares: it is damaged")
        shapes[name] = Layout(shape, dtype, fortran, offset)
    missing = sorted(set(expected) - set(present), key=_order)
    if missing:
        raise SessionError(f"{path.name} lacks the array {missing[0]!r}: it is damaged or truncated")
    plain = {name: layout.shape for name, layout in shapes.items()}
    if not same_batch:
        return shapes
    _agree(path, plain, "last")
    for key in plain:
        if key.startswith("rollback/") and key.endswith("/last/inputs"):
            _agree(path, plain, key[:-len("/inputs")])
    return shapes


def _order(name: str) -> tuple:
    """Members in the order a person reads a refusal best: the network's parameters first."""
    return (not name.startswith("param/"), name)


def _agree(path: Path, shapes: dict, prefix: str) -> None:
    """The last batch's inputs, targets and h0 are one batch: the same B (and T where both have it)."""
    inputs, targets = shapes.get(f"{prefix}/inputs"), shapes.get(f"{prefix}/targets")
    if inputs is None:
        return
    steps, batch = inputs[:2]
    h0 = [s for name, s in shapes.items() if name.startswith(f"{prefix}/h0/")]
    per_step = len(targets) == 3 or (len(targets) == 2 and targets != (batch, targets[-1]))
    target_batch = targets[1] if per_step else targets[0]
    if target_batch != batch or (per_step and targets[0] != steps) or any(s[1] != batch for s in h0):
        raise SessionError(f"{path.name}: the arrays of its last batch ({prefix}) do not fit together")


def read_arrays(path: Path, archive: zipfile.ZipFile, layouts: dict[str, Layout]) -> dict[str, np.ndarray]:
    """The arrays whose headers ``check_headers`` accepted, read into buffers of exactly their
    declared size; a CRC error or a cut-off member is a SessionError."""
    arrays = {}
    for name, layout in layouts.items():
        try:
            with archive.open(f"{name}.npy") as stream:
                stream.read(layout.offset)  # the header, already checked
                buffer = bytearray(math.prod(layout.shape) * layout.dtype.itemsize)
                view, filled = memoryview(buffer), 0
                while filled < len(buffer):
                    count = stream.readinto(view[filled:])
                    if not count:
                        raise EOFError
                    filled += count
                if stream.read(1):
                    raise ValueError("longer than declared")
        except Exception:
            raise SessionError(f"{path.name}: the array {name!r} cannot be read: the file is damaged") from None
        array = np.frombuffer(buffer, dtype=layout.dtype)
        arrays[name] = array.reshape(layout.shape, order="F" if layout.fortran else "C")
    return arrays


def check_history_values(path: Path, arrays: dict) -> None:
    """The history buffers' bookkeeping: a bin of at least one point, an open bin not yet full."""
    metas = [value for name, value in arrays.items() if name.startswith("history/") and name.endswith("/meta")]
    for meta in metas:
        bin_width, pending = float(meta[0]), float(meta[1])
        if not (bin_width.is_integer() and 1 <= bin_width <= 2**52 and pending.is_integer()
                and 0 <= pending < bin_width):
            raise SessionError(f"{path.name}: its training history is damaged (bin {meta[0]!r}, "
                               f"open points {meta[1]!r})")


# ------------------------------------------------------------------ memory
def load_budget(metadata: dict, layouts: dict[str, Layout]) -> int:
    """Bytes that building and resuming this run will allocate, roughly and from above: the
    arrays, the network's parameters, gradients and optimizer state, the history buffers, and
    the trace of the last batch (every layer's states, gates and their gradients)."""
    model = ModelConfig.from_dict(metadata["model_config"])
    train = TrainConfig.from_dict(metadata["train_config"])
    item = np.dtype(model.dtype).itemsize
    shapes = {name: layout.shape for name, layout in layouts.items()}
    stored = sum(math.prod(s) * 8 for s in shapes.values())
    params = sum(math.prod(s) for name, s in shapes.items() if name.startswith("param/")) * item
    from rnnviz.core.nn.cells import make_cell
    from rnnviz.core.train.history import SERIES

    gates = make_cell(model.cell).gates
    history = len(SERIES) * 2 * max(8, train.history_size) * 8 + max(4, train.flow_size) * MAX_STEPS_PER_WINDOW * 8
    steps, batch = (shapes["last/inputs"][:2] if "last/inputs" in shapes
                    else (train.seq_len, train.batch_size))
    trace = steps * batch * model.num_layers * model.hidden_size * item * (4 * gates + 8)
    readout = steps * batch * model.output_size * item * 4
    return stored + 6 * params + history + trace + readout


def memory_limit() -> int | None:
    """This machine's physical memory in bytes, or None where it cannot be told."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
