"""One-click settings that each tell one story about gradients through time.

A preset is plain data (no Qt): the model settings, the training settings, the data to train
on, and one sentence saying what the user should see. The window applies a preset by filling
its form and resetting; ``rnnviz --preset NAME`` does the same at launch; tests build a
Trainer from every preset and check that the story really happens (tests/core/train/test_presets.py).

Input and output sizes are absent on purpose: they always come from the data.
"""

from __future__ import annotations

from typing import NamedTuple

from rnnviz.core.errors import UserError


class Preset(NamedTuple):
    model: dict  # ModelConfig fields (without input_size / output_size, which come from the data)
    train: dict  # TrainConfig fields
    data: dict  # {"kind": "task", "name": ..., "length": T} or {"kind": "sample", "name": None | str}
    story: str  # one line: what to look for
    steps: int = 500  # updates `rnnviz run --preset` makes by default: enough for the story to happen


# ------------------------------------------------------------------ one set of defaults
# The window's first start and `rnnviz run` without flags use these same settings.
DEFAULT_MODEL = {"cell": "tanh", "hidden_size": 64, "num_layers": 1, "init": "normal",
                 "init_scale": 1.0, "recurrent_scale": None, "seed": 0}  # the textbook vanilla RNN
DEFAULT_TRAIN = {"optimizer": "adam", "lr": 3e-3, "batch_size": 16, "seq_len": 50,
                 "clip_mode": "none", "clip_threshold": 5.0, "seed": 0}  # 50 steps: long enough to watch fading
DEFAULT_TASK_LENGTH = 50  # a task without a length: long enough to make plain RNNs struggle


ADDING_T = 50  # long enough that a tanh net's gradient dies before reaching the marked numbers

IRNN_T = 30  # shorter than ADDING_T: at T = 30 the IRNN learns the sum within a demo's 1000 steps

EXPLODING_MODEL = {"cell": "relu", "hidden_size": 32, "init": "orthogonal", "init_scale": 1.0,
                   "recurrent_scale": 2.0, "num_layers": 1, "seed": 0}  # every singular value 2
EXPLODING_TRAINING = {"optimizer": "sgd", "lr": 1e-2, "batch_size": 32, "seq_len": ADDING_T,
                      "clip_threshold": 1.0, "seed": 0}

# The Exploding lesson: a chain that multiplies by 1.1 per step backwards (every singular value of
# W_hh is 1.1, a linear cell, so nothing saturates or switches off), small input weights (1e-3) so
# that the hidden states stay small and the read-out's curvature is ~2 (that of a bias under squared
# error), and a read-out trained past its stability edge 2 / curvature = 1. Each update overshoots the
# answer by more than the last: the loss doubles every step and the gradient, that error carried back
# through the chain, doubles with it. The recurrent layer learns at 1e-16, practically frozen, until
# the gradient reaches ~1e12 and its updates start to move W_hh: the network then overflows.
EXPLODING_BUILD_MODEL = {"cell": "linear", "hidden_size": 32, "init": "orthogonal", "init_scale": 1e-3,
                         "recurrent_scale": 1.1, "num_layers": 1, "seed": 0}
EXPLODING_BUILD_TRAINING = {"optimizer": "sgd", "lr": 1e-16, "readout_lr": 1.2, "lr_growth": 1.0,
                            "batch_size": 32, "seq_len": ADDING_T, "clip_mode": "none",
                            "clip_threshold": 1.0, "seed": 0}

MARKER_T = 20  # markers every ~5 steps: a short backward memory suffices
MARKER_MODEL = {"cell": "gru", "hidden_size": 16, "init": "normal", "init_scale": 1.0, "recurrent_scale": None,
                "num_layers": 1, "seed": 0, "bidirectional": False}
MARKER_TRAINING = {"optimizer": "adam", "lr": 1e-2, "batch_size": 32, "seq_len": MARKER_T, "clip_mode": "norm",
                   "clip_threshold": 1.0, "seed": 0}

SEQ2SEQ_S = 12  # source symbols: long enough for the encoder's chain to shrink by orders of magnitude
SEQ2SEQ_MODEL = {"cell": "tanh", "hidden_size": 32, "init": "normal", "init_scale": 1.0, "recurrent_scale": 0.6,
                 "num_layers": 1, "seed": 0, "arch": "seq2seq", "context": "init", "reverse_source": False}
