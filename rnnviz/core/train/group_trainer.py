"""Runs compared inside the window: a ``RunGroup`` that trains like one run.

The window's training thread drives one object that behaves as a Trainer. When runs are
compared that object is a ``GroupedTrainer``: every ``step()`` steps every run of the group
(and its seed companions) once, on the same batches; ``view_data()`` is the *selected* run's
view (so every panel shows that run's own snapshot: the run selector), with a ``GroupView``
attached that the loss, gradient and chain panels overlay. Anything else a Trainer is asked
(its model, source, history, settings, roll-back ...) is the selected run's.

The window changes the group (fork, remove, select, seeds) from its own thread while training
goes on in another: every change and every step holds the group's lock, so a change lands
between two steps and a view is never taken half-way through one.

Saving: a session of the first run at the chosen path, so it opens anywhere as a run of its
own, and the whole group in the folder beside it (``<name>.group/``: group.json and one
session per run); opening that session restores the group.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from rnnviz.core.errors import UserError
from rnnviz.core.train.group import RunGroup

OVERLAY_SECONDS = 0.5  # the overlays cost a pass per run and seed: recomputed at most this often


@dataclass(frozen=True)
class GroupView:
    """The runs compared, as the panels read them (copies)."""

    labels: tuple  # each run's legend: what differs from the first
    selected: int  # the run whose snapshot the window shows
    overlays: tuple  # rnnviz.core.train.group.Overlay per run, in order
    steps: tuple  # each run's step count
    same_batches: tuple  # per run: does it draw the first run's batches?
    seeds: int  # seeds per run (1: no bands)


def group_folder(path) -> Path:
    """Where the group of a session saved at ``path`` lives: ``run.npz`` -> ``run.group/``."""
    path = Path(path)
    return path.with_name(path.stem + ".group")


class GroupedTrainer:
    """A RunGroup with a selected run, driven as one Trainer (see the module docstring)."""

    def __init__(self, group: RunGroup, selected: int = 0) -> None:
        self.group = group
        self._lock = threading.RLock()
        self._selected = 0
        self._overlays: tuple = ()
        self._overlaid_at = (-1.0, None)  # (time, step counts) of the overlays kept
        self.select(selected)

    # ------------------------------------------------------------------ the selected run
    @property
    def selected(self) -> int:
        return self._selected

    @property
    def current(self):
        """The selected run's Trainer."""
        return self.group.members[self._selected].trainer

    def __getattr__(self, name):
        # only called for what this class does not define: the selected run answers
        if name.startswith("__") or name in ("group", "_lock", "_selected"):
            raise AttributeError(name)
        return getattr(self.current, name)

    def __deepcopy__(self, memo):
        """A copy of the selected run (what a copy of "the run" means to code that asks for one)."""
        import copy

        with self._lock:
            return copy.deepcopy(self.current, memo)

    # ------------------------------------------------------------------ changes from the window
    def select(self, index: int) -> None:
        with self._lock:
            if not 0 <= int(index) < len(self.group.members):
                raise UserError(f"there is no run {index}; the group has {len(self.group.members)}")
            self._selected = int(index)

    def fork(self, changes: dict, index: int | None = None):
        """A sibling of run ``index`` (default: the selected one) with ``changes``. The window goes
        on showing the run it showed; the fork appears beside it in the overlays."""
        with self._lock:
            member = self.group.fork(self._selected if index is None else index, **changes)
            self._overlaid_at = (-1.0, None)
            return member

    def remove(self, index: int) -> None:
        with self._lock:
            self.group.remove(index)
            self._selected = min(self._selected, len(self.group.members) - 1)
            self._overlaid_at = (-1.0, None)

    def with_seeds(self, count: int) -> None:
        with self._lock:
            self.group.with_seeds(count)
            self._overlaid_at = (-1.0, None)

    # ------------------------------------------------------------------ training
    def step(self):
        """One step of every run and seed companion; the selected run's StepResult."""
        with self._lock:
            chosen = None
            for k, member in enumerate(self.group.members):
                for trainer in (member.trainer, *member.seeds):
                    if trainer is not self.current and trainer.status == "diverged":
                        continue  # a diverged sibling stops; the others go on
                    if trainer.status == "finished":
                        trainer.update_train_config(steps=trainer.step_count + 1)
                    result = trainer.step()
                    if trainer is self.current:
                        chosen = result
            return chosen

    def run(self, n: int | None = None, on_step=None):
        """Up to ``n`` steps of every run, as ``Trainer.run``: stops when the selected run diverges
        or ``on_step(result)`` returns False."""
        result = None
        for _ in range(max(0, int(n or 0))):
            result = self.step()
            if result.diverged or (on_step is not None and on_step(result) is False):
                break
        return result

    # ------------------------------------------------------------------ views
    def group_view(self, force: bool = False) -> GroupView:
        with self._lock:
            counts = tuple(m.trainer.step_count for m in self.group.members)
            when, at = self._overlaid_at
            if force or at != counts and time.perf_counter() - when >= OVERLAY_SECONDS or len(self._overlays) != len(counts):
                self._overlays = tuple(self.group.overlays())
                self._overlaid_at = (time.perf_counter(), counts)
            return GroupView(labels=tuple(m.label for m in self.group.members), selected=self._selected,
                             overlays=self._overlays, steps=counts, same_batches=tuple(self.group.same_batches()),
                             seeds=self.group.seed_count)

    def view_data(self, *args, **kwargs):
        """The selected run's view, with the group attached."""
        with self._lock:
            view = self.current.view_data(*args, **kwargs)
            return replace(view, group=self.group_view())

    # ------------------------------------------------------------------ sessions
    def save_session(self, path) -> Path:
        """The first run's session at ``path``, the whole group in ``group_folder(path)``."""
        from rnnviz.core.train import session

        with self._lock:
            self.group.save(group_folder(path))
            return session.save(self.group.members[0].trainer, path)


def load_group_beside(path, first=None) -> GroupedTrainer | None:
    """The group saved beside the session at ``path``, or None when there is none. ``first``: the
    session's own run, already loaded, used as the group's first run. Raises UserError."""
    folder = group_folder(path)
    if not (folder / "group.json").is_file():
        return None
    group = RunGroup.load(folder)
    if first is not None:
        group.members[0].trainer = first
    return GroupedTrainer(group)
