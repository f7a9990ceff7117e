"""What a Trainer hands out and takes back to continue a run, and its roll-back points.

``state_dict`` gives everything a run needs to continue bitwise as plain values and arrays
(sessions write it); ``load_state_dict`` takes it back after checking it whole, so a bad state
changes nothing. A mixin of ``Trainer`` (rnnviz.core.train.trainer), kept apart so that the
training loop reads on its own; it works on the trainer's own fields and nobody else does.
"""

from __future__ import annotations

import copy

import numpy as np

from rnnviz.core.nn.clamp import CLAMP_MODES, UnitClamp
from rnnviz.core.nn.units import units_per_layer
from rnnviz.core.train.distributions import Distributions
from rnnviz.core.train.history import History
from rnnviz.core.train.records import LastBatch

KEEP_CHECKPOINTS = 3  # roll-back points kept: repeated roll-backs go further back
STATE_KEYS = ("step", "divergence", "loss_smooth", "wall_time", "params", "optimizer", "optimizer_state",
              "carry", "rng", "source_state", "source_initial_state", "history", "distributions",
              "last_batch", "rollback", "units_off", "units_mode")


class RunState:
    """``Trainer``'s saving, loading and roll-back (see the module docstring)."""

    def state_dict(self) -> dict:
        """Everything a run needs to continue bitwise, as copies:

        step, divergence, loss_smooth, wall_time (numbers and text); params (name -> array);
        optimizer (its name) and optimizer_state (``Optimizer.state_arrays``); carry (the carried
        hidden state as a tuple of arrays, () for none); rng (the batch generator's state);
        source_state and source_initial_state (the data cursor now and at the start); history
        and distributions (their ``to_arrays``); last_batch (None, or a ``LastBatch`` without
        trace); rollback (the roll-back points, oldest first: dicts of step, optimizer, params,
        optim, carry, rng, source, smooth and last); units_off (a ``UnitClamp`` or None) and
        units_mode. The configurations are the trainer's ``model_config`` and ``train_config``."""
        return {
            "step": int(self.step_count), "divergence": self.divergence, "loss_smooth": self.loss_smooth,
            "wall_time": float(self.wall_time),
            "params": {name: value.copy() for name, value in self.model.params.items()},
            "optimizer": self.optimizer.name, "optimizer_state": self.optimizer.state_arrays(),
            "carry": parts(self._carry), "rng": copy.deepcopy(self.rng.bit_generator.state),
            "source_state": copy.deepcopy(self.source.get_state()),
            "source_initial_state": copy.deepcopy(self._source_state0),
            "history": self.history.to_arrays(), "distributions": self.distributions.to_arrays(),
            "last_batch": None if self._last is None else self._last.untraced(),
            "rollback": [dict(point) for point in self._checkpoints],
            "units_off": self.units_off, "units_mode": self.units_mode,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue the run ``state`` (from ``state_dict``) describes, on this trainer's model and
        source. Everything is checked before anything changes: a missing key, a parameter of
        another shape or type, another optimizer's state or a unit the network lacks raises
        ValueError (or KeyError / TypeError for a malformed dict) and leaves the trainer as it was."""
        missing = [key for key in STATE_KEYS if key not in state]
        if missing:
            raise KeyError(f"the run's state lacks {', '.join(missing)}")
        tc, mc = self.train_config, self.model_config
        params = state["params"]
        for name, current in self.model.params.items():
            value = params.get(name)
            if not isinstance(value, np.ndarray) or value.shape != current.shape or value.dtype != current.dtype:
                raise ValueError(f"parameter {name} is missing or has the wrong shape or type")
        if state["optimizer"] != self.optimizer.name:
            raise ValueError("the optimizer state does not belong to the configured optimizer")
        optimizer = self._new_optimizer()
        optimizer.load_state_arrays(state["optimizer_state"])
        history = History.from_arrays(state["history"], tc.history_size, tc.flow_size)
        distributions = Distributions.from_arrays(state["distributions"], tc.flow_size)  # older files: empty
        clamp = state["units_off"]
        if clamp is not None:
            if not isinstance(clamp, UnitClamp):
                raise TypeError("units_off must be a UnitClamp or None")
            clamp.check(mc.num_layers, units_per_layer(mc))
        if state["units_mode"] not in CLAMP_MODES:
            raise ValueError(f"units are held at 'zero' or 'mean', not {state['units_mode']!r}")
        last = state["last_batch"]
        if last is not None and not isinstance(last, LastBatch):
            raise TypeError("last_batch must be a LastBatch or None")
        smooth = None if state["loss_smooth"] is None else float(state["loss_smooth"])
        step, wall_time, divergence = int(state["step"]), float(state["wall_time"]), str(state["divergence"] or "")
        carry = join(state["carry"])
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]
        points = [dict(point) for point in state["rollback"] if point["step"] < step]
        source_before = copy.deepcopy(self.source.get_state())
        try:
            self.source.set_state(state["source_state"])
            if last is not None:  # the last batch again, through the loaded weights
                traced = self._traced_with(params, clamp if clamp is not None and clamp.units else None, last)
        except BaseException:
            self.source.set_state(source_before)
            raise
        # checked; nothing below can fail half-way
        for name, current in self.model.params.items():
            current[...] = params[name]
        self.model.clamp = clamp if clamp is not None and clamp.units else None
        self.units_mode = state["units_mode"]
        self.optimizer, self.history, self.distributions, self.rng = optimizer, history, distributions, rng
        self.step_count, self.divergence, self.loss_smooth, self.wall_time = step, divergence, smooth, wall_time
        self._carry = carry
        self._source_state0 = copy.deepcopy(state["source_initial_state"])
        self._last = traced if last is not None else None
        self._last_is_current = False
        self._last_updates, self.view_note, self.last_result = None, "", None
        self._checkpoints = points
        self._checkpoint()

    def _traced_with(self, params: dict, clamp, last: LastBatch) -> LastBatch:
        """``last`` run through ``params`` with ``clamp``'s units held (the model's own weights and
        held units are put back afterwards)."""
        now = {name: value.copy() for name, value in self.model.params.items()}
        held = getattr(self.model, "clamp", None)
        try:
            for name, current in self.model.params.items():
                current[...] = params[name]
            self.model.clamp = clamp
            return self._trace_batch(last.inputs, last.targets, last.h0)
        finally:
            for name, value in now.items():
                self.model.params[name][...] = value
            self.model.clamp = held

    # ------------------------------------------------------------------ roll-back
    def _checkpoint(self) -> None:
        self._checkpoints.append({
            "step": self.step_count, "optimizer": self.optimizer.name,
            "params": {n: p.copy() for n, p in self.model.params.items()},
            "optim": self.optimizer.state_arrays(), "carry": copy_state(self._carry),
            "rng": copy.deepcopy(self.rng.bit_generator.state),
            "source": copy.deepcopy(self.source.get_state()), "smooth": self.loss_smooth, "last": self._last,
        })
        del self._checkpoints[:-KEEP_CHECKPOINTS]

    def rollback_target(self) -> int:
        """The step that ``rollback()`` would return to."""
        return self._rollback_checkpoint()["step"]

    def _rollback_checkpoint(self) -> dict:
        earlier = [cp for cp in self._checkpoints if cp["step"] < self.step_count]
        return earlier[-1] if earlier else self._checkpoints[0]

    def rollback(self) -> int:
        """Go back to the latest checkpoint before the current step (every ``checkpoint_every``
        steps, and the start); call again to go further back. Returns the step now current."""
        target = self._rollback_checkpoint()
        self._checkpoints = [cp for cp in self._checkpoints if cp["step"] <= target["step"]]
        for name, value in target["params"].items():
            self.model.params[name][...] = value
        if target["optimizer"] == self.optimizer.name:
            self.optimizer.load_state_arrays(target["optim"])
        else:
            self.optimizer = self._new_optimizer()
        self.rng.bit_generator.state = copy.deepcopy(target["rng"])
        self.source.set_state(copy.deepcopy(target["source"]))
        self.step_count = target["step"]
        self.loss_smooth = target["smooth"]
        self._carry = copy_state(target["carry"])
        self._last = target["last"]
        self._last_is_current = False
        self._last_updates = None
        self.view_note = ""
        self.history.truncate(self.step_count)
        self.distributions.truncate(self.step_count)
        self.divergence = ""
        return self.step_count


# ---------------------------------------------------------------------- helpers
def parts(state) -> tuple:
    """A carried state as a tuple of arrays: () for None, one array, or a tuple of them."""
    if state is None:
        return ()
    return tuple(np.array(part, copy=True) for part in (state if isinstance(state, tuple) else (state,)))


def join(pieces) -> object:
    """The inverse of ``parts``: None, one array, or a tuple of them."""
    pieces = tuple(pieces)
    if not pieces:
        return None
    return pieces if len(pieces) > 1 else pieces[0]


def copy_state(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.copy() for s in state)
    return state.copy()