SEQ2SEQ_TRAINING = {"optimizer": "adam", "lr": 1e-2, "batch_size": 32, "seq_len": 2 * SEQ2SEQ_S,
                    "clip_mode": "norm", "clip_threshold": 1.0, "seed": 0}

VEC2SEQ_U = 30  # generated steps
VEC2SEQ_MODEL = {"cell": "tanh", "hidden_size": 32, "init": "normal", "init_scale": 1.0, "recurrent_scale": 0.8,
                 "num_layers": 1, "seed": 0, "arch": "vec2seq", "context": "init"}
VEC2SEQ_TRAINING = {"optimizer": "adam", "lr": 1e-2, "batch_size": 32, "seq_len": VEC2SEQ_U, "clip_mode": "norm",
                    "clip_threshold": 1.0, "seed": 0}

PRESETS: dict[str, Preset] = {
    "Vanishing": Preset(
        model={"cell": "tanh", "hidden_size": 32, "init": "normal", "init_scale": 1.0,
               "recurrent_scale": 0.5, "num_layers": 1, "seed": 0},
        # plain SGD: Adam would rescale the tiny recurrent gradient per parameter and grow W_hh
        # out of the vanishing regime within a few thousand steps (sigma_max 0.5 -> 2.2 by step 3000)
        train={"optimizer": "sgd", "lr": 1e-2, "batch_size": 32, "seq_len": ADDING_T,
               "clip_mode": "none", "clip_threshold": 1.0, "seed": 0},
        data={"kind": "task", "name": "adding", "length": ADDING_T},
        story="sigma_max(W_hh) = 0.5: the chain shrinks like 0.5^k, the gradient never reaches "
              "the marked numbers, and the loss stays at the baseline.",
        steps=300,
    ),
    "Exploding": Preset(
        model=EXPLODING_BUILD_MODEL,
        train=EXPLODING_BUILD_TRAINING,
        data={"kind": "task", "name": "adding", "length": ADDING_T},
        story="the read-out learns at 1.2, past its stability edge of 1: the loss and ‖∇‖ double every step, "
              "W_hh's singular values of 1.1 lift ‖∂L/∂h_t‖ ~100× towards t = 0, and near step 38 it overflows.",
        steps=60,
    ),
    "Exploding, clipped": Preset(
        # ReLU with every singular value 2, norm clipping at 1 before Adam. Clipped SGD only reaches the
        # baseline (1.24x over steps 1451-1500 at lr 0.01, 1.01x at 0.03); unclipped Adam keeps the first
        # 1e12 gradients in its second moment and crawls (2e5x the baseline over steps 551-600). Measured loss / baseline over
        # 50-step windows: 0.91 by step 600, 0.41 over steps 951-1000 (seed 0; the networks of seeds 1
        # and 2 start far less explosive, 5e4 and 9e4, and stay near the baseline through 1500 steps)
        model=EXPLODING_MODEL,
        train={**EXPLODING_TRAINING, "optimizer": "adam", "lr": 1e-3, "clip_mode": "norm"},
        data={"kind": "task", "name": "adding", "length": ADDING_T},
        story="ReLU, every singular value of W_hh 2, norm clipping at 1, Adam: the raw gradient norm starts "
              "near 4e12 and stays far above 1, every update is capped at 1, and the loss ends below the baseline.",
        steps=1000,
    ),
    "IRNN": Preset(
        # W_hh = 0.92 I rather than I: the chain keeps 0.92 per step (still "stable"; 0.92^29 ~ 0.09
        # reaches the first step), and the slight contraction lets Adam leave the baseline. Measured
        # loss / baseline over 50-step windows: 1.0 for ~700 steps, then 0.48 over steps 901-950 and
        # 0.35 over 951-1000 (seeds 1 and 2: below 0.5 by steps 751 and 901); W_hh = I with the same
        # settings is still near the baseline after 1500 steps (0.87-1.16), and so is T = 50 (0.99)
        model={"cell": "relu", "hidden_size": 32, "init": "identity", "init_scale": 0.92,
               "recurrent_scale": None, "num_layers": 1, "seed": 0},
        train={"optimizer": "adam", "lr": 3e-3, "batch_size": 32, "seq_len": IRNN_T,
               "clip_mode": "norm", "clip_threshold": 1.0, "seed": 0},
        data={"kind": "task", "name": "adding", "length": IRNN_T},
        story="ReLU with W_hh = 0.92 I (after Le et al. 2015): the chain keeps about 0.92 per step and "
              "the gradient reaches the marked numbers; after a long plateau on the baseline the loss "
              "falls below half of it, by about step 950.",
        steps=1100,
    ),
    "LSTM": Preset(
        model={"cell": "lstm", "hidden_size": 32, "init": "normal", "init_scale": 1.0,
               "recurrent_scale": None, "num_layers": 1, "seed": 0, "forget_bias": 1.0},
        train={"optimizer": "adam", "lr": 1e-2, "batch_size": 32, "seq_len": ADDING_T,
               "clip_mode": "norm", "clip_threshold": 1.0, "seed": 0},
        data={"kind": "task", "name": "adding", "length": ADDING_T},
        story="an LSTM on the same task: the cell state's additive path carries the error "
              "back, and the loss falls below the baseline Vanishing never beats.",
        steps=400,
    ),
    "Sentiment": Preset(
        model={"cell": "tanh", "hidden_size": 32, "init": "normal", "init_scale": 1.0,
               "recurrent_scale": None, "num_layers": 1, "seed": 0, "bidirectional": False},
        train={"optimizer": "adam", "lr": 1e-2, "batch_size": 32, "clip_mode": "norm", "clip_threshold": 1.0,
               "seed": 0},
        data={"kind": "sample", "name": "reviews.tsv"},
        story="product reviews read word by word and classified once, at each review's own last word: "
              "the loss falls below the majority-class baseline; type a review in the Text panel to see "
              "its label and the gradient reaching each word.",
    ),
    "Future marker, one way": Preset(
        model=MARKER_MODEL,
        train=MARKER_TRAINING,
        data={"kind": "task", "name": "marker", "length": MARKER_T},
        story="each tag names the next marker, which a forward-reading network has not seen yet: "
              "the loss stays on the memoryless baseline however long it trains.",
    ),
    "Future marker, both ways": Preset(
        model={**MARKER_MODEL, "bidirectional": True},
        train=MARKER_TRAINING,
        data={"kind": "task", "name": "marker", "length": MARKER_T},
        story="the same task with a backward direction, which has already read the marker: the loss "
              "falls far below the baseline, and the gradient reaches h_t from both ends.",
    ),
    "Seq2seq, source forward": Preset(
        model=SEQ2SEQ_MODEL,
        train=SEQ2SEQ_TRAINING,
        data={"kind": "task", "name": "bottleneck", "length": SEQ2SEQ_S},
        story="an encoder-decoder copying its source through one context vector: the gradient reaching "
              "the first source symbols, read longest before the context, is orders of magnitude below "
              "the last ones'.",
    ),
    "Seq2seq, source reversed": Preset(
        model={**SEQ2SEQ_MODEL, "reverse_source": True},
        train=SEQ2SEQ_TRAINING,
        data={"kind": "task", "name": "bottleneck", "length": SEQ2SEQ_S},
        story="the same network reading its source backwards (Sutskever et al. 2014): the first source "
              "symbols now sit next to the context and the first answers, and their gradient rises by "
              "orders of magnitude.",
    ),
    "Vec2seq, code as the start": Preset(
        model=VEC2SEQ_MODEL,
        train=VEC2SEQ_TRAINING,
        data={"kind": "task", "name": "waveform", "length": VEC2SEQ_U},
        story="a code vector starts the generator and is never seen again: the gradient reaching it from "
              "step t, ‖∂L_t/∂v‖, falls by orders of magnitude along the sequence.",
    ),
    "Vec2seq, code at every step": Preset(
        model={**VEC2SEQ_MODEL, "context": "every-step"},
        train=VEC2SEQ_TRAINING,
        data={"kind": "task", "name": "waveform", "length": VEC2SEQ_U},
        story="the same code fed at every step, a bias on every step: ‖∂L_t/∂v‖ stays large at every t.",
    ),
}

