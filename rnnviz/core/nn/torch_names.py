"""PyTorch state_dict names and shapes <-> an rnnviz network: what a weights file holds.

rnnviz's parameters already carry PyTorch's names (``weight_ih_l0``, ... and ``out.weight``),
so a network moves by renaming only. What this file knows is how to read a state_dict of
``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (one direction or both) plus an ``nn.Linear`` readout and
tell, from names and shapes alone, the cell, the sizes, the number of layers, the directions and
where the readout is: the ``Layout``. Everything it cannot place is refused with the tensor's name and what was
expected, because a network shown without one of its parts would be a different network.

The documented layout is that of the module in the README: the recurrent module under
``rnn.``, the readout under ``out.``. Other names are found when there is only one way to
read them (a single ``*weight_ih_l0``, a single 2-D ``*.weight`` that fits the hidden size);
otherwise ``prefix`` / ``readout`` say which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rnnviz.core.errors import WeightsError

RECURRENT_PREFIX = "rnn."  # the README's module: self.rnn = nn.RNN/nn.LSTM/nn.GRU(...)
READOUT_PREFIX = "out."  # ... and self.out = nn.Linear(hidden_size, output_size)
KINDS = {1: "nn.RNN", 3: "nn.GRU", 4: "nn.LSTM"}  # gate blocks stacked in W_hh -> the module
CELL_OF_GATES = {3: "gru", 4: "lstm"}  # one block: tanh, relu (or rnnviz's linear), chosen by the user
VANILLA = ("tanh", "relu", "linear")
LAYER_NAMES = ("weight_ih_l{k}", "weight_hh_l{k}", "bias_ih_l{k}", "bias_hh_l{k}")
SHOWN = 6  # names listed in an error before "..."


@dataclass(frozen=True)
class Layout:
    """What a state_dict holds, inferred from its names and shapes."""

    gates: int  # 1 (nn.RNN), 3 (nn.GRU), 4 (nn.LSTM)
    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool  # the recurrent module was built with bias=True
    prefix: str  # "rnn.", "" for a bare module, ...
    readout: str | None  # "out.", ... or None when the file has no readout
    output_size: int | None  # rows of the readout's weight, None without a readout
    readout_bias: bool  # the readout has a bias (nn.Linear(bias=True))
    bidirectional: bool = False  # a second stack reads backward: names end in _reverse, outputs 2H wide

    @property
    def width(self) -> int:
        """What a layer hands up and the readout reads: H, or [forward, backward] = 2H."""
        return self.hidden_size * len(directions(self.bidirectional))

    @property
    def module(self) -> str:
        return KINDS[self.gates]

    def file_names(self) -> dict[str, str]:
        """rnnviz parameter name -> the name in the file, for every tensor the file holds."""
        names = {}
        for k in range(self.num_layers):
            for suffix in directions(self.bidirectional):
                for pattern in LAYER_NAMES if self.bias else LAYER_NAMES[:2]:
                    names[pattern.format(k=k) + suffix] = self.prefix + pattern.format(k=k) + suffix
        if self.readout is not None:
            names["out.weight"] = self.readout + "weight"
            if self.readout_bias:
                names["out.bias"] = self.readout + "bias"
        return names

    def describe(self, cell: str) -> str:
        """One line for people: module, sizes, where things are."""
        nonlinearity = f", nonlinearity={cell}" if self.gates == 1 else ""
        where = f"under '{self.prefix}'" if self.prefix else "without a prefix"
        readout = (f"readout '{self.readout}' ({self.width} -> {self.output_size}"
                   f"{'' if self.readout_bias else ', no bias'})" if self.readout is not None else "no readout")
        return (f"{self.module}(input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"num_layers={self.num_layers}{nonlinearity}{'' if self.bias else ', bias=False'}"
                f"{', bidirectional=True' if self.bidirectional else ''}) "
                f"{where}, {readout}")


def torch_name(name: str, prefix: str = RECURRENT_PREFIX, readout: str = READOUT_PREFIX) -> str:
    """The README module's state_dict name of an rnnviz parameter: rnn.weight_ih_l0, out.weight, ..."""
    return readout + name[len("out."):] if name.startswith("out.") else prefix + name


def cell_for(layout: Layout, cell: str | None) -> str:
    """The rnnviz cell: fixed by the gate count, except nn.RNN's nonlinearity (default tanh),
    which weights cannot tell and the user chooses."""
    if layout.gates in CELL_OF_GATES:
        fixed = CELL_OF_GATES[layout.gates]
        if cell not in (None, fixed):
            raise WeightsError(f"the file holds an {layout.module} ({layout.gates} gate blocks in "
                               f"{layout.prefix}weight_hh_l0); cell {cell!r} does not fit it: use {fixed}")
        return fixed
    if cell is None:
        return "tanh"
    if cell not in VANILLA:
        raise WeightsError(f"the file holds an nn.RNN (one block in {layout.prefix}weight_hh_l0); cell {cell!r} "
                           f"does not fit it: use tanh or relu (PyTorch's nonlinearity; the weights cannot "
                           f"tell which)")
    return cell


