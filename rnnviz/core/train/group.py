"""Fork a run and compare: up to four sibling runs trained side by side on the same batches.

A *fork* copies a run as it is — weights, optimizer state, batch generator, data cursor,
carried state, history — and then changes some settings. Training settings (learning rate,
clipping, optimizer, ...) change on the copy directly: the optimizer keeps its memory unless
the rule itself changes. A new recurrent scale rescales the copied W_hh to that largest
singular value, so the fork still starts from the same weights. Any other model change (the
cell, the sizes, the initialisation) cannot keep weights of another shape: that fork starts
from fresh weights drawn with the same seeds at the same data position, and its label says so
("fresh weights"). Comparing with a tanh network is the fork ``cell=tanh``. Units switched off
in the run stay off in a fresh fork (and in seed companions), by name and at the same values,
so that the fork changes only what was asked; when the fork's stacks differ (a one-way net's
"0:3" has no counterpart among a bidirectional fork's "fwd 3" / "bwd 3") or lack a unit of that
name (fewer units), every unit of the fork is free and its label says "units freed".

Every shape forks. A bidirectional net's recurrent scale rescales both directions' W_hh, an
encoder-decoder's both stacks' (the scale is applied so when such a network is built); turning
the shape itself (``bidirectional``, ``reverse_source``, ``context``, the decoder's size or cell)
starts fresh weights. The settings taken from the data (sizes of the input and output, the
source's length, the padding id) are not forked. Runs of different shapes side by side (a
one-way net and its bidirectional fork) are compared on what they share: the loss, and each
stack's gradient and chain on the same input time axis (``rnnviz.core.train.group_curves``).

Because every sibling starts with the same generator state and data cursor and draws one batch
per step, siblings with the same batch size and window see the very same batches
(``step_all`` checks it); their curves differ only by what was changed.

Seeds: ``with_seeds(k)`` gives every run k - 1 companions that differ only in their seed
(fresh weights and batches); curves are then drawn as the median with a min–max band
(``band``), and horizons and final losses become distributions.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from dataclasses import dataclass, fields, replace

import numpy as np

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import UserError

MAX_RUNS = 4  # four overlaid curves are still readable; a fifth is a sweep's job
MAX_SEEDS = 16
WORDS = {"reverse_source": {True: "source reversed", False: "source forward"},  # a legend's words for
         "bidirectional": {True: "bidirectional", False: "one-way"}}  # the shape switches
TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}
DATA_FIELDS = {"input_size", "output_size", "source_length", "pad_id"}  # set from the data, never forked
MODEL_FIELDS = {f.name for f in fields(ModelConfig)} - DATA_FIELDS


@dataclass
class Member:
    label: str  # what differs from the first run, for the legend: "lr=0.001, clip norm 1"
    trainer: object  # the run
    seeds: list  # companions that differ only in their seed (empty without seeds)
    fresh: bool  # True when the fork could not keep the weights (its model changed shape)
    offset: int = 0  # steps the run had before it began: a fresh fork's curves start where it forked


@dataclass(frozen=True)
class Curve:
    """One curve of a run over its seeds: the median and the min-max band."""

    name: str  # which stack it belongs to ("" for a one-stack run's; "forward", "encoder", "code vector", ...)
    median: np.ndarray  # (N,)
    low: np.ndarray  # (N,)
    high: np.ndarray  # (N,)


@dataclass(frozen=True)
class Overlay:
    """One run's numbers for the overlaid panels (copies). Which curves a run has depends on its
    shape (rnnviz.core.train.group_curves)."""

    label: str
    loss_steps: np.ndarray  # (N,) steps of the smoothed training loss
    loss: np.ndarray  # (N,) median over seeds of the smoothed loss
    loss_low: np.ndarray  # (N,) band: min over seeds (= loss without seeds)
    loss_high: np.ndarray  # (N,) max over seeds
    profiles: tuple  # Curve per stack: batch-mean ||dL/dh_t||, top layer, on the shared held-out batch
    chains: tuple  # Curve per stack: log10 ||dh_T/dh_{T-k}||, top layer, first held-out sequence
    horizons: tuple  # one gradient horizon per seed (the first stack's)
    final_losses: tuple  # one smoothed final loss per seed
    shape: str = "unidirectional"  # the network's shape in words
    part_horizons: dict = None  # stack name -> one horizon per seed (every stack's, in its reading order)
    divider: int | None = None  # encoder-decoder: the first decoder step on the profile's time axis

    # the first stack's curves (a one-stack run's only ones)
    profile = property(lambda self: self.profiles[0].median)  # (T,)
    profile_low = property(lambda self: self.profiles[0].low)
    profile_high = property(lambda self: self.profiles[0].high)
    chain_log10 = property(lambda self: self.chains[0].median)  # (T+1,)
    chain_low = property(lambda self: self.chains[0].low)
    chain_high = property(lambda self: self.chains[0].high)


def band(curves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, min, max) across curves of equal length, ignoring NaN; all NaN where none is finite."""
    stack = np.vstack([np.asarray(c, dtype=float) for c in curves])  # (K, N)
    stack = np.where(np.isfinite(stack), stack, np.nan)  # Inf is no more a value than NaN here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column is a gap, not an error
        return np.nanmedian(stack, axis=0), np.nanmin(stack, axis=0), np.nanmax(stack, axis=0)


