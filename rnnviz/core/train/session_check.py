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
from rnnviz.core.errors import SessionError
from rnnviz.core.train.session_fields import MAX_BATCH, MAX_STEPS_PER_WINDOW

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
        raise SessionError(f"{path} is {_special_kind(info.st_mode)}, not a session file (.npz)")
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


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


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


# ------------------------------------------------------------------ the arrays a session must hold
@dataclass(frozen=True)
class Expect:
    """What one member must be: dtypes by name, and either an exact shape or a rule."""

    dtypes: tuple[str, ...]
    shape: tuple | None = None
    rule: object = None  # callable(shape) -> bool when shape is None
    described: str = ""

    def accepts(self, shape: tuple, dtype: np.dtype) -> bool:
        if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None:
            return False
        if not any(dtype == np.dtype(name) for name in self.dtypes):
            return False
        return shape == self.shape if self.shape is not None else bool(self.rule(shape))

    def describe(self) -> str:
        return f"{self.described or self.shape} of {'/'.join(self.dtypes)}"


def expected_members(metadata: dict, present, file_size: int) -> dict[str, Expect]:
    """Every array the checked metadata implies, by member name (without ``.npy``). A last
    batch is optional (a run saved before its first step has none): its members are expected
    when ``present`` (the member names) holds its inputs."""
    model = ModelConfig.from_dict(metadata["model_config"])
    train = TrainConfig.from_dict(metadata["train_config"])
    shapes = network_shapes(model, file_size)
    expected = _network_members("", model, metadata["optimizer"], shapes)
    expected.update(_state_members("carry", model, metadata["carry_parts"], train.batch_size))
    expected.update(_history_members(train))
    if "last/inputs" in present:
        expected.update(_last_members("last", model, metadata["last_h0_parts"]))
    for k, point in enumerate(metadata.get("rollback") or ()):
        prefix = f"rollback/{k}/"
        expected.update(_network_members(prefix, model, point["optimizer"], shapes))
        expected.update(_state_members(f"{prefix}carry", model, point["carry_parts"], None))
        if f"{prefix}last/inputs" in present:
            expected.update(_last_members(f"{prefix}last", model, point["last_h0_parts"]))
    return expected


def plain_stack(model: ModelConfig) -> bool:
    """One unidirectional stack: the shape whose arrays are known here exactly without building it."""
    return getattr(model, "arch", "stack") == "stack" and not getattr(model, "bidirectional", False)


def network_shapes(model: ModelConfig, file_size: int) -> dict[str, tuple]:
    """The parameters' shapes of the network ``model`` describes. A single stack's are computed;
    the other shapes (bidirectional, encoder-decoder, vector-to-sequence) are built, but only
    when an upper bound of their size fits what the file could hold: a small file cannot make
    rnnviz allocate a large network."""
    if plain_stack(model):
        return param_shapes(model)
    widest = max(model.hidden_size, getattr(model, "decoder_hidden_size", None) or 0)
    per_layer = 4 * widest * (model.input_size + 3 * widest + 2)  # any cell, any fan-in it can have
    bound = (2 * model.num_layers * per_layer + widest * (max(model.input_size, widest) + 1)
             + model.output_size * (2 * widest + 1)) * np.dtype(model.dtype).itemsize
    if bound > 8 * file_size + (64 << 20):
        raise SessionError(f"the session's settings describe a network of up to {bound / 2**20:,.0f} MiB, "
                           f"far more than its {file_size:,}-byte file can hold: it is damaged or was altered")
    from rnnviz.core.nn.shapes import make_model

    return {name: tuple(value.shape) for name, value in make_model(model).params.items()}


def param_shapes(model: ModelConfig) -> dict[str, tuple]:
    """The shapes ``RNN(model).params`` will have, without building it."""
    from rnnviz.core.nn.cells import make_cell

    gh = make_cell(model.cell).gates * model.hidden_size
    shapes = {}
    for layer in range(model.num_layers):
        fan_in = model.input_size if layer == 0 else model.hidden_size
        shapes[f"weight_ih_l{layer}"] = (gh, fan_in)
        shapes[f"weight_hh_l{layer}"] = (gh, model.hidden_size)
        shapes[f"bias_ih_l{layer}"] = (gh,)
        shapes[f"bias_hh_l{layer}"] = (gh,)
    shapes["out.weight"] = (model.output_size, model.hidden_size)
    shapes["out.bias"] = (model.output_size,)
    return shapes