# ---------------------------------------------------------------------- inference
def directions(bidirectional: bool) -> tuple[str, ...]:
    """Parameter-name suffixes of the directions: PyTorch's "" and "_reverse"."""
    return ("", "_reverse") if bidirectional else ("",)


def infer_layout(shapes: dict[str, tuple], prefix: str | None = None, readout: str | None = None) -> Layout:
    """The Layout of a state_dict given as {name: shape}; WeightsError naming the tensor otherwise."""
    prefix = _recurrent_prefix(shapes, prefix)
    _refuse_projection(shapes, prefix)
    bidirectional = prefix + "weight_ih_l0_reverse" in shapes
    hh0 = _need(shapes, prefix + "weight_hh_l0", "(G*H, H)")
    if len(hh0) != 2 or hh0[1] < 1 or hh0[0] % hh0[1] or hh0[0] // hh0[1] not in KINDS:
        raise WeightsError(f"tensor {prefix}weight_hh_l0 has shape {_shape(hh0)}; expected (G*H, H) with G "
                           f"gate blocks: 1 (nn.RNN), 3 (nn.GRU) or 4 (nn.LSTM)")
    hidden = hh0[1]
    gates = hh0[0] // hidden
    ih0 = _need(shapes, prefix + "weight_ih_l0", f"({gates * hidden}, input_size)")
    if len(ih0) != 2 or ih0[0] != gates * hidden or ih0[1] < 1:
        raise WeightsError(f"tensor {prefix}weight_ih_l0 has shape {_shape(ih0)}; expected "
                           f"({gates * hidden}, input_size) to match {prefix}weight_hh_l0 {_shape(hh0)}")
    layers = 1
    while prefix + f"weight_ih_l{layers}" in shapes or prefix + f"weight_hh_l{layers}" in shapes:
        layers += 1
    bias = prefix + "bias_ih_l0" in shapes or prefix + "bias_hh_l0" in shapes
    used = _check_layers(shapes, prefix, gates, hidden, ih0[1], layers, bias, bidirectional)
    rest = {n: s for n, s in shapes.items() if n not in used}
    width = hidden * len(directions(bidirectional))
    readout, output_size, readout_bias = _readout(rest, readout, width)
    if readout is not None:
        used |= {readout + "weight"} | ({readout + "bias"} if readout_bias else set())
    leftover = sorted(n for n in shapes if n not in used)
    if leftover:
        name = leftover[0]
        raise WeightsError(f"unexpected tensor {name} {_shape(shapes[name])}"
                           + (f" (and {len(leftover) - 1} more)" if len(leftover) > 1 else "")
                           + f": an rnnviz network is one {KINDS[gates]} ({prefix}weight_ih_l0 ... "
                           f"{prefix}bias_hh_l{layers - 1}) and one nn.Linear readout; other modules "
                           f"(an embedding, a second network) cannot be shown faithfully")
    return Layout(gates=gates, input_size=ih0[1], hidden_size=hidden, num_layers=layers, bias=bias,
                  prefix=prefix, readout=readout, output_size=output_size, readout_bias=readout_bias,
                  bidirectional=bidirectional)


def _check_layers(shapes: dict, prefix: str, gates: int, hidden: int, inputs: int, layers: int,
                  bias: bool, bidirectional: bool) -> set[str]:
    """Every layer's tensors (each direction's) are there with PyTorch's shapes; returns their names."""
    rows = gates * hidden
    below = hidden * len(directions(bidirectional))  # what layer k >= 1 reads
    used = set()
    for k, suffix in ((k, suffix) for k in range(layers) for suffix in directions(bidirectional)):
        expected = {f"weight_ih_l{k}{suffix}": (rows, inputs if k == 0 else below),
                    f"weight_hh_l{k}{suffix}": (rows, hidden)}
        if bias:
            expected.update({f"bias_ih_l{k}{suffix}": (rows,), f"bias_hh_l{k}{suffix}": (rows,)})
        for name, shape in expected.items():
            found = _need(shapes, prefix + name, _shape(shape))
            if tuple(found) != shape:
                raise WeightsError(f"tensor {prefix}{name} has shape {_shape(found)}; expected {_shape(shape)} "
                                   f"({KINDS[gates]}, hidden_size={hidden}, layer {k})")
            used.add(prefix + name)
    if not bias:
        stray = sorted(n for n in shapes if re.fullmatch(re.escape(prefix) + r"bias_(ih|hh)_l\d+(_reverse)?", n))
        if stray:
            raise WeightsError(f"tensor {stray[0]} is present but {prefix}bias_ih_l0 / bias_hh_l0 are not: "
                               f"either every layer has both biases or none has")
    return used