def describe_changes(changes: dict) -> str:
    """What a fork changed, for its legend entry: "lr=0.001", "clip norm 0.5", "no clipping"."""
    parts = []
    mode = changes.get("clip_mode")
    for name, value in changes.items():
        if name == "clip_mode":
            parts.append("no clipping" if value == "none" else f"clip {value} {changes.get('clip_threshold', '')}".strip())
        elif name == "clip_threshold" and mode is not None:
            continue
        elif name in WORDS and value in WORDS[name]:
            parts.append(WORDS[name][value])
        else:
            parts.append(f"{name}={value}")
    return ", ".join(parts)


class RunGroup:
    """The first run (a copy of the window's) and its forks."""

    def __init__(self, trainer, label: str = "this run") -> None:
        check_forkable(trainer)
        self.members: list[Member] = [Member(label, copy.deepcopy(trainer), [], False)]
        self.seed_count = 1

    @property
    def trainers(self) -> list:
        return [m.trainer for m in self.members]

    def fork(self, index: int = 0, **changes) -> Member:
        """A sibling of run ``index`` with ``changes`` (TrainConfig / ModelConfig field names)."""
        if len(self.members) >= MAX_RUNS:
            raise UserError(f"at most {MAX_RUNS} runs side by side; remove one first")
        if not changes:
            raise UserError("a fork needs at least one changed setting")
        from_data = sorted(set(changes) & DATA_FIELDS)
        if from_data:
            raise UserError(f"cannot fork with {', '.join(from_data)}: it is set from the data, not chosen")
        unknown = sorted(set(changes) - TRAIN_FIELDS - MODEL_FIELDS)
        if unknown:
            raise UserError(f"cannot fork with {', '.join(unknown)}: not a model or training setting")
        parent = self.members[index].trainer
        trainer, fresh = fork_trainer(parent, changes)
        label = describe_changes(changes)
        if fresh:
            carried = carry_held_units(parent, trainer)
            label += " (fresh weights" + ("; units freed)" if carried is False else ")")
        member = Member(label, trainer, [], fresh, parent.step_count if fresh else 0)
        for k in range(1, self.seed_count):
            member.seeds.append(_seed_companion(trainer, k))
        self.members.append(member)
        return member

    def remove(self, index: int) -> None:
        if index == 0:
            raise UserError("the first run is the reference; remove a fork instead")
        del self.members[index]

    def with_seeds(self, count: int) -> None:
        """Give every run ``count - 1`` companions with the seeds after its own (fresh weights)."""
        if not 1 <= count <= MAX_SEEDS:
            raise UserError(f"seeds must be from 1 to {MAX_SEEDS}, got {count}")
        self.seed_count = count
        for member in self.members:
            member.seeds = [_seed_companion(member.trainer, k) for k in range(1, count)]
            for companion in member.seeds:  # catch up to the run's step count
                companion.run(max(0, member.trainer.step_count - companion.step_count))

    def step_all(self, steps: int = 1, should_stop=None) -> int:
        """Train every run (and seed companion) ``steps`` more steps, one step of each in turn.
        Returns the steps done. A diverged run stops; the others go on."""
        done = 0
        for _ in range(int(steps)):
            for member in self.members:
                for trainer in [member.trainer, *member.seeds]:
                    if trainer.status != "diverged":
                        trainer.step()
            done += 1
            if should_stop is not None and should_stop():
                break
        return done

    def same_batches(self) -> list[bool]:
        """Per run: True when it draws its batches exactly as the first run does (same
        generator state, data cursor, batch size and window)."""
        first = self.members[0].trainer
        return [_batch_state(m.trainer) == _batch_state(first) for m in self.members]

    # ------------------------------------------------------------------ for the panels
    def overlays(self) -> list[Overlay]:
        return [_overlay(member) for member in self.members]

    # ------------------------------------------------------------------ saving the group
    def save(self, folder) -> list:
        """Every run as a session file in ``folder``, and group.json naming them in order."""
        from pathlib import Path

        from rnnviz.core import atomic
        from rnnviz.core.errors import SessionError
        from rnnviz.core.train.session import save

        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a session that cannot be written: its callers have a fallback for that
            raise SessionError(f"cannot create {folder}: {exc.strerror or exc}") from None
        written, entries = [], []
        for i, member in enumerate(self.members):
            name = f"run{i}.npz"
            written.append(save(member.trainer, folder / name))
            entries.append({"file": name, "label": member.label, "fresh": member.fresh, "offset": member.offset})
        atomic.write_text(folder / "group.json", json.dumps({"format": "rnnviz-group", "format_version": 1,
                                                             "runs": entries, "seeds": self.seed_count}, indent=2),
                          what="the group", error=SessionError)
        written.append(folder / "group.json")
        return written

    @classmethod
    def load(cls, folder) -> "RunGroup":
        """A group saved by ``save``: every run exactly where it stopped. Raises UserError."""
        from pathlib import Path

        from rnnviz.core.train.session import load

        folder = Path(folder)
        path = folder / "group.json"
        try:
            if path.stat().st_size > 1 << 16:
                raise UserError(f"{path} is too large to be a group file")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read the group {path}: {exc}") from None
        runs = data.get("runs") if isinstance(data, dict) else None
        if data.get("format") != "rnnviz-group" or not isinstance(runs, list) or not 1 <= len(runs) <= MAX_RUNS:
            raise UserError(f"{path} is not an rnnviz group file")
        group = None
        for entry in runs:
            if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) \
                    or "/" in entry["file"] or not isinstance(entry.get("label"), str):
                raise UserError(f"{path}: a run entry is malformed")
            trainer = load(folder / entry["file"])
            if group is None:
                group = cls.__new__(cls)
                group.members, group.seed_count = [], 1
            offset = entry.get("offset", 0)
            offset = offset if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0 else 0
            group.members.append(Member(entry["label"], trainer, [], bool(entry.get("fresh")), offset))
        seeds = data.get("seeds", 1)
        if isinstance(seeds, int) and 1 < seeds <= MAX_SEEDS:
            group.with_seeds(seeds)
        return group