PRESET_NAMES = tuple(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name``, ignoring case, spaces and punctuation (so the command line
    may say ``exploding-clipped``), or a UserError listing the names."""
    wanted = _key(name)
    for key, preset in PRESETS.items():
        if _key(key) == wanted:
            return preset
    names = ", ".join(f"'{key}'" for key in PRESETS)
    raise UserError(f"unknown preset {name!r}; choose one of: {names}")


def exact_name(name: str) -> str:
    """The preset's name as the menu spells it ("exploding-clipped" -> "Exploding, clipped")."""
    preset = get_preset(name)
    return next(key for key, value in PRESETS.items() if value is preset)


def _key(name) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


# --------------------------------------------------------------------- settings -> a run
def predicts_next(data: dict) -> bool | None:
    """Whether the data a choice names asks for the next token (where a bidirectional network
    would read its answer): text and series do, labelled text and most tasks do not. None for
    a file, which is known only once loaded (its source's ``predicts_next``)."""
    from rnnviz.core.data import files as data_module
    from rnnviz.core.data import tasks

    kind = (data or {}).get("kind", "sample")
    if kind == "sample":
        return data.get("name") != data_module.SAMPLE_LABELLED
    if kind == "task":
        try:
            return bool(getattr(tasks.make_task(data["name"]), "predicts_next", False))
        except UserError:
            return None
    return None


def pairs_source_and_target(data: dict) -> bool:
    """Whether the data a choice names is a source paired with a target (an encoder-decoder's task)."""
    return shape_for_data(data) == "seq2seq"


def shape_for_data(data: dict) -> str:
    """The network shape (``ModelConfig.arch``) the data a choice names needs: "seq2seq" for a source
    paired with a target, "vec2seq" for a code vector, else "stack"."""
    from rnnviz.core.data import tasks

    if (data or {}).get("kind") != "task":
        return "stack"
    try:
        task = tasks.make_task(data["name"])
    except UserError:
        return "stack"
    if getattr(task, "source_length", None) is not None:
        return "seq2seq"
    return "vec2seq" if getattr(task, "code_size", None) is not None else "stack"


def make_configs(model: dict, train: dict):
    """(ModelConfig, TrainConfig) from partial settings over the defaults; a bad value raises
    UserError naming the setting. Sizes are placeholders: the Trainer takes them from the data."""
    from rnnviz.core.config import ModelConfig, TrainConfig

    try:
        model_config = ModelConfig.from_dict({**ModelConfig().to_dict(), **dict(model)})
        train_config = TrainConfig.from_dict({**TrainConfig().to_dict(), **dict(train)})
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return model_config, train_config


def fit_batch(source, batch_size: int, seq_len: int) -> tuple[int, str]:
    """(streams, note): the most parallel streams, up to ``batch_size``, that a short file can
    fill with windows of ``seq_len`` steps, and one line saying so when it is fewer (else "").
    Raises the source's DataError when not even one window fits."""
    check = getattr(source, "check_window", None)
    if check is None:
        return batch_size, ""
    from rnnviz.core.errors import DataError

    for streams in range(int(batch_size), 0, -1):
        try:
            check(streams, seq_len)
        except DataError:
            continue
        if streams == batch_size:
            return streams, ""
        return streams, (f"{source.name} is short: training {streams} parallel streams instead of "
                         f"{batch_size}, so that each holds a window of {seq_len} steps")
    check(1, seq_len)  # raises: not even one window fits, with the reason
    return 1, ""


def make_trainer(model: dict, train: dict, data: dict, progress=None):
    """A ready-to-train Trainer from the three parts of a preset (or of the window's form).
    A file too short for the batch gets fewer streams; ``trainer.data_note`` then says so."""
    from dataclasses import replace

    from rnnviz.core.data.build import build_source
    from rnnviz.core.train.trainer import Trainer

    model_config, train_config = make_configs(model, train)
    spec = dict(data)
    if spec.get("kind") == "file":  # a session saved later must find the file from anywhere
        from pathlib import Path
        spec["path"] = str(Path(spec["path"]).resolve())
    # the data choice doubles as the session's recipe for rebuilding the source (core.session)
    source = build_source(spec, progress)
    seq_len = getattr(source, "sequence_length", None) or train_config.seq_len
    streams, note = fit_batch(source, train_config.batch_size, seq_len)
    trainer = Trainer(source, model_config, replace(train_config, batch_size=streams), source_spec=spec)
    trainer.data_note = note
    return trainer


def preset_trainer(name: str):
    """A Trainer set up exactly as the preset ``name`` says."""
    preset = get_preset(name)
    return make_trainer(preset.model, preset.train, preset.data)
