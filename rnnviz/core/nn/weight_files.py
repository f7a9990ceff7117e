"""Weights files on disk: safetensors (always) and PyTorch's ``.pt``/``.pth`` (when torch is here).

A weights file comes from outside, so it is hostile until checked. For safetensors, the
8-byte header length and the JSON header are read and validated here first (every entry's
dtype, shape and byte range, the ranges tiling the data exactly, the data ending where the
file ends), so that no tensor is read before we know that the file holds exactly what its
header says: memory use is then bounded by the file's size. Only then does the
``safetensors`` library's numpy API read the tensors.

A PyTorch file is a zip archive: its members' sizes are checked against the file's size
(no zip bomb) before ``torch.load(..., weights_only=True)`` reads it, which never unpickles
arbitrary objects. Without torch installed, the message names the safetensors route.

Writing is whole or absent: a temporary file beside the target, flush, fsync, ``os.replace``.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnviz.core import atomic
from rnnviz.core.errors import WeightsError

MAX_HEADER_BYTES = 1 << 20  # an 8-layer LSTM's header is ~4 KB; anything near a megabyte is not ours
MAX_DIMS = 8
# safetensors dtype -> bytes per element (the format's full list, so any valid file is understood)
ITEM_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1,
              "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1,
              "C64": 8}
FLOATS = {"F64": np.float64, "F32": np.float32}  # what rnnviz reads; float32 widens exactly
HALF = ("F16", "BF16", "F8_E4M3", "F8_E5M2")
TORCH_SUFFIXES = (".pt", ".pth", ".bin")
SAFETENSORS_ROUTE = ("in PyTorch, save it with safetensors.torch.save_file(model.state_dict(), "
                     "'model.safetensors') and open that file")


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as a file's header describes it, before any data is read."""

    name: str
    dtype: str  # safetensors spelling: "F64", "F32", "F16", "I64", ...
    shape: tuple[int, ...]


class WeightsFile:
    """A checked weights file: names, dtypes and shapes now; the arrays on ``load``."""

    def __init__(self, path: Path, tensors: dict[str, TensorInfo], loader, metadata: dict | None = None) -> None:
        self.path = path
        self.tensors = tensors  # name -> TensorInfo, in the file's order
        self.metadata = dict(metadata or {})  # safetensors' __metadata__ (str -> str); {} for PyTorch files
        self._loader = loader  # names -> {name: np.ndarray}

    @property
    def shapes(self) -> dict[str, tuple]:
        return {name: info.shape for name, info in self.tensors.items()}

    def load(self, names) -> dict[str, np.ndarray]:
        """The named tensors as numpy arrays (float32 or float64: dtypes are checked first)."""
        for name in names:
            check_float(self.tensors[name])
        return self._loader(list(names))


def check_float(info: TensorInfo) -> None:
    """Refuse a tensor rnnviz cannot compute with exactly, naming it."""
    if info.dtype in FLOATS:
        return
    if info.dtype in HALF:
        raise WeightsError(f"tensor {info.name} is half precision ({info.dtype}); rnnviz reads float32 or "
                           f"float64 weights (vanishing gradients need the range): in PyTorch, call "
                           f"model.float() or model.double() before saving")
    raise WeightsError(f"tensor {info.name} has dtype {info.dtype}, not a float; a network's weights "
                       f"are float32 or float64")


def open_weights(path) -> WeightsFile:
    """The weights file at ``path``, checked: safetensors, or a PyTorch zip (``.pt``/``.pth``)."""
    path = Path(path)
    if path.is_dir():
        raise WeightsError(f"{path} is a folder, not a weights file (.safetensors, .pt or .pth)")
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        with open(path, "rb") as stream:
            magic = stream.read(4)
    except OSError as exc:
        raise WeightsError(f"cannot read {path}: {exc.strerror or exc}") from None
    if magic == b"PK\x03\x04" or path.suffix.lower() in TORCH_SUFFIXES:
        return _open_torch(path)
    return _open_safetensors(path)