# ---------------------------------------------------------------------- helpers
def check_forkable(trainer) -> None:
    """Every shape forks; a run that has not been built has nothing to fork (UserError)."""
    if getattr(trainer, "model", None) is None or getattr(trainer, "model_config", None) is None:
        raise UserError("there is no run to fork yet")


def fork_trainer(parent, changes: dict):
    """(the fork, fresh) — see the module docstring."""
    train = {k: v for k, v in changes.items() if k in TRAIN_FIELDS}
    model = {k: v for k, v in changes.items()
             if k in MODEL_FIELDS and (k == "recurrent_scale" or getattr(parent.model_config, k) != v)}
    # a setting the run already has changes nothing (cell=tanh on a tanh run keeps its weights); a
    # recurrent scale always rescales the W_hh that training has moved
    trainer = copy.deepcopy(parent)
    fresh = False
    if model:
        scale_only = set(model) == {"recurrent_scale"}
        try:
            config = replace(parent.model_config, **model)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if scale_only:
            _rescale_recurrent(trainer, model["recurrent_scale"])
            trainer.model_config = config
        else:
            trainer = _fresh_at_same_position(parent, config)
            fresh = True
    if train:
        try:
            trainer.update_train_config(**train)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    return trainer, fresh


def carry_held_units(parent, trainer) -> bool | None:
    """Hold in ``trainer``'s network the units held in ``parent``'s, by name and at the same
    values (the mode kept as a note of how they were chosen). None when none is held; True when
    carried; False when ``trainer``'s stacks differ or lack one of those units (all its units free)."""
    from rnnviz.core.nn.clamp import UnitClamp
    from rnnviz.core.nn.units import held_record, read_held_record, unit_parts

    clamp = getattr(parent.model, "clamp", None)
    if clamp is None:
        return None
    stacks = [[name for name, _ in unit_parts(t.model_config)] for t in (parent, trainer)]
    if stacks[0] != stacks[1]:  # a unit number would name another stack's unit there
        return False
    record = held_record(parent.model_config, clamp.units, clamp.values, clamp.mode)
    try:
        units, values, mode = read_held_record(trainer.model_config, record)
    except ValueError:
        return False
    trainer.model.clamp = UnitClamp(tuple(units), tuple(values), mode)
    trainer.units_mode = getattr(parent, "units_mode", mode)
    return True


