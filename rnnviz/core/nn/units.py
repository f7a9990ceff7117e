"""The hidden units of a network of any shape: how they are numbered, named, and read.

A unit is ``(layer, unit)``: ``unit`` runs over the layer's units of every recurrent stack of
the network, the stacks in order. One stack: 0 .. H-1. A bidirectional net: its forward
direction's units, then its backward direction's (0 .. 2H-1, PyTorch's layer output, which the
hidden-state map shows). An encoder-decoder: the encoder's He units, then the decoder's Hd. A
vector-to-sequence net: its decoder's. People read them by name: "0:3" (layer:unit) of a single
stack, "fwd 3" / "bwd 3", "enc 3" / "dec 3"; with more than one layer the layer goes first
("1:fwd 3").

Holding a unit at a constant c (``rnnviz.core.nn.clamp``) needs to know where its value is
read: ``own_weights`` is its stack's recurrence; ``readers`` are the weights that read the
layer's output linearly (the layer above, the readout, or an encoder's context: the bridge and
the decoder's input), each with the bias beside it and the column the unit occupies there.
Everything here follows from the ModelConfig alone, so that a session can be checked before
any network is built.
"""

from __future__ import annotations

SHORT = {"forward": "fwd", "backward": "bwd", "encoder": "enc", "decoder": "dec"}
_PREFIX = {"encoder": "encoder.", "decoder": "decoder."}
_SUFFIX = {"forward": "", "backward": "_reverse"}


def unit_parts(config) -> tuple[tuple[str, int], ...]:
    """((stack name, units per layer), ...) in the order of the unit numbers; "" names a single stack."""
    if config.arch == "seq2seq":
        return ("encoder", config.hidden_size), ("decoder", config.decoder_hidden_size or config.hidden_size)
    if config.arch == "vec2seq":
        return (("decoder", config.hidden_size),)
    if config.bidirectional:
        return ("forward", config.hidden_size), ("backward", config.hidden_size)
    return (("", config.hidden_size),)


def units_per_layer(config) -> int:
    """How many units a layer has, every stack counted."""
    return sum(width for _, width in unit_parts(config))


def locate(config, unit: int) -> tuple[str, int, int]:
    """(stack name, index in that stack, the stack's first unit number) of a unit number."""
    start = 0
    for name, width in unit_parts(config):
        if unit < start + width:
            return name, unit - start, start
        start += width
    raise ValueError(f"unit {unit} does not exist (a layer has {start} units)")


def unit_name(config, layer: int, unit: int) -> str:
    """"0:3", "fwd 3", "1:dec 0": how panels, exports and the CLI name a unit."""
    part, index, _ = locate(config, unit)
    if not part:
        return f"{layer}:{index}"
    name = f"{SHORT[part]} {index}"
    return f"{layer}:{name}" if config.num_layers > 1 else name


def parse_unit(config, text: str) -> tuple[int, int]:
    """A unit from its name ("fwd 3", "1:dec 0", "fwd3") or its number ("0:5"); ValueError otherwise.
    Whether the unit exists in the network is ``UnitClamp.check``'s question."""
    text = text.strip()
    layer_text, colon, rest = text.rpartition(":")
    try:
        layer = int(layer_text) if colon else 0
    except ValueError:
        layer = -1
    rest = rest.strip()
    start = 0
    for part, width in unit_parts(config):
        short = SHORT.get(part)
        index = rest[len(short):].strip() if short and rest.startswith(short) else ""
        if layer >= 0 and index.isdigit():
            if int(index) >= width:
                raise ValueError(f"{text!r}: the {part} stack has {width} units per layer")
            return layer, start + int(index)
        start += width
    if layer >= 0 and colon and rest.isdigit():
        return layer, int(rest)
    example = f"{SHORT[unit_parts(config)[0][0]]} 3" if unit_parts(config)[0][0] else "0:3"
    raise ValueError(f"{text!r} is not a unit (layer:unit, or a name such as '{example}')")


def _name(part: str, layer: int, kind: str, suffix: str | None = None) -> str:
    return f"{_PREFIX.get(part, '')}{kind}_l{layer}{_SUFFIX.get(part, '') if suffix is None else suffix}"