def _network_members(prefix: str, model: ModelConfig, optimizer: str, shapes: dict[str, tuple]) -> dict:
    from rnnviz.core.nn.optim import Optimizer

    dtype = (model.dtype,)
    members = {f"{prefix}param/{name}": Expect(dtype, shape) for name, shape in shapes.items()}
    for slot in Optimizer(optimizer, {}).slots:
        members.update({f"{prefix}optim/{slot}/{name}": Expect(dtype, shape) for name, shape in shapes.items()})
    members[f"{prefix}optim/t"] = Expect(("int64", "int32"), ())
    return members


def _state_members(prefix: str, model: ModelConfig, parts: int, batch: int | None) -> dict:
    """A carried state: ``parts`` arrays (L, B, H), B the batch size when it is known."""
    L, H = model.num_layers, model.hidden_size
    if not plain_stack(model):  # two directions or two stacks: (L or 2L, B, H or the decoder's H)
        widths = {H, getattr(model, "decoder_hidden_size", None) or H}
        rule = lambda s: len(s) == 3 and 1 <= s[0] <= 2 * L and 1 <= s[1] <= MAX_BATCH and s[2] in widths  # noqa: E731
        return {f"{prefix}/{i}": Expect((model.dtype,), None, rule, f"(L, B, H)") for i in range(parts)}
    if batch is not None:
        return {f"{prefix}/{i}": Expect((model.dtype,), (L, batch, H)) for i in range(parts)}
    rule = lambda s: len(s) == 3 and s[0] == L and 1 <= s[1] <= MAX_BATCH and s[2] == H  # noqa: E731
    return {f"{prefix}/{i}": Expect((model.dtype,), None, rule, f"({L}, B, {H})") for i in range(parts)}


def _last_members(prefix: str, model: ModelConfig, h0_parts: int) -> dict:
    """The last batch: token ids (T, B) or floats (T, B, X); targets (T, B) / (B,) ids or
    (T, B, Y) / (B, Y) floats; its h0. Batch sizes agree across them (checked by ``_agree``)."""
    X, Y = model.input_size, model.output_size
    if not plain_stack(model):  # sources, targets and codes of other lengths: the model checks the rest
        top = max(2 * MAX_STEPS_PER_WINDOW, X, Y)
        loose = lambda s: 1 <= len(s) <= 3 and all(1 <= n <= top for n in s)  # noqa: E731
        members = {f"{prefix}/{name}": Expect(("int64", "int32", "float64", "float32"), None, loose, "1 to 3 axes")
                   for name in ("inputs", "targets")}
        members.update(_state_members(f"{prefix}/h0", model, h0_parts, None))
        return members
    window = lambda t, b: 1 <= t <= MAX_STEPS_PER_WINDOW and 1 <= b <= MAX_BATCH  # noqa: E731
    inputs = Expect(("int64", "int32", "float64", "float32"), None,
                    lambda s: (len(s) == 2 and window(*s)) or (len(s) == 3 and window(*s[:2]) and s[2] == X),
                    f"(T, B) or (T, B, {X})")
    targets = Expect(("int64", "int32", "float64", "float32"), None,
                     lambda s: ((len(s) == 2 and window(*s)) or (len(s) == 1 and window(1, s[0]))
                                or (len(s) == 3 and window(*s[:2]) and s[2] == Y)
                                or (len(s) == 2 and window(1, s[0]) and s[1] == Y)),
                     f"(T, B), (B,), (T, B, {Y}) or (B, {Y})")
    members = {f"{prefix}/inputs": inputs, f"{prefix}/targets": targets}
    members.update(_state_members(f"{prefix}/h0", model, h0_parts, None))
    return members


def _history_members(train: TrainConfig) -> dict:
    from rnnviz.core.train.history import SERIES

    points = max(8, train.history_size // 4 * 4)  # Series capacity
    rows = max(4, train.flow_size // 2 * 2)  # ProfileBuffer capacity
    f8 = ("float64",)
    members = {}
    for name in SERIES:
        line = Expect(f8, None, lambda s: len(s) == 1 and s[0] <= points, f"(at most {points},)")
        members.update({f"history/series/{name}/steps": line, f"history/series/{name}/values": line,
                        f"history/series/{name}/meta": Expect(f8, (8,))})
    members["history/flow/steps"] = Expect(f8, None, lambda s: len(s) == 1 and s[0] <= rows, f"(at most {rows},)")
    members["history/flow/rows"] = Expect(
        f8, None, lambda s: len(s) == 2 and s[0] <= rows and s[1] <= MAX_STEPS_PER_WINDOW,
        f"(at most {rows}, at most {MAX_STEPS_PER_WINDOW})")
    members["history/flow/pending"] = Expect(f8, None, lambda s: len(s) == 1 and s[0] <= MAX_STEPS_PER_WINDOW,
                                             f"(at most {MAX_STEPS_PER_WINDOW},)")
    members["history/flow/meta"] = Expect(f8, (4,))
    return members


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