def _rescale_recurrent(trainer, sigma: float) -> None:
    """Every W_hh of the (copied) model scaled so its largest singular value is ``sigma``: each
    layer's, of both directions of a bidirectional net and of both stacks of an encoder-decoder
    (``weight_hh_l0_reverse``, ``encoder.weight_hh_l0``, ``decoder.weight_hh_l0``), as the
    recurrent scale is applied when such a network is built."""
    if sigma is None:
        return
    for name, value in trainer.model.params.items():
        if name.rpartition(".")[2].startswith("weight_hh_l"):
            top = float(np.linalg.norm(value, ord=2))
            if top > 0:
                value *= float(sigma) / top


def _fresh_at_same_position(parent, model_config):
    """A new network from the run's seeds, trained from the run's data position and batch generator."""
    from rnnviz.core.train.trainer import Trainer

    source = copy.deepcopy(parent.source)
    try:  # a shape the data cannot take (bidirectional next-token text, ...) says why
        trainer = Trainer(source, model_config, parent.train_config, source_spec=parent.source_spec)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    trainer.rng.bit_generator.state = copy.deepcopy(parent.rng.bit_generator.state)
    trainer.source.set_state(copy.deepcopy(parent.source.get_state()))
    return trainer


def _seed_companion(trainer, k: int):
    """The run's settings with seed + k: fresh weights and batches, from the start."""
    from rnnviz.core.train.trainer import Trainer

    model = replace(trainer.model_config, seed=trainer.model_config.seed + k)
    train = replace(trainer.train_config, seed=trainer.train_config.seed + k)
    from rnnviz.core.data.build import build_source

    spec = trainer.source_spec
    if spec is None:  # data with no recipe: a copy, from where this run's data is now
        companion = Trainer(copy.deepcopy(trainer.source), model, train)
    else:
        if spec.get("kind") == "task":  # a task's sequences come from its seed: the next one
            spec = {**spec, "seed": int(spec.get("seed", 0)) + k}
        companion = Trainer(build_source(spec), model, train, source_spec=spec)
    carry_held_units(trainer, companion)  # the same shape: always carried
    return companion


def shared_batch(trainer) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) every run's profile and chain are measured on when the data has no
    held-out batch: a training batch drawn from the run's data rewound to its start, with the
    run's batch seed, so the runs of a group are measured on the same numbers."""
    from rnnviz.core.train.session import build_source

    tc = trainer.train_config
    spec = getattr(trainer, "source_spec", None)
    if spec is not None:
        source = build_source(spec)
    else:
        source = copy.deepcopy(trainer.source)
        start = getattr(trainer, "_source_state0", None)
        if start is not None:
            source.set_state(copy.deepcopy(start))
    inputs, targets = source.train_batch(tc.batch_size, tc.seq_len, np.random.default_rng(tc.seed))
    return np.asarray(inputs), np.asarray(targets)


def _batch_state(trainer):
    tc = trainer.train_config
    return (json.dumps(trainer.rng.bit_generator.state, sort_keys=True, default=str),
            json.dumps(trainer.source.get_state(), sort_keys=True, default=str), tc.batch_size, tc.seq_len)


def _overlay(member: Member) -> Overlay:
    from rnnviz.core.train.group_curves import run_curves

    runs = [member.trainer, *member.seeds]
    losses, measured, finals = [], [], []
    steps = None
    for trainer in runs:
        s, values = trainer.history.series("loss_smooth")
        steps = s if steps is None or len(s) < len(steps) else steps
        losses.append(values)
        tc = trainer.train_config
        batch = member.trainer.source.validation_batch(tc.batch_size, tc.seq_len)
        if batch is None:
            batch = shared_batch(member.trainer)
        measured.append(run_curves(trainer.model, *batch[:2]))
        finals.append(float(values[-1]) if len(values) else math.nan)
    n = len(steps)
    loss, loss_low, loss_high = band([np.asarray(v, dtype=float)[-n:] if n else np.zeros(0) for v in losses]) \
        if n else (np.zeros(0),) * 3
    first = measured[0]
    profiles = tuple(Curve(name, *band([m.profiles[name] for m in measured])) for name in first.profiles)
    chains = tuple(Curve(name, *band([m.chains[name] for m in measured])) for name in first.chains)
    part_horizons = {name: tuple(m.horizons[name] for m in measured) for name in first.horizons}
    return Overlay(member.label, np.asarray(steps, dtype=float) + member.offset, loss, loss_low, loss_high,
                   profiles, chains, next(iter(part_horizons.values())), tuple(finals), first.shape,
                   part_horizons, first.divider)