# ---------------------------------------------------------------------- safetensors
def read_header(path: Path) -> tuple[dict[str, TensorInfo], dict]:
    """(tensors, metadata) from a safetensors header, every field checked against the file."""
    size = path.stat().st_size
    name = path.name
    if size < 8:
        raise WeightsError(f"{name} is not a safetensors file: it has {size} bytes, fewer than the "
                           f"8-byte header length")
    with open(path, "rb") as stream:
        (length,) = struct.unpack("<Q", stream.read(8))
        if length > MAX_HEADER_BYTES:
            raise WeightsError(f"{name} is not a safetensors file of a recurrent network: its header "
                               f"claims {length:,} bytes, more than the {MAX_HEADER_BYTES:,} allowed")
        if 8 + length > size:
            raise WeightsError(f"{name} is not a safetensors file, or is truncated: its header claims "
                               f"{length:,} bytes but the file has {size - 8:,} after the length")
        raw = stream.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WeightsError(f"{name} is not a safetensors file: its header is not JSON") from None
    if not isinstance(header, dict):
        raise WeightsError(f"{name} is not a safetensors file: its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise WeightsError(f"{name}: the header's __metadata__ must map names to strings")
    tensors, ranges = {}, []
    for key, entry in header.items():
        info, begin, end = _entry(name, key, entry)
        tensors[key] = info
        ranges.append((begin, end, key))
    data_bytes = size - 8 - length
    position = 0
    for begin, end, key in sorted(ranges):
        if begin != position:
            raise WeightsError(f"{name}: tensor {key} starts at byte {begin} of the data, expected {position} "
                               f"(tensors must tile the data without gaps or overlaps)")
        position = end
    if position != data_bytes:
        raise WeightsError(f"{name}: the tensors cover {position:,} bytes of data but the file holds "
                           f"{data_bytes:,} (truncated, or extra bytes at the end)")
    return tensors, metadata


def _entry(file_name: str, key: str, entry) -> tuple[TensorInfo, int, int]:
    where = f"{file_name}: tensor {key}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise WeightsError(f"{where}: expected an entry with dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in ITEM_BYTES:
        raise WeightsError(f"{where} has an unknown dtype {dtype!r}")
    if (not isinstance(shape, list) or len(shape) > MAX_DIMS
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
        raise WeightsError(f"{where}: shape must be a list of at most {MAX_DIMS} non-negative integers, "
                           f"got {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)
            or offsets[0] > offsets[1]):
        raise WeightsError(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end, got {offsets!r}")
    expected = math.prod(shape) * ITEM_BYTES[dtype]
    if offsets[1] - offsets[0] != expected:
        raise WeightsError(f"{where}: shape {tuple(shape)} of {dtype} needs {expected:,} bytes, but its "
                           f"data_offsets span {offsets[1] - offsets[0]:,}")
    return TensorInfo(key, dtype, tuple(shape)), offsets[0], offsets[1]


def _open_safetensors(path: Path) -> WeightsFile:
    tensors, metadata = read_header(path)

    def load(names):
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="numpy") as handle:
                return {name: handle.get_tensor(name) for name in names}
        except Exception as exc:  # noqa: BLE001 - the file changed since its header was checked
            raise WeightsError(f"{path.name}: could not read its tensors: {exc}") from None

    return WeightsFile(path, tensors, load, metadata)


def write_safetensors(path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> Path:
    """Write ``tensors`` as safetensors at ``path``, whole or not at all."""
    from safetensors.numpy import save

    data = save({name: np.ascontiguousarray(value) for name, value in tensors.items()}, metadata=metadata)
    return write_bytes(path, data)


def write_bytes(path, data: bytes) -> Path:
    """``data`` into ``path``, whole or not at all (rnnviz.core.atomic); a failure is a WeightsError."""
    return atomic.write_bytes(path, data, error=WeightsError)


# ---------------------------------------------------------------------- PyTorch
TORCH_DTYPES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
                "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}


def _open_torch(path: Path) -> WeightsFile:
    try:
        import torch
    except ImportError:
        raise WeightsError(f"{path.name} is a PyTorch file; reading it needs PyTorch, which is not "
                           f"installed. Without it: {SAFETENSORS_ROUTE}") from None
    _check_zip(path)
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - weights_only refuses anything but tensors and containers
        first = " ".join(str(exc).split())[:200]
        raise WeightsError(f"{path.name} is not a PyTorch state_dict that can be read safely "
                           f"(weights_only=True): {first}") from None
    state = _state_dict(path.name, loaded, torch)
    tensors, arrays = {}, {}
    for name, tensor in state.items():
        dtype = TORCH_DTYPES.get(str(tensor.dtype).removeprefix("torch."), str(tensor.dtype))
        tensors[name] = TensorInfo(name, dtype, tuple(tensor.shape))
        arrays[name] = tensor
    return WeightsFile(path, tensors, lambda names: {n: arrays[n].detach().cpu().numpy().copy() for n in names})


def _check_zip(path: Path) -> None:
    """A PyTorch file is a zip whose members are stored: their sizes must fit the file's."""
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise WeightsError(f"{path.name} is neither a safetensors file nor a PyTorch zip archive "
                           f"(torch.save's format since PyTorch 1.6)") from None
    if unpacked > size:  # stored members never unpack to more than the archive holds
        raise WeightsError(f"{path.name}: its zip members unpack to {unpacked:,} bytes from a file of "
                           f"{size:,}; torch.save stores tensors uncompressed, so this is not its state_dict")


def _state_dict(name: str, loaded, torch) -> dict:
    """The dict of tensors in a loaded file: a state_dict, or one under 'state_dict' / 'model'."""
    def is_state(value):
        return isinstance(value, dict) and value and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())

    if is_state(loaded):
        return dict(loaded)
    if isinstance(loaded, dict):
        for key in ("state_dict", "model", "model_state_dict"):
            if is_state(loaded.get(key)):
                return dict(loaded[key])
    raise WeightsError(f"{name} does not hold a state_dict (a dict of tensor names to tensors); save "
                       f"one with torch.save(model.state_dict(), '{name}')")