def own_weights(config, layer: int, unit: int) -> tuple[str, str, int]:
    """(W_hh, b_hh, the unit's index in its stack): the recurrence the unit belongs to."""
    part, index, _ = locate(config, unit)
    return _name(part, layer, "weight_hh"), _name(part, layer, "bias_hh"), index


def readers(config, layer: int, unit: int) -> list[tuple[str, str, int]]:
    """[(weight, bias, column), ...]: every weight that reads the unit's value linearly."""
    part, index, start = locate(config, unit)
    top = layer == config.num_layers - 1
    if part in ("forward", "backward"):  # both directions above read [forward, backward]; so does the readout
        column = start + index
        if top:
            return [("out.weight", "out.bias", column)]
        return [(_name(part, layer + 1, "weight_ih", s), _name(part, layer + 1, "bias_ih", s), column)
                for s in _SUFFIX.values()]
    if not top:
        return [(_name(part, layer + 1, "weight_ih"), _name(part, layer + 1, "bias_ih"), index)]
    if part != "encoder":
        return [("out.weight", "out.bias", index)]
    found = []  # the encoder's top layer is read once, as the context
    if config.context in ("init", "both"):
        found.append(("bridge.weight", "bridge.bias", index))
    if config.context in ("every-step", "both"):  # the decoder reads [one-hot token, context]
        found.append(("decoder.weight_ih_l0", "decoder.bias_ih_l0", config.input_size + index))
    return found


# ---------------------------------------------------------------------- held units in files
NAME_LENGTH = 40  # characters a unit's name may have in a file ("12:fwd 4095" has 11)


def held_record(config, units, values, mode: str) -> dict:
    """How a session and an export's metadata.json write held units: by name, readable and
    independent of how units are numbered: {"units": ["fwd 3", ...], "values": [...], "mode": ...}."""
    return {"units": [unit_name(config, int(layer), int(unit)) for layer, unit in units],
            "values": [float(value) for value in values], "mode": str(mode)}


def read_held_record(config, data) -> tuple[list, list, str]:
    """([(layer, unit), ...], [value, ...], mode) of a ``held_record`` read from a file, every
    field checked against a network of ``config``'s shape; ValueError naming the first bad one.
    A unit is its name ("fwd 3", "1:dec 0", "0:3"), or, as files written before names were
    saved hold it, a [layer, unit] pair of numbers. Which modes exist is the clamp's to check."""
    if not isinstance(data, dict) or set(data) != {"units", "values", "mode"}:
        raise ValueError("expected units, values and mode")
    units, values = data["units"], data["values"]
    if not isinstance(units, list) or not isinstance(values, list) or len(units) != len(values):
        raise ValueError("expected a list of units and a list of as many values")
    width = units_per_layer(config)
    if len(units) > config.num_layers * width:
        raise ValueError(f"{len(units)} units held, but the network has {config.num_layers * width}")
    found, seen = [], {}
    for item in units:
        if isinstance(item, str) and 0 < len(item) <= NAME_LENGTH:
            layer, unit = parse_unit(config, item)  # ValueError for a name of another shape
        elif (isinstance(item, list) and len(item) == 2
              and all(type(number) is int for number in item)):  # bool is not a number here
            layer, unit = item
        else:
            raise ValueError(f"{str(item)[:NAME_LENGTH]!r} is neither a unit's name nor a [layer, unit] pair")
        if not (0 <= layer < config.num_layers and 0 <= unit < width):
            raise ValueError(f"unit {unit} of layer {layer} does not exist (the network has "
                             f"{config.num_layers} layer(s) of {width} units)")
        name = unit_name(config, layer, unit)
        if (layer, unit) in seen:
            raise ValueError(f"unit {name} is switched off twice ({seen[layer, unit]!r} and "
                             f"{str(item)[:NAME_LENGTH]!r})")
        seen[layer, unit] = item if isinstance(item, str) else name
        found.append((layer, unit))
    numbers = []
    for value in values:
        if type(value) not in (int, float) or not abs(value) < 1e300:  # NaN, Inf and huge ints fail too
            raise ValueError(f"a held unit's value must be a finite number, not {str(value)[:NAME_LENGTH]!r}")
        numbers.append(float(value))
    mode = data["mode"]
    if not isinstance(mode, str) or len(mode) > NAME_LENGTH:
        raise ValueError("the mode must be 'zero' or 'mean'")
    return found, numbers, mode
