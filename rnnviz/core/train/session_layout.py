"""The arrays a session must hold, by name, shape and dtype, as its settings imply them.

``session_check`` compares each member's ``.npy`` header with these before reading anything.
A single stack's parameter shapes are computed; the other shapes (bidirectional,
encoder-decoder, vector-to-sequence) are built to learn them, but only once an upper bound of
their size fits the file: a small file cannot make rnnviz allocate a large network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import SessionError
from rnnviz.core.train.session_fields import MAX_BATCH, MAX_STEPS_PER_WINDOW


MAX_TEXT_BYTES = 4 * 256  # a name in a text array (numpy stores 4 bytes a character): 256 characters


@dataclass(frozen=True)
class Expect:
    """What one member must be: dtypes by name, and either an exact shape or a rule."""

    dtypes: tuple[str, ...]  # numpy dtype names, or "text" for a unicode array of short names
    shape: tuple | None = None
    rule: object = None  # callable(shape) -> bool when shape is None
    described: str = ""

    def accepts(self, shape: tuple, dtype: np.dtype) -> bool:
        if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None:
            return False
        if not any((dtype.kind == "U" and dtype.itemsize <= MAX_TEXT_BYTES) if name == "text"
                   else dtype == np.dtype(name) for name in self.dtypes):
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
    expected.update(_distribution_members(present, train))
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
        return {f"{prefix}/{i}": Expect((model.dtype,), None, rule, "(L, B, H)") for i in range(parts)}
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


def _distribution_members(present, train: TrainConfig) -> dict:
    """The percentile bands over training, when the file has them (older files do not): the
    quantities' names, then four arrays per quantity, numbered from 0 without a gap."""
    if "dist/names" not in present:
        return {}
    from rnnviz.core.train.distributions import WIDTH, Distributions

    rows = max(4, train.flow_size // 2 * 2)  # BandBuffer capacity
    count = 0
    while count < Distributions.MAX_QUANTITIES and f"dist/{count}/steps" in present:
        count += 1
    f8 = ("float64",)
    members = {"dist/names": Expect(("text",), None, lambda s: s == (count,), f"({count},) names")}
    for i in range(count):
        members[f"dist/{i}/steps"] = Expect(f8, None, lambda s: len(s) == 1 and s[0] <= rows, f"(at most {rows},)")
        members[f"dist/{i}/rows"] = Expect(f8, None, lambda s: len(s) == 2 and s[0] <= rows and s[1] == WIDTH,
                                           f"(at most {rows}, {WIDTH})")
        members[f"dist/{i}/pending"] = Expect(f8, (WIDTH,))
        members[f"dist/{i}/meta"] = Expect(f8, (3,))
    return members
