"""What a fork can change, as a person types it: ``lr=0.001``, ``clip_norm=none``, ``cell=irnn``,
``reverse_source=true``; which of those mean something for a run's shape; and the tanh comparison.

The Runs dock and ``rnnviz run --fork NAME=VALUE`` read the same names (``rnnviz run``'s flags
without the dashes, as sweeps do), turned here into the configuration fields
``RunGroup.fork`` takes.
"""

from __future__ import annotations

from rnnviz.core.errors import UserError
from rnnviz.core.train.sweep import MODEL_FIELDS, TRAIN_FIELDS, coerce

FORKABLE = ("lr", "clip_norm", "clip_value", "optimizer", "recurrent_scale", "cell", "hidden", "layers",
            "init", "init_scale", "forget_bias", "batch", "bidirectional", "reverse_source", "context",
            "decoder_hidden", "decoder_cell")
FOR_SHAPES = {  # settings that mean something only for some shapes (arch values), with what they do
    "bidirectional": (("stack",), "true: add a backward stack (fresh weights); false: one-way. Refused on "
                                  "next-token text, where the backward stack would read the answer"),
    "reverse_source": (("seq2seq",), "true: the encoder reads the source backwards (Sutskever et al. 2014); "
                                     "fresh weights"),
    "context": (("seq2seq", "vec2seq"), "init, every-step or both: how the context (code) reaches the decoder; "
                                        "fresh weights"),
    "decoder_hidden": (("seq2seq",), "the decoder's hidden units; fresh weights"),
    "decoder_cell": (("seq2seq",), "the decoder's cell; fresh weights"),
}
TIPS = {
    "recurrent_scale": "rescale every W_hh to this largest singular value, keeping the weights: each layer's, "
                       "both directions' of a bidirectional net, the encoder's and the decoder's",
    "cell": "a new cell (irnn: ReLU with W_hh = I): fresh weights from the same seeds and data position",
    "lr": "the learning rate: the same weights and optimizer memory",
    "clip_norm": "clip the global gradient norm to this (none: no clipping)",
    "clip_value": "clip each gradient element to [-C, C] (none: no clipping)",
}


def fork_changes(name: str, text: str) -> dict:
    """A setting as typed in the form -> the config fields a fork changes. Raises UserError."""
    if name not in FORKABLE:
        raise UserError(f"cannot fork on {name!r}; choose one of {', '.join(FORKABLE)}")
    if name in ("clip_norm", "clip_value") and text.strip().lower() in ("", "none", "off"):
        return {"clip_mode": "none"}
    value = coerce(name, text.strip())
    if name in ("clip_norm", "clip_value"):
        return {"clip_mode": name.split("_")[1], "clip_threshold": value}
    if name == "cell" and value == "irnn":
        return {"cell": "relu", "init": "identity"}
    return {MODEL_FIELDS.get(name) or TRAIN_FIELDS[name]: value}


def tanh_changes(model: dict) -> dict:
    """The fork "with tanh" of a run whose settings are ``model``: its cell, and an encoder-decoder's
    own decoder cell when it has one."""
    changes = {"cell": "tanh"}
    if model.get("decoder_cell") not in (None, "tanh"):
        changes["decoder_cell"] = "tanh"
    return changes


def fits_shape(name: str, model_config) -> bool:
    """Whether a fork on ``name`` means something for a run of this shape (``reverse_source`` only
    for an encoder-decoder, ``bidirectional`` only for the single stack, ...)."""
    arch = getattr(model_config, "arch", "stack")
    return name not in FOR_SHAPES or arch in FOR_SHAPES[name][0]


def check_fits(name: str, model_config) -> None:
    """UserError saying why a fork on ``name`` means nothing for a run of this shape."""
    if not fits_shape(name, model_config):
        from rnnviz.core.nn.shapes import shape_name

        raise UserError(f"{name} does not apply to this run's shape ({shape_name(model_config)}): "
                        + FOR_SHAPES[name][1])


def parse_fork(text: str, model_config) -> dict:
    """``NAME=VALUE`` (as ``rnnviz run --fork`` takes it) for a run with ``model_config`` -> the
    configuration fields it changes. Raises UserError."""
    name, sep, value = str(text).partition("=")
    name = name.strip().lstrip("-").replace("-", "_").lower()
    if not sep or not name:
        raise UserError(f"--fork {text!r}: write NAME=VALUE, e.g. lr=0.001, cell=tanh or reverse_source=true")
    changes = fork_changes(name, value)
    check_fits(name, model_config)
    return changes
