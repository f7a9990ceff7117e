"""Model settings as one validated dataclass.

Every default carries its reason, because a user reading the form in the app, or a script,
should know why a number is what it is. Invalid values raise ``ValueError`` naming the field,
at construction time, so a bad setting never reaches the numerics.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

CELLS = ("tanh", "relu", "linear", "lstm", "gru")
INITS = ("normal", "orthogonal", "identity")
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class ModelConfig:
    input_size: int = 1  # vocabulary size for token ids, channels for float inputs; set from the data
    hidden_size: int = 64  # small enough to redraw the time x unit heatmap at 30 fps
    output_size: int = 1  # vocabulary size (classification) or channels (regression); set from the data
    cell: str = "tanh"  # the cell of the seed articles, and the one whose gradients vanish
    num_layers: int = 1  # one layer keeps the story readable; stack more to see depth in time and space
    dtype: str = "float64"  # vanishing gradients reach 1e-30 and below, which float32 cannot show
    seed: int = 0  # the same seed gives the same weights, so two runs can be compared
    init: str = "normal"  # Gaussian weights: the textbook start, whose spectrum the user then rescales
    init_scale: float = 1.0  # std = init_scale / sqrt(fan_in): W_hh's spectral radius is then ~init_scale
    recurrent_scale: float | None = None  # if set, each W_hh is rescaled to this largest singular value:
    #   below 1 the chain of Jacobians must shrink (vanishing), well above 1 it can grow (exploding)
    forget_bias: float = 1.0  # LSTM forget-gate bias at start: remember by default (Jozefowicz et al. 2015)

    def __post_init__(self) -> None:
        for name in ("input_size", "hidden_size", "output_size", "num_layers", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        _require(self.input_size >= 1, "input_size", "must be at least 1", self.input_size)
        _require(1 <= self.hidden_size <= 4096, "hidden_size", "must be between 1 and 4096", self.hidden_size)
        _require(self.output_size >= 1, "output_size", "must be at least 1", self.output_size)
        _require(1 <= self.num_layers <= 8, "num_layers", "must be between 1 and 8", self.num_layers)
        _require(self.seed >= 0, "seed", "must be non-negative", self.seed)
        _require(self.cell in CELLS, "cell", f"must be one of {', '.join(CELLS)}", self.cell)
        _require(self.init in INITS, "init", f"must be one of {', '.join(INITS)}", self.init)
        _require(self.dtype in DTYPES, "dtype", f"must be one of {', '.join(DTYPES)}", self.dtype)
        _require(_finite_number(self.init_scale) and self.init_scale > 0,
                 "init_scale", "must be a positive finite number", self.init_scale)
        if self.recurrent_scale is not None:
            _require(_finite_number(self.recurrent_scale) and 0 < self.recurrent_scale <= 100,
                     "recurrent_scale", "must be a number in (0, 100], or None to keep the init's scale",
                     self.recurrent_scale)
        _require(_finite_number(self.forget_bias), "forget_bias", "must be a finite number", self.forget_bias)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model setting(s): {', '.join(unknown)}")
        return cls(**data)


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _require(ok: bool, field: str, rule: str, value) -> None:
    if not ok:
        raise ValueError(f"{field} {rule}, got {value!r}")
