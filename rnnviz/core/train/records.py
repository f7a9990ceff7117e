"""Records that leave the trainer: one per step, and frozen snapshots for the plots; and the
trainer's own record of its last batch.

What leaves holds copies, never live arrays, so it can cross to the GUI thread or be written to
disk while training goes on. ||dL/dh_t|| is computed here once (``rnnviz.core.train.parts.
grad_norms``): per traced batch for the history and the batch mean, per snapshot for its sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from rnnviz.core.train.parts import batch_mean, grad_norms, side_by_side


@dataclass(frozen=True)
class StepResult:
    step: int  # 1-based count of updates applied (or attempted, when diverged)
    loss: float  # training loss of this batch (model units: summed over steps, mean over batch)
    grad_norms: dict  # name -> ||dL/dparam|| before clipping
    grad_norm: float  # global gradient norm before clipping
    clipped_norm: float  # global gradient norm after clipping
    clip_fraction: float  # fraction of gradient elements changed by clipping
    param_norms: dict  # name -> ||param|| after the update
    update_ratio: float  # ||update|| / ||params|| over all parameters
    wall_time: float  # seconds this step took
    diverged: bool = False  # True when a NaN/Inf stopped this update
    divergence: str = ""  # where it first appeared, for people: "step 812: hidden state, layer 0, t=37"
    lr: float = float("nan")  # the learning rate this update used (Trainer.rate; rises with lr_growth)


@dataclass(frozen=True)
class Snapshot:
    step: int
    params: dict  # name -> array copy
    grads: dict  # name -> dL/dparam on the last batch at these params (the clipped, applied
    #              gradients of each step are in the history's norms)
    hidden: np.ndarray  # (T, L, H) one sample's hidden states
    grad_hidden: np.ndarray  # (T, L, H) that sample's dL/dh_t
    grad_hidden_mean: np.ndarray  # (T, L) batch mean of ||dL/dh_t|| (LastBatch.grad_mean)
    inputs: np.ndarray  # (T,) token ids or (T, X) floats, the sample's inputs
    targets: np.ndarray  # the sample's targets
    outputs: np.ndarray  # the sample's outputs (logits / predictions)
    labels: list  # (T,) token labels for the time axis
    diagnostics: object = None  # rnnviz.core.diagnostics.summary.Diagnostics for this sample, when computed
    extras: dict = field(default_factory=dict)  # per-cell arrays for the sample, each (T, L, H)
    parts: tuple = ()  # the stacks whose units are side by side on the last axis of hidden,
    #                    grad_hidden and extras, e.g. ("forward", "backward"); () for one stack
    part_grad_mean: np.ndarray | None = None  # (T, L, P) batch mean of ||dL/dh_t|| of each part's units
    part_steps: tuple = ()  # when the parts follow each other in time (encoder, decoder): their steps
    decoded: np.ndarray | None = None  # (U,) an encoder-decoder's greedy decoding of the sample
    vector_grads: np.ndarray | None = None  # (U,) ‖∂L_t/∂v‖ of a vector-to-sequence net's code, the sample
    shape: str = "unidirectional"  # the network's shape in words (rnnviz.core.nn.shapes.shape_name)
    note: str = ""  # set when this is not a pass through the current weights (they overflow): why
    grad_hidden_norm: np.ndarray = field(init=False, repr=False)  # (T, L) the sample's ||dL/dh_t||
    part_grad_norm: np.ndarray | None = field(init=False, repr=False)  # (T, L, P) per part, or None

    def __post_init__(self) -> None:
        # from this snapshot's own grad_hidden, so a snapshot copied with another one stays whole
        count = 0 if self.part_steps else len(self.parts)
        grad = np.asarray(self.grad_hidden, dtype=float)
        norms = grad_norms(grad) if grad.ndim == 3 else np.zeros((0, 0))
        object.__setattr__(self, "grad_hidden_norm", norms)
        object.__setattr__(self, "part_grad_norm", grad_norms(grad, count) if count and grad.ndim == 3 else None)


@dataclass(frozen=True)
class ViewData:
    """Everything one redraw of the window (or one export) needs, as copies.

    Built by ``Trainer.view_data()`` on the training thread; read by every panel and by the
    exporters, so a figure exported headless is drawn from exactly what the window would show.
    """

    snapshot: Snapshot
    series: dict  # name -> (steps (N,), values (N,)) copies: loss, loss_smooth, val_loss, grad_norm,
    #               clipped_norm, clip_fraction, update_ratio, param_norm, horizon
    flow_steps: np.ndarray  # (S,) training steps at which a gradient profile was recorded
    flow: np.ndarray  # (S, T) batch-mean ||dL/dh_t|| of the bottom layer at those steps
    baseline: float | None  # the source's memoryless baseline, in loss units
    clip_mode: str  # "none", "value" or "norm"
    clip_threshold: float | None
    model_config: dict  # ModelConfig.to_dict()
    train_config: dict  # TrainConfig.to_dict()
    source_name: str
    status: str  # "ready", "running", "finished" or "diverged"
    divergence: str = ""  # where a NaN/Inf first appeared, for people
    connectivity: object = None  # rnnviz.core.diagnostics.connectivity.Connectivity of the shown sample
    units: object = None  # rnnviz.core.train.views.UnitsView: held units, ranking, with/without
    distributions: dict = field(default_factory=dict)  # name -> (steps (N,), rows (N, WIDTH)) copies,
    #               rows as in rnnviz.core.train.distributions (percentiles, then NaN/Inf counts)
    group: object = None  # rnnviz.core.train.group_trainer.GroupView when runs are compared, else None


@dataclass(frozen=True)
class LastBatch:
    """The trainer's last batch, enough to run it through the network again, and (when it was
    run) its trace and gradients. A roll-back point or a loaded session keeps only the batch
    (``trace`` and ``grads`` None): the next snapshot runs it through the weights again."""

    inputs: np.ndarray  # (T, B) token ids or (T, B, X) floats
    targets: np.ndarray  # as the source gives them: (T, B), (T, B, Y), (B,) or (B, Y)
    h0: object  # the state the batch started from: None, (L, B, H), or a tuple of them
    trace: object = None  # rnnviz.core.nn.model.Trace of the batch, or None
    grads: dict | None = None  # name -> dL/dparam on the batch, or None

    def untraced(self) -> "LastBatch":
        return LastBatch(self.inputs, self.targets, self.h0)

    @cached_property
    def grad_norms(self) -> np.ndarray:
        """(T, L, B) ||dL/dh_t|| of every sample, computed once per traced batch."""
        return grad_norms(self.trace.grad_hidden)

    @cached_property
    def grad_mean(self) -> np.ndarray:
        """(T, L) batch mean of ||dL/dh_t|| (over the sequences still running, when padded)."""
        return batch_mean(self.grad_norms, self.trace.lengths)

    @cached_property
    def part_grad_mean(self) -> np.ndarray | None:
        """(T, L, P) batch mean of ||dL/dh_t|| over each part's units, for parts side by side; else None."""
        count = side_by_side(self.trace)
        return batch_mean(grad_norms(self.trace.grad_hidden, count), self.trace.lengths) if count else None