def _recurrent_prefix(shapes: dict, prefix: str | None) -> str:
    if prefix is not None:
        prefix = _as_prefix(prefix)
        if prefix + "weight_ih_l0" not in shapes:
            found = recurrent_prefixes(shapes)
            hint = (f"; the file's recurrent module is under {', '.join(repr(p) for p in found)}" if found
                    else f"; the file holds {_listing(shapes)}")
            raise WeightsError(f"no tensor {prefix}weight_ih_l0 (prefix {prefix!r}){hint}")
        return prefix
    found = recurrent_prefixes(shapes)
    if not found:
        raise WeightsError(f"no recurrent layer found: expected a tensor named like {RECURRENT_PREFIX}weight_ih_l0 "
                           f"(an nn.RNN, nn.LSTM or nn.GRU state_dict); the file holds {_listing(shapes)}")
    if len(found) > 1:
        if RECURRENT_PREFIX in found:
            return RECURRENT_PREFIX
        raise WeightsError(f"the file holds {len(found)} recurrent modules ({', '.join(repr(p) for p in found)}); "
                           f"choose one with --prefix")
    return found[0]


def recurrent_prefixes(shapes: dict) -> list[str]:
    """Every prefix under which the file has a ``weight_ih_l0``: the recurrent modules it holds."""
    heads = (name[:-len("weight_ih_l0")] for name in shapes if name.endswith("weight_ih_l0"))
    return sorted({head for head in heads if head == "" or head.endswith(".")})  # module names end in "."


def readout_candidates(shapes: dict, prefix: str) -> list[str]:
    """Prefixes of the 2-D ``*.weight`` tensors outside the recurrent module: possible readouts."""
    return sorted({n[:-len("weight")] for n, s in shapes.items()
                   if n.endswith(".weight") and len(s) == 2 and not n.startswith(prefix + "weight_")})


def _refuse_projection(shapes: dict, prefix: str) -> None:
    """An nn.LSTM with proj_size has weight_hr_l{k}: refused by name, before its shapes mislead."""
    for name in sorted(shapes):
        if name.startswith(prefix) and re.fullmatch(r"weight_hr_l\d+(_reverse)?", name[len(prefix):]):
            raise WeightsError(f"tensor {name} {_shape(shapes[name])} is the projection of an nn.LSTM built with "
                               f"proj_size; rnnviz's LSTM has no projection (use proj_size=0)")


def _readout(rest: dict, readout: str | None, width: int) -> tuple[str | None, int | None, bool]:
    """(prefix, output_size, has_bias) of the nn.Linear readout among the tensors left."""
    if readout is None:
        candidates = [n[:-len("weight")] for n, s in rest.items()
                      if n.endswith(".weight") and len(s) == 2 and s[1] == width]
        if READOUT_PREFIX + "weight" in rest:  # the documented name: its shape is then checked below
            readout = READOUT_PREFIX
        elif len(candidates) == 1:
            readout = candidates[0]
        elif len(candidates) > 1:
            raise WeightsError(f"{len(candidates)} tensors could be the readout ("
                               f"{', '.join(c + 'weight' for c in sorted(candidates))}); choose one with --readout")
        else:
            return None, None, False
    readout = _as_prefix(readout)
    weight = readout + "weight"
    if weight not in rest:
        raise WeightsError(f"no tensor {weight} (readout {readout!r}); the tensors besides the recurrent ones "
                           f"are {_listing(rest) if rest else 'none'}")
    shape = rest[weight]
    if len(shape) != 2 or shape[1] != width or shape[0] < 1:
        raise WeightsError(f"tensor {weight} has shape {_shape(shape)}; expected (output_size, {width}): an "
                           f"nn.Linear({width}, output_size) reading the top layer's output")
    bias = readout + "bias"
    if bias in rest and tuple(rest[bias]) != (shape[0],):
        raise WeightsError(f"tensor {bias} has shape {_shape(rest[bias])}; expected ({shape[0]},) to match "
                           f"{weight} {_shape(shape)}")
    return readout, shape[0], bias in rest


def _as_prefix(text: str) -> str:
    text = str(text).strip()
    return text if not text or text.endswith(".") else text + "."


def _need(shapes: dict, name: str, expected: str) -> tuple:
    if name not in shapes:
        raise WeightsError(f"tensor {name} is missing; expected shape {expected}")
    return tuple(shapes[name])


def _shape(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _listing(shapes: dict) -> str:
    names = sorted(shapes)
    shown = ", ".join(names[:SHOWN]) + (f", ... ({len(names)} tensors)" if len(names) > SHOWN else "")
    return shown or "no tensors"
