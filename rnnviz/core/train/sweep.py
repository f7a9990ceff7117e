"""One point of a sweep: train a network headless from plain settings and return plain numbers.

A sweep asks the same question of many networks (which recurrent scale, which length, which
cell still learns?), so a point must run anywhere: in this process, in a local worker process,
or on a Dask worker on another machine. ``run_point(settings, seed)`` is therefore a pure
function of picklable inputs: it builds its own data source, trains its own ``Trainer`` on one
BLAS thread, and returns a dict of numbers (no arrays, no Qt, no shared state). The same
settings and seed give the same row on any machine with the same numpy.

Settings use the names of ``rnnviz run``'s flags (``hidden``, ``recurrent_scale``, ``length``,
``clip_norm``, ...; see ``SETTINGS``). What a row holds (``RESULT_COLUMNS``):

loss_start        training loss of the first batch (before any update)
loss_final        loss on the source's fixed held-out batch after training (the training loss
                  smoothed over ~50 steps when the source has no held-out data)
loss_best         the lowest held-out loss measured during the run (every ``val_every`` steps and
                  at the end)
baseline          the memoryless baseline in the same units; empty when the source has none
loss_ratio        loss_final / baseline: below 1, the network remembers something
accuracy          last-step classification tasks (latching): share of the held-out batch named right
success           1 when the task's own criterion holds at the end (``success``), else 0
chain_start_log10 log10 ||dh_T/dh_0||, top layer, first held-out sequence, before training: the
chain_end_log10   Jacobian chain across the whole window; and the same after training
horizon_start     gradient horizon (batch mean over the held-out batch, top layer) before and after
horizon_end       training: how many steps back the loss still reaches. A network of several
                  stacks keeps one stack's (rnnviz.core.train.group_curves.headline): a
                  bidirectional net's longer-reaching direction, an encoder-decoder's encoder
diverged          1 when a NaN/Inf stopped training; diverged_step: the step it happened at
steps_done        updates applied

A number that is not finite (the chain of a diverged run, or of a ReLU layer gone silent, which
is exactly 0) is kept as None: an empty cell in results.csv.

Wall time is measured too but kept apart from the compared columns (``wall_time``), since it
differs from run to run and machine to machine while everything else must not.
"""

from __future__ import annotations

import math
import time

import numpy as np

from rnnviz.core.config import ARCHS, CELLS, CONTEXTS, DTYPES, INITS, OPTIMIZERS, ModelConfig, TrainConfig
from rnnviz.core.errors import UserError

ADDING_SUCCESS_MSE = 0.01  # the adding problem is solved below this MSE (Le et al. 2015's plots)
LATCHING_SUCCESS_ACCURACY = 0.95  # latched: nearly every held-out sequence named right
OTHER_SUCCESS_RATIO = 0.5  # elsewhere: the held-out loss at most half the memoryless baseline
SUCCESS_RULES = {
    "adding": f"held-out MSE below {ADDING_SUCCESS_MSE}",
    "latching": f"held-out accuracy at least {LATCHING_SUCCESS_ACCURACY:.0%}",
    "other": f"held-out loss at most {OTHER_SUCCESS_RATIO:g} x the memoryless baseline",
}
DEFAULT_TASK = "adding"  # a sweep trains on a task unless told otherwise: tasks have a baseline
# and a success criterion, and their sequences are fresh for every seed

# name -> (kind, choices or None, help). Kinds: "int", "float", "str", "bool". Names are rnnviz run's
# flags with '-' as '_'; "steps" and "seed" are a sweep's own (--steps, --seeds).
SETTINGS = {
    "task": ("str", None, "a built-in task"),
    "length": ("int", None, "the task's length T"),
    "data": ("str", None, "a text or series file (it must exist at the same path on every worker)"),
    "level": ("str", ("char", "word"), "how a text file is read"),
    "encoding": ("str", None, "a text file's encoding"),
    "cell": ("str", CELLS + ("irnn",), "recurrent cell; irnn is relu with identity init (Le et al. 2015)"),
    "hidden": ("int", None, "hidden units per layer"),
    "layers": ("int", None, "stacked recurrent layers"),
    "init": ("str", INITS, "weight initialisation"),
    "init_scale": ("float", None, "initial weight scale"),
    "recurrent_scale": ("float", None, "largest singular value of W_hh at start"),
    "forget_bias": ("float", None, "LSTM forget-gate bias at start"),
    "bidirectional": ("bool", None, "add a backward stack (true/false)"),
    "arch": ("str", ARCHS, "stack, seq2seq (encoder-decoder) or vec2seq"),
    "context": ("str", CONTEXTS, "how the context reaches the decoder"),
    "reverse_source": ("bool", None, "an encoder-decoder reads its source backwards (true/false)"),
    "decoder_hidden": ("int", None, "an encoder-decoder's decoder units"),
    "decoder_cell": ("str", CELLS, "an encoder-decoder's decoder cell"),
    "dtype": ("str", DTYPES, "float precision"),
    "optimizer": ("str", OPTIMIZERS, "update rule"),
    "lr": ("float", None, "learning rate"),
    "clip_norm": ("float", None, "clip the global gradient norm to this"),
    "clip_value": ("float", None, "clip each gradient element to [-C, C]"),
    "batch": ("int", None, "sequences per batch"),
    "seq_len": ("int", None, "truncated-BPTT window (text and series only)"),
    "steps": ("int", None, "updates per point"),
}
MODEL_FIELDS = {"cell": "cell", "hidden": "hidden_size", "layers": "num_layers", "init": "init",
                "init_scale": "init_scale", "recurrent_scale": "recurrent_scale",
                "forget_bias": "forget_bias", "dtype": "dtype", "bidirectional": "bidirectional", "arch": "arch",
                "context": "context", "reverse_source": "reverse_source", "decoder_hidden": "decoder_hidden_size",
                "decoder_cell": "decoder_cell"}
