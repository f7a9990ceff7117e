"""Your PyTorch network in rnnviz, and rnnviz's network in PyTorch.

Practitioners train their recurrent networks in PyTorch; this is how they see *their*
network's gradient chain, spectrum and gates. ``read_weights`` turns a checked weights file
(``weight_files``) into rnnviz parameters by the names and shapes ``torch_names`` reads;
``write_weights`` writes rnnviz's parameters as the state_dict of the README's module:

    class Net(nn.Module):                      # the module rnnviz's weights load into
        rnn = nn.RNN | nn.LSTM | nn.GRU (input_size, hidden_size, num_layers[, nonlinearity, bidirectional])
        out = nn.Linear(hidden_size * directions, output_size)

Nothing here needs PyTorch: safetensors has a numpy API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnviz import __version__
from rnnviz.core.config import ModelConfig
from rnnviz.core.errors import WeightsError
from rnnviz.core.nn import torch_names
from rnnviz.core.nn.torch_names import Layout, cell_for, directions, infer_layout
from rnnviz.core.nn.weight_files import FLOATS, WeightsFile, check_float, open_weights, write_safetensors

FORMAT = "rnnviz-weights"  # in the safetensors metadata of the files rnnviz writes
FILE_DTYPES = {"F64": "float64", "F32": "float32"}


@dataclass
class ImportedWeights:
    """A weights file read as an rnnviz network: what it holds, and the parameters."""

    path: Path
    layout: Layout
    cell: str  # the rnnviz cell: lstm, gru, or tanh / relu as chosen (the weights cannot tell)
    cell_chosen: bool  # True when the nn.RNN nonlinearity came from the caller or the file's metadata
    params: dict[str, np.ndarray]  # rnnviz names (no readout entries when the file has none), in dtype
    dtype: str  # the network's dtype in rnnviz
    file_dtype: str  # the widest float dtype in the file
    warnings: list[str] = field(default_factory=list)

    def model_settings(self) -> dict:
        """ModelConfig fields the weights fix (the data fixes output_size when there is no readout)."""
        settings = dict(cell=self.cell, input_size=self.layout.input_size, hidden_size=self.layout.hidden_size,
                        num_layers=self.layout.num_layers, dtype=self.dtype)
        if self.layout.output_size is not None:
            settings["output_size"] = self.layout.output_size
        if self.layout.bidirectional:
            settings["bidirectional"] = True
        return settings

    def summary(self, how_to_choose: str = "") -> str:
        """One line for the confirmation: what was read, and how the nonlinearity was decided
        (``how_to_choose``, e.g. "--cell relu if it was trained with ReLU", is added to that)."""
        line = f"{self.path.name}: {self.layout.describe(self.cell)}"
        if self.layout.gates == 1 and not self.cell_chosen:
            hint = f"; {how_to_choose}" if how_to_choose else ""
            line += f" (tanh by default: the weights cannot tell tanh from relu{hint})"
        if self.file_dtype != self.dtype:
            line += f"; {self.file_dtype} in the file, {self.dtype} here"
        return line


def read_weights(path, prefix: str | None = None, readout: str | None = None, cell: str | None = None,
                 dtype: str = "float64") -> ImportedWeights:
    """The network in ``path`` (.safetensors, or .pt/.pth with PyTorch installed; or a WeightsFile
    already opened). Raises WeightsError naming the tensor and what was expected; no tensor is
    read before every check has passed."""
    if dtype not in ("float64", "float32"):
        raise WeightsError(f"dtype must be float64 or float32, got {dtype!r}")
    weights = path if isinstance(path, WeightsFile) else open_weights(path)
    layout, rnnviz_cell, chosen, warnings = preview(weights, prefix, readout, cell)
    names = layout.file_names()  # rnnviz name -> file name
    file_dtypes = {weights.tensors[n].dtype for n in names.values()}
    params = {}
    for ours, theirs in names.items():  # one tensor at a time: at most one copy beside the params
        value = np.ascontiguousarray(weights.load([theirs])[theirs], dtype=dtype)
        if not np.isfinite(value).all():
            raise WeightsError(f"tensor {theirs} holds NaN or Inf values; expected finite weights")
        params[ours] = value
    if not layout.bias:
        rows = layout.gates * layout.hidden_size
        for k, suffix in ((k, s) for k in range(layout.num_layers) for s in directions(layout.bidirectional)):
            params[f"bias_ih_l{k}{suffix}"] = np.zeros(rows, dtype=dtype)
            params[f"bias_hh_l{k}{suffix}"] = np.zeros(rows, dtype=dtype)
    if layout.readout is not None and not layout.readout_bias:
        params["out.bias"] = np.zeros(layout.output_size, dtype=dtype)
    file_dtype = "float64" if "F64" in file_dtypes else FILE_DTYPES[next(iter(file_dtypes & set(FLOATS)))]
    return ImportedWeights(path=weights.path, layout=layout, cell=rnnviz_cell, cell_chosen=chosen,
                           params=params, dtype=dtype, file_dtype=file_dtype, warnings=warnings)


def preview(weights: WeightsFile, prefix: str | None = None, readout: str | None = None,
            cell: str | None = None) -> tuple[Layout, str, bool, list[str]]:
    """(layout, cell, cell chosen?, warnings) of a checked file, from its header alone: every name,
    shape, dtype and size is checked here, so a dialog can show it before any tensor is read."""
    layout = infer_layout(weights.shapes, prefix, readout)
    saved_cell = weights.metadata.get("cell") if weights.metadata.get("format") == FORMAT else None
    chosen = cell if cell is not None else (saved_cell if saved_cell in torch_names.VANILLA else None)
    rnnviz_cell = cell_for(layout, chosen)
    for name in layout.file_names().values():
        check_float(weights.tensors[name])
    try:
        ModelConfig(cell=rnnviz_cell, input_size=layout.input_size, hidden_size=layout.hidden_size,
                    num_layers=layout.num_layers, output_size=layout.output_size or 1,
                    bidirectional=layout.bidirectional)
    except ValueError as exc:
        raise WeightsError(f"{weights.path.name}: {layout.module} with {exc}") from None
    return layout, rnnviz_cell, chosen is not None, layout_warnings(layout)


def layout_warnings(layout: Layout) -> list[str]:
    """What is allowed but changes what the user sees: missing biases, a missing readout."""
    warnings = []
    if not layout.bias:
        warnings.append("the recurrent module has no biases (bias=False): rnnviz's cells have them; they start "
                        "at zero, so the network computes the same, and training will move them")
    if layout.readout is None:
        warnings.append("no readout in the file (no nn.Linear reading the hidden state): rnnviz starts a fresh "
                        "readout out.weight, out.bias from the seed; the loss is not the original model's")
    elif not layout.readout_bias:
        warnings.append(f"the readout {layout.readout} has no bias: rnnviz's starts at zero and is trained")
    return warnings


def to_state_dict(config: ModelConfig, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """rnnviz parameters under the README module's state_dict names (rnn.*, out.*)."""
    if config.cell == "linear":
        raise WeightsError("a linear-cell network has no PyTorch module to load into (nn.RNN's nonlinearity "
                           "is tanh or relu); export weights of a tanh, relu, lstm or gru network")
    return {torch_names.torch_name(name): np.ascontiguousarray(value) for name, value in params.items()}


def metadata_for(config: ModelConfig) -> dict[str, str]:
    """What the README's module needs to be rebuilt, as safetensors metadata (strings only)."""
    module = {"lstm": "nn.LSTM", "gru": "nn.GRU"}.get(config.cell, "nn.RNN")
    return {"format": FORMAT, "rnnviz_version": __version__, "module": module, "cell": config.cell,
            "input_size": str(config.input_size), "hidden_size": str(config.hidden_size),
            "num_layers": str(config.num_layers), "output_size": str(config.output_size), "dtype": config.dtype,
            "bidirectional": str(config.bidirectional).lower()}


def write_weights(path, config: ModelConfig, params: dict[str, np.ndarray]) -> Path:
    """Write the network as safetensors, loadable with ``model.load_state_dict(load_file(path))``."""
    path = Path(path)
    if path.is_dir():
        raise WeightsError(f"cannot write weights to {path}: it is a folder; give a file name such as "
                           f"{path / 'model.safetensors'}")
    if not path.parent.is_dir():
        raise WeightsError(f"cannot write weights to {path}: the folder {path.parent} does not exist")
    return write_safetensors(path, to_state_dict(config, params), metadata_for(config))
