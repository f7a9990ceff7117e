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
ARCHS = ("stack", "seq2seq", "vec2seq")
CONTEXTS = ("init", "every-step", "both")


class _Settings:
    """to_dict / from_dict for the settings dataclasses (sessions and presets store dicts)."""

    KIND = "settings"  # named in the error for an unknown key

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown {cls.KIND} setting(s): {', '.join(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class ModelConfig(_Settings):
    KIND = "model"  # (no annotation: a class constant, not a field)
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
    bidirectional: bool = False  # one stack reads forward in time, a second backward; outputs joined
    #   [forward, backward] as PyTorch does. Off: next-token prediction would see its answer
    arch: str = "stack"  # "seq2seq": an encoder reads the source, its last state (the context) drives a
    #   decoder; the only bridge between them, which is the gradient story of that shape. "vec2seq":
    #   a code vector drives the decoder, as the context does (captioning)
    context: str = "init"  # seq2seq/vec2seq: the context (or the code vector) starts the decoder ("init"),
    #   is fed to it at every step, or both
    reverse_source: bool = False  # seq2seq: read the source backwards (Sutskever, Vinyals & Le 2014)
    decoder_hidden_size: int | None = None  # seq2seq: None = hidden_size
    decoder_cell: str | None = None  # seq2seq: None = cell
    source_length: int | None = None  # seq2seq: the first S input steps are the source; set from the data
    pad_id: int | None = None  # the token id that pads a short sequence after its end (labelled
    #   text); set from the data. None: every sequence fills the window

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
        _require(isinstance(self.bidirectional, bool), "bidirectional", "must be true or false", self.bidirectional)
        _require(self.arch in ARCHS, "arch", f"must be one of {', '.join(ARCHS)}", self.arch)
        _require(self.context in CONTEXTS, "context", f"must be one of {', '.join(CONTEXTS)}", self.context)
        _require(isinstance(self.reverse_source, bool), "reverse_source", "must be true or false", self.reverse_source)
        if self.decoder_hidden_size is not None:
            _require(isinstance(self.decoder_hidden_size, int) and not isinstance(self.decoder_hidden_size, bool)
                     and 1 <= self.decoder_hidden_size <= 4096, "decoder_hidden_size",
                     "must be between 1 and 4096, or None for hidden_size", self.decoder_hidden_size)
        if self.decoder_cell is not None:
            _require(self.decoder_cell in CELLS, "decoder_cell", f"must be one of {', '.join(CELLS)}, or None",
                     self.decoder_cell)
        if self.source_length is not None:
            _require(isinstance(self.source_length, int) and not isinstance(self.source_length, bool)
                     and self.source_length >= 1, "source_length", "must be a whole number of at least 1, or None",
                     self.source_length)
        _require(not (self.arch != "stack" and self.bidirectional), "bidirectional",
                 "is for the single stack; an encoder-decoder reads its source one way (see reverse_source)",
                 self.bidirectional)
        if self.pad_id is not None:
            _require(isinstance(self.pad_id, int) and not isinstance(self.pad_id, bool)
                     and 0 <= self.pad_id < self.input_size, "pad_id",
                     f"must be a token id in [0, {self.input_size}) (input_size), or None", self.pad_id)



def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _require(ok: bool, field: str, rule: str, value) -> None:
    if not ok:
        raise ValueError(f"{field} {rule}, got {value!r}")


OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
CLIP_MODES = ("none", "value", "norm")


@dataclass(frozen=True)
class TrainConfig(_Settings):
    KIND = "training"
    optimizer: str = "adam"  # per-parameter step sizes: one learning rate works for every cell and task
    lr: float = 0.01  # Adam's sweet spot for these small nets; lower it when the loss starts to spike
    lr_growth: float = 1.0  # the rate is lr * lr_growth^(n - 1) at the run's n-th update: 1 keeps it
    #   constant; above 1 it rises geometrically until the loss diverges (a learning-rate range
    #   test, Smith 2017), below 1 it decays
    readout_lr: float | None = None  # the read-out layer's own rate (out.weight, out.bias), grown by
    #   lr_growth as lr is; None: lr. A rate per layer, as in discriminative fine-tuning
    clip_mode: str = "none"  # clipping hides the explosions this tool exists to show; turn it on to see the cure
    clip_threshold: float = 5.0  # the usual global-norm cap (char-rnn used +-5 element-wise too)
    batch_size: int = 16  # enough samples for a steady gradient, few enough for tens of steps a second
    seq_len: int = 25  # the truncated-BPTT window of min-char-rnn: long enough to watch gradients fade
    carry_state: bool | None = None  # carry h between windows; None asks the source (yes for text streams)
    steps: int = 1000  # a few minutes on a laptop, enough for a char model to start spelling words
    seed: int = 0  # drives the batches; the model's own seed drives the weights
    diag_every: int = 10  # gradient profile and horizon every 10 steps: cheap, yet a smooth heatmap
    val_every: int = 50  # held-out loss every 50 steps: a forward pass only, under 2% of the work
    checkpoint_every: int = 100  # a roll-back after divergence loses at most this many steps
    momentum: float = 0.9  # the textbook heavy-ball coefficient (about ten steps of memory)
    rms_decay: float = 0.99  # RMSprop's average of g^2 over about 100 steps (PyTorch's default)
    beta1: float = 0.9  # Adam's first-moment decay (Kingma & Ba 2015)
    beta2: float = 0.999  # Adam's second-moment decay (Kingma & Ba 2015)
    eps: float = 1e-8  # keeps Adagrad/RMSprop/Adam from dividing by zero, too small to matter otherwise
    history_size: int = 4000  # points kept per curve; older points are merged keeping min and max
    flow_size: int = 400  # gradient profiles kept for the flow heatmap; older rows merge pairwise

    def __post_init__(self) -> None:
        for name in ("batch_size", "seq_len", "steps", "seed", "diag_every", "val_every",
                     "checkpoint_every", "history_size", "flow_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        _require(self.optimizer in OPTIMIZERS, "optimizer", f"must be one of {', '.join(OPTIMIZERS)}",
                 self.optimizer)
        _require(_finite_number(self.lr) and 0 < self.lr <= 1e6, "lr", "must be a number in (0, 1e6]", self.lr)
        _require(_finite_number(self.lr_growth) and 0.5 <= self.lr_growth <= 2, "lr_growth",
                 "must be a number in [0.5, 2] (1 keeps the rate constant)", self.lr_growth)
        if self.readout_lr is not None:
            _require(_finite_number(self.readout_lr) and 0 < self.readout_lr <= 1e6, "readout_lr",
                     "must be a number in (0, 1e6], or None to use lr", self.readout_lr)
        _require(self.clip_mode in CLIP_MODES, "clip_mode", f"must be one of {', '.join(CLIP_MODES)}",
                 self.clip_mode)
        _require(_finite_number(self.clip_threshold) and self.clip_threshold > 0,
                 "clip_threshold", "must be a positive finite number", self.clip_threshold)
        _require(1 <= self.batch_size <= 4096, "batch_size", "must be between 1 and 4096", self.batch_size)
        _require(1 <= self.seq_len <= 10000, "seq_len", "must be between 1 and 10000", self.seq_len)
        _require(self.carry_state is None or isinstance(self.carry_state, bool),
                 "carry_state", "must be true, false or None (ask the data)", self.carry_state)
        _require(self.steps >= 0, "steps", "must be non-negative", self.steps)
        _require(self.seed >= 0, "seed", "must be non-negative", self.seed)
        for name in ("diag_every", "val_every", "checkpoint_every"):
            _require(getattr(self, name) >= 1, name, "must be at least 1", getattr(self, name))
        _require(16 <= self.history_size <= 10_000_000, "history_size", "must be between 16 and 10000000",
                 self.history_size)
        _require(4 <= self.flow_size <= 100_000, "flow_size", "must be between 4 and 100000", self.flow_size)
        for name in ("momentum", "rms_decay", "beta1", "beta2"):
            value = getattr(self, name)
            _require(_finite_number(value) and 0 <= value < 1, name, "must be a number in [0, 1)", value)
        _require(_finite_number(self.eps) and 0 < self.eps <= 1, "eps", "must be a number in (0, 1]", self.eps)