TRAIN_FIELDS = {"optimizer": "optimizer", "lr": "lr", "batch": "batch_size", "seq_len": "seq_len",
                "steps": "steps"}
TRUTH = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
RESULT_COLUMNS = ("loss_start", "loss_final", "loss_best", "baseline", "loss_ratio", "accuracy", "success",
                  "chain_start_log10", "chain_end_log10", "horizon_start", "horizon_end", "diverged",
                  "diverged_step", "steps_done")


def canonical_name(name: str) -> str:
    """A setting's name as ``SETTINGS`` spells it, from a flag (``--recurrent-scale``) or a
    field name; raises UserError listing the names."""
    key = str(name).strip().lstrip("-").replace("-", "_").lower()
    key = {"hidden_size": "hidden", "num_layers": "layers", "batch_size": "batch", "t": "length"}.get(key, key)
    if key not in SETTINGS:
        raise UserError(f"unknown sweep setting {name!r}; the settings are {', '.join(SETTINGS)}")
    return key


def coerce(name: str, value):
    """``value`` (text or a number) as the setting's type, checked against its choices."""
    kind, choices, _ = SETTINGS[name]
    if kind == "bool":
        word = str(value).strip().lower()
        if isinstance(value, bool) or word in TRUTH:
            return value if isinstance(value, bool) else TRUTH[word]
        raise UserError(f"{name} must be true or false, got {value!r}")
    if kind == "str":
        text = str(value)
        if choices is not None and text not in choices:
            raise UserError(f"{name} must be one of {', '.join(choices)}, got {text!r}")
        return text
    if isinstance(value, bool):
        raise UserError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise UserError(f"{name} must be a finite number, got {value!r}")
    if kind == "int":
        if not number.is_integer():
            raise UserError(f"{name} must be a whole number, got {value!r}")
        return int(number)
    return number


def source_spec(settings: dict, seed: int) -> dict:
    """How the point's data is built (``rnnviz.core.data.build.build_source``'s spec)."""
    if settings.get("data") is not None:
        if settings.get("task") is not None:
            raise UserError("a sweep trains on a task or on a file (--data), not both")
        return {"kind": "file", "path": settings["data"], "level": settings.get("level"),
                "encoding": settings.get("encoding") or "utf-8"}
    return {"kind": "task", "name": settings.get("task") or DEFAULT_TASK, "length": settings.get("length"),
            "seed": int(seed)}


def configs(settings: dict, seed: int) -> tuple[ModelConfig, TrainConfig]:
    """The run's configurations; a bad value raises UserError naming the setting."""
    if settings.get("clip_norm") is not None and settings.get("clip_value") is not None:
        raise UserError("clip_norm and clip_value exclude each other: choose one")
    model = {field: settings[name] for name, field in MODEL_FIELDS.items() if settings.get(name) is not None}
    if model.get("cell") == "irnn":  # Le, Jaitly & Hinton (2015): ReLU units, W_hh = I at start
        if model.get("init", "identity") != "identity":
            raise UserError("cell irnn is relu with identity init: drop init, or use cell relu")
        model.update(cell="relu", init="identity")
    train = {field: settings[name] for name, field in TRAIN_FIELDS.items() if settings.get(name) is not None}
    for mode in ("norm", "value"):
        if settings.get(f"clip_{mode}") is not None:
            train.update(clip_mode=mode, clip_threshold=settings[f"clip_{mode}"])
    try:
        return ModelConfig(**model, seed=int(seed)), TrainConfig(**train, seed=int(seed))
    except ValueError as exc:
        field = str(exc).split(" ", 1)[0]
        names = {**{v: k for k, v in MODEL_FIELDS.items()}, **{v: k for k, v in TRAIN_FIELDS.items()},
                 "clip_threshold": "clip_norm/clip_value"}
        raise UserError(f"{names.get(field, field)}: {exc}") from None


