"""The training loop as plain code: one call, one update, and copies for whoever watches.

No threads live here: the window runs ``Trainer.run`` on a worker thread and stops it through
the ``on_step`` callback; the command line calls it directly. Every step is checked for NaN
and Inf before anything changes, so a blow-up is caught where it starts (the step, and the
parameter or the hidden state's layer and timestep), the weights stay at their last finite
values, and the user can roll back, lower the learning rate or turn clipping on, and go on.

The per-step path does only what every step needs (forward, backward, norms, clipping, the
update, a few scalars into the history); gradient profiles are recorded every ``diag_every``
steps, the held-out loss every ``val_every`` steps, and the full diagnostics only when a
snapshot is asked for.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import fields, replace

import numpy as np

from rnnviz.core.diagnostics import summary as diagnostics
from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.train import divergence as blowup
from rnnviz.core.train.distributions import Distributions
from rnnviz.core.train.history import SERIES, History
from rnnviz.core.nn.shapes import make_model
from rnnviz.core.train.parts import check_shape_fits
from rnnviz.core.nn.optim import Optimizer, clip, square_norm, sum_of_squares
from rnnviz.core.nn.torch_names import READOUT_PREFIX  # the read-out's parameters in every shape
from rnnviz.core.train.records import LastBatch, StepResult
from rnnviz.core.train.state import RunState
from rnnviz.core.train.viewing import Viewing

LOG_FLOOR = 1e-300  # a loss of exactly 0 (squared error) is averaged as this, not as log 0
SMOOTHING = 0.98  # loss_smooth averages roughly the last 50 steps, like char-rnn's smooth_loss,
#                   bias-corrected (as Adam's moments) so that it does not lag the first 50 steps


def smoothed(previous: float | None, loss: float, n: int) -> float:
    """The n-th bias-corrected moving average of the losses, taken in log space.

    With m_n = beta m_{n-1} + (1 - beta) log x_n started at m_0 = 0, the corrected value is
    exp(m_n / (1 - beta^n)); rewritten in terms of the previous result it needs no extra state.
    In log space because a loss can span ten decades (an exploding run starts near 1e10): an
    arithmetic average would stay dominated by the first spikes long after the loss came down.
    """
    if previous is None or n <= 1:
        return loss
    kept = SMOOTHING * (1 - SMOOTHING ** (n - 1))
    log_mean = (kept * math.log(max(previous, LOG_FLOOR)) + (1 - SMOOTHING) * math.log(max(loss, LOG_FLOOR)))
    return math.exp(log_mean / (1 - SMOOTHING ** n))


class Trainer(RunState, Viewing):
    """One model, one data source, one optimizer: the state of a training run. Saving, loading
    and roll-back are in ``RunState`` (rnnviz.core.train.state); snapshots, views and held units
    in ``Viewing`` (rnnviz.core.train.viewing)."""

    def __init__(self, source, model_config: ModelConfig | None = None,
                 train_config: TrainConfig | None = None, *, source_spec: dict | None = None,
                 initial_params: dict | None = None) -> None:
        self.source = source
        # how to rebuild the source from a session file; see rnnviz.core.data.build
        self.source_spec = source_spec if source_spec is not None else getattr(source, "spec", None)
        model_config = model_config if model_config is not None else ModelConfig()
        self.model_config = replace(model_config, input_size=source.input_size, output_size=source.output_size,
                                    pad_id=getattr(source, "pad_id", None),
                                    source_length=getattr(source, "source_length", None))
        check_shape_fits(source, self.model_config)
        self.train_config = self._fit_to_source(train_config if train_config is not None else TrainConfig())
        self._check_source_fits(self.train_config)
        self._source_state0 = copy.deepcopy(source.get_state())
        # weights to start (and reset) from instead of the init's, e.g. imported: {name: array}
        self.initial_params = initial_params
        self._build()

    def _check_source_fits(self, config: TrainConfig) -> None:
        """Data too short for one window is refused here (DataError), before it can replace a
        working run; sources that read a finite stream say so with ``check_window``."""
        check = getattr(self.source, "check_window", None)
        if check is not None:
            check(config.batch_size, config.seq_len)

    def _build(self) -> None:
        tc = self.train_config
        self.model = make_model(self.model_config)
        self.optimizer = self._new_optimizer()
        self.rng = np.random.default_rng(tc.seed)
        for name, value in (self.initial_params or {}).items():
            target = self.model.params[name]
            if np.shape(value) != target.shape:
                raise ValueError(f"initial {name} has shape {np.shape(value)}, the network's is {target.shape}")
            target[...] = value
        self.history = History(tc.history_size, tc.flow_size)
        self.distributions = Distributions(tc.flow_size)  # percentile bands, recorded with the profiles
        self._ranked = None  # the last unit ranking, reused by views for a few seconds
        self.step_count = 0
        self.divergence = ""  # where a NaN/Inf first appeared, for people
        self.loss_smooth: float | None = None
        self.last_result: StepResult | None = None
        self.wall_time = 0.0  # seconds spent in step() over the whole run (sessions included)
        self._carry = None  # hidden state carried into the next window, or None
        self._last: LastBatch | None = None  # the last finite step's batch, traced
        self._last_is_current = False  # True once _last was traced with the weights as they are now
        self.view_note = ""  # why a snapshot shows an older pass than the current weights', or ""
        self._last_updates = None  # the last update applied (None after a roll-back)
        self._val_batch = None  # ((batch_size, seq_len), batch or None)
        self._checkpoints: list[dict] = []
        self._checkpoint()

    def _fit_to_source(self, config: TrainConfig) -> TrainConfig:
        """A task fixes its own sequence length (``sequence_length``): the window follows it."""
        length = getattr(self.source, "sequence_length", None)
        if isinstance(length, int) and 1 <= length <= 10000 and length != config.seq_len:
            return replace(config, seq_len=length)
        return config

    def _new_optimizer(self) -> Optimizer:
        tc = self.train_config
        return Optimizer(tc.optimizer, self.model.params, momentum=tc.momentum, rms_decay=tc.rms_decay,
                         beta1=tc.beta1, beta2=tc.beta2, eps=tc.eps)

    @property
    def status(self) -> str:
        """"diverged" after a NaN/Inf, "finished" once ``train_config.steps`` updates are done
        (the run's planned length; ``run`` may go past it), else "ready"."""
        if self.divergence:
            return "diverged"
        return "finished" if self.step_count >= self.train_config.steps else "ready"

    def rate(self, step: int | None = None) -> float:
        """The learning rate of the run's ``step``-th update (default: the next one):
        ``lr * lr_growth^(step - 1)``, so a growth of 1 keeps ``lr``. Inf once it overflows,
        which the update's own check then reports as a divergence."""
        tc = self.train_config
        step = self.step_count + 1 if step is None else step
        try:
            return tc.lr * tc.lr_growth ** (step - 1)
        except OverflowError:  # growth^(step - 1) is beyond a float
            return math.inf

    def _readout_rate(self, updates: dict) -> None:
        """Rescale the read-out layer's updates (``out.*``) to its own rate, when it has one.
        Every update rule's step is proportional to its rate, so one factor is exact."""
        tc = self.train_config
        if tc.readout_lr is None or tc.readout_lr == tc.lr:
            return
        factor = tc.readout_lr / tc.lr  # the same growth applies to both rates
        for name in updates:
            if name.startswith(READOUT_PREFIX):
                updates[name] = updates[name] * factor

    @property
    def steps_left(self) -> int:
        """Steps to go until the planned length ``train_config.steps``: ``run(trainer.steps_left)``."""
        return max(0, self.train_config.steps - self.step_count)

    def initial_source_state(self):
        """A copy of the data cursor as the run started (a reset, a fork or a twin replays from it)."""
        return copy.deepcopy(self._source_state0)

    @property
    def last_batch(self) -> LastBatch | None:
        """The last step's batch with its trace and gradients (None before any step)."""
        return self._last

    @property
    def carry_state(self) -> bool:
        carry = self.train_config.carry_state
        return bool(self.source.carry_state) if carry is None else carry

    # ------------------------------------------------------------------ one step
    def step(self) -> StepResult:
        """Draw a batch, compute the gradients, clip, update; or stop at the first NaN/Inf."""
        with np.errstate(all="ignore"):  # overflow is expected near a blow-up, and is caught
            return self._step()

    def _step(self) -> StepResult:
        tc = self.train_config
        start = time.perf_counter()
        before = (self.rng.bit_generator.state, self.source.get_state())  # to rewind a failed step
        inputs, targets = self.source.train_batch(tc.batch_size, tc.seq_len, self.rng)
        h0 = self._carry if self.carry_state else None
        attempt = self.step_count + 1
        params = self.model.params
        loss, grads, trace = self.model.loss_and_grads(inputs, targets, h0)
        loss = float(loss)
        grad_sq = {name: square_norm(g) for name, g in grads.items()}
        where = (blowup.forward_problem(loss, trace)
                 or blowup.gradient_problem(grad_sq, grads, self.model_config.num_layers))
        if where:
            self.distributions.record(attempt, params, grads, trace.hidden)  # NaN/Inf counted, as a mark
            return self._diverged(attempt, loss, grad_sq, where, start, before)
        grad_norm = math.sqrt(sum(grad_sq.values()))
        clipped = clip(grads, tc.clip_mode, tc.clip_threshold, grad_norm)
        rate = self.rate(attempt)
        updates, new_state = self.optimizer.propose(clipped.grads, rate)
        self._readout_rate(updates)
        param_sq = {name: square_norm(params[name] - updates[name]) for name in params}  # after the update
        bad = [name for name, v in param_sq.items() if not math.isfinite(v)]
        if bad:
            return self._diverged(attempt, loss, grad_sq, f"parameter {bad[0]} overflowed in the update",
                                  start, before)
        self.optimizer.apply(params, updates, new_state)
        self._last_updates = updates  # to show the weights before this update, should they overflow
        update_norm = math.sqrt(sum_of_squares(updates))
        param_norm = math.sqrt(sum(param_sq.values()))

        self.step_count = attempt
        self._carry = trace.state_last if self.carry_state else None
        self._last = LastBatch(inputs, targets, h0, trace, grads)
        self._last_is_current = False  # that trace came from the weights before this update
        self.loss_smooth = smoothed(self.loss_smooth, loss, attempt)
        update_ratio = update_norm / param_norm if param_norm > 0 else 0.0
        self.history.record(attempt, loss=loss, loss_smooth=self.loss_smooth, grad_norm=grad_norm,
                            clipped_norm=clipped.norm_after, clip_fraction=clipped.fraction,
                            update_ratio=update_ratio, param_norm=param_norm)
        if attempt % tc.diag_every == 0 or attempt == 1:
            self._record_profile(attempt, self._last)
            self.distributions.record(attempt, params, grads, trace.hidden)
        if attempt % tc.val_every == 0:
            val = self.validation_loss()
            if val is not None:
                self.history.append("val_loss", attempt, val)
        if attempt % tc.checkpoint_every == 0:
            self._checkpoint()
        self.divergence = ""
        seconds = time.perf_counter() - start
        self.wall_time += seconds
        self.last_result = StepResult(
            step=attempt, loss=loss, grad_norms={n: math.sqrt(v) for n, v in grad_sq.items()},
            grad_norm=grad_norm, clipped_norm=clipped.norm_after, clip_fraction=clipped.fraction,
            param_norms={n: math.sqrt(v) for n, v in param_sq.items()}, update_ratio=update_ratio,
            wall_time=seconds, lr=self.rate(attempt))
        return self.last_result

    def _diverged(self, attempt, loss, grad_sq, where, start, before) -> StepResult:
        """Nothing is applied: weights, optimizer memory, carried state, the batch generator and
        the data cursor stay as they were, so the step can be retried (with a lower lr, say)."""
        self.rng.bit_generator.state, source_state = before
        self.source.set_state(source_state)
        self.divergence = f"step {attempt}: {where}"
        grad_norm = math.sqrt(sum(grad_sq.values())) if all(map(math.isfinite, grad_sq.values())) else math.inf
        self.last_result = StepResult(
            step=attempt, loss=loss, grad_norms={n: math.sqrt(v) for n, v in grad_sq.items()},
            grad_norm=grad_norm, clipped_norm=math.nan, clip_fraction=0.0,
            param_norms={n: math.sqrt(square_norm(p)) for n, p in self.model.params.items()},
            update_ratio=0.0, wall_time=time.perf_counter() - start, diverged=True, divergence=self.divergence,
            lr=self.rate(attempt))
        return self.last_result

    def run(self, steps: int, on_step=None) -> StepResult | None:
        """Up to ``steps`` steps. Stops at divergence, or as soon as ``on_step(result)`` returns
        False. Returns the last StepResult (None if no step ran). ``train_config.steps`` (the
        run's planned length, which ``status`` compares with) does not limit it."""
        result = None
        for _ in range(max(0, int(steps))):
            result = self.step()
            if result.diverged or (on_step is not None and on_step(result) is False):
                break
        return result

    # ------------------------------------------------------------------ periodic measurements
    def _record_profile(self, step: int, last: LastBatch) -> None:
        norms = last.grad_mean  # (T, L) batch mean of ||dL/dh_t||
        self.history.record_profile(step, norms[:, 0])
        self.history.append("horizon", step, diagnostics.gradient_horizon(norms[:, -1]))  # top layer

    def validation_loss(self) -> float | None:
        """Loss on the source's fixed held-out batch (fresh state, no gradients), or None."""
        tc = self.train_config
        key = (tc.batch_size, tc.seq_len)
        if self._val_batch is None or self._val_batch[0] != key:
            self._val_batch = (key, self.source.validation_batch(*key))
        batch = self._val_batch[1]
        if batch is None:
            return None
        inputs, targets = batch
        with np.errstate(all="ignore"):
            mc = self.model_config
            if mc.bidirectional or mc.pad_id is not None or mc.arch != "stack":
                return self.model.loss(inputs, targets)  # h_n of both directions, each sequence's end
            outputs, _ = self.model.forward(inputs)  # (T, B, Y)
            return blowup.loss(outputs, np.asarray(targets))

    # ------------------------------------------------------------------ changing the run
    def update_train_config(self, **changes) -> TrainConfig:
        """Change settings between steps (lr, clipping, ...); raises ValueError naming the field.

        A new optimizer starts with fresh state; a new batch size drops the carried state;
        a new seed takes effect at ``reset()``. A diverged run becomes ready to continue."""
        known = {f.name for f in fields(TrainConfig)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown training setting(s): {', '.join(unknown)}")
        old, new = self.train_config, self._fit_to_source(replace(self.train_config, **changes))
        if (new.batch_size, new.seq_len) != (old.batch_size, old.seq_len):
            self._check_source_fits(new)  # raises before anything changes
        self.train_config = new
        if new.optimizer != old.optimizer:
            self.optimizer = self._new_optimizer()
        else:
            for name in ("momentum", "rms_decay", "beta1", "beta2", "eps"):
                setattr(self.optimizer, name, getattr(new, name))
        if new.batch_size != old.batch_size or new.carry_state != old.carry_state:
            self._carry = None
        if (new.history_size, new.flow_size) != (old.history_size, old.flow_size):
            self._rebin_history()
        self.divergence = ""
        return new

    def _rebin_history(self) -> None:
        tc = self.train_config
        fresh = History(tc.history_size, tc.flow_size)
        for name in SERIES:
            fresh.extend(name, *self.history.series(name))
        for step, row in zip(*self.history.flow()):
            fresh.record_profile(step, row)
        self.history = fresh
        self.distributions = self.distributions.rebinned(tc.flow_size)

    def reset(self) -> None:
        """Start over: the same configurations give the same weights and the same batches."""
        self.source.set_state(copy.deepcopy(self._source_state0))
        self._build()