def build_trainer(settings: dict, seed: int):
    """The point's Trainer, ready to train: also how the window opens a point again."""
    from rnnviz.core.data.build import build_source
    from rnnviz.core.train.trainer import Trainer

    spec = source_spec(settings, seed)
    source = build_source(spec)
    model_config, train_config = configs(settings, seed)
    if spec["kind"] == "task" and settings.get("seq_len") is not None:
        raise UserError("seq_len does not apply to a task: it sets its own window (use length)")
    return Trainer(source, model_config, train_config, source_spec=spec)


# ---------------------------------------------------------------------- the point
def run_point(settings: dict, seed: int) -> dict:
    """Train one network from ``settings`` and ``seed``; return its row (RESULT_COLUMNS) plus
    ``wall_time`` (the whole point) and ``train_time`` (its training steps alone). Pure:
    everything it uses is built here, on one BLAS thread."""
    from rnnviz.runtime import blas_threads

    started = time.perf_counter()
    with blas_threads(1), np.errstate(all="ignore"):
        trainer = build_trainer(settings, seed)
        chain_start, horizon_start = held_out_gradients(trainer)
        trained = time.perf_counter()
        first = trainer.step() if trainer.train_config.steps > 0 else None
        if first is not None and not first.diverged:
            trainer.run(trainer.steps_left)
        trained = time.perf_counter() - trained
        chain_end, horizon_end = held_out_gradients(trainer)
        row = _outcome(trainer, first, chain_start, chain_end, horizon_start, horizon_end)
    row["wall_time"] = time.perf_counter() - started
    row["train_time"] = trained  # the training steps alone: what a point costs beyond them is overhead
    return row


def held_out_gradients(trainer) -> tuple[float, int]:
    """(log10 ||dh_T/dh_0|| of the top layer for the first held-out sequence, gradient horizon
    of the batch-mean ||dL/dh_t||) at the trainer's current weights, for a network of several
    stacks those of the stack ``group_curves.headline`` names. NaN / 0 when diverged."""
    from rnnviz.core.train.group_curves import headline, run_curves

    tc = trainer.train_config
    batch = trainer.source.validation_batch(tc.batch_size, tc.seq_len)
    if batch is None:  # no held-out data: a training batch drawn without moving the run's state
        import copy

        state = copy.deepcopy(trainer.source.get_state())
        batch = trainer.source.train_batch(tc.batch_size, tc.seq_len, np.random.default_rng(tc.seed))
        trainer.source.set_state(state)
    return headline(run_curves(trainer.model, *batch[:2]))


def _outcome(trainer, first, chain_start, chain_end, horizon_start, horizon_end) -> dict:
    tc = trainer.train_config
    baseline = trainer.source.baseline(tc.seq_len)
    diverged = trainer.status == "diverged"
    final = None if diverged else trainer.validation_loss()
    if final is None and not diverged:
        final = trainer.loss_smooth
    _, val = trainer.history.series("val_loss")
    measured = [v for v in list(np.asarray(val, dtype=float)) + [final] if v is not None and math.isfinite(v)]
    accuracy = None if diverged else held_out_accuracy(trainer)
    name = (trainer.source_spec or {}).get("name") if (trainer.source_spec or {}).get("kind") == "task" else None
    return {
        "loss_start": None if first is None else float(first.loss),
        "loss_final": None if final is None else float(final),
        "loss_best": float(min(measured)) if measured else None,
        "baseline": None if baseline is None else float(baseline),
        "loss_ratio": float(final / baseline) if final is not None and baseline else None,
        "accuracy": accuracy,
        "success": int(not diverged and success(name, final, baseline, accuracy)),
        "chain_start_log10": chain_start,
        "chain_end_log10": chain_end,
        "horizon_start": horizon_start,
        "horizon_end": horizon_end,
        "diverged": int(diverged),
        "diverged_step": int(trainer.last_result.step) if diverged else None,
        "steps_done": int(trainer.step_count),
    }


def held_out_accuracy(trainer) -> float | None:
    """Share of the held-out batch classified right, for tasks scored once at the last step
    with classes (latching); None for every other kind of target."""
    tc = trainer.train_config
    batch = trainer.source.validation_batch(tc.batch_size, tc.seq_len)
    if batch is None:
        return None
    inputs, targets = batch
    targets = np.asarray(targets)
    if not (np.issubdtype(targets.dtype, np.integer) and targets.ndim == 1):
        return None
    outputs, _ = trainer.model.forward(inputs)  # (T, B, Y)
    return float((np.argmax(outputs[-1], axis=-1) == targets).mean())


def success(task: str | None, final: float | None, baseline: float | None, accuracy: float | None) -> bool:
    """The task's own criterion for "learned it" (SUCCESS_RULES)."""
    if final is None or not math.isfinite(final):
        return False
    if task == "adding":
        return final < ADDING_SUCCESS_MSE
    if task == "latching":
        return accuracy is not None and accuracy >= LATCHING_SUCCESS_ACCURACY
    return baseline is not None and final <= OTHER_SUCCESS_RATIO * baseline
