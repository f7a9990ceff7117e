"""Records that leave the trainer: one per step, and frozen snapshots for the plots.

They hold copies, never live arrays, so they can cross to the GUI thread or be written to
disk while training goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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


@dataclass(frozen=True)
class Snapshot:
    step: int
    params: dict  # name -> array copy
    grads: dict  # name -> array copy (before clipping)
    hidden: np.ndarray  # (T, L, H) one sample's hidden states
    grad_hidden: np.ndarray  # (T, L, H) that sample's dL/dh_t
    grad_hidden_mean: np.ndarray  # (T, L) batch mean of ||dL/dh_t||
    inputs: np.ndarray  # (T,) token ids or (T, X) floats, the sample's inputs
    targets: np.ndarray  # the sample's targets
    outputs: np.ndarray  # the sample's outputs (logits / predictions)
    labels: list  # (T,) token labels for the time axis
    diagnostics: object = None  # rnnviz.core.diagnostics.Diagnostics for this sample, when computed
    extras: dict = field(default_factory=dict)  # per-cell arrays for the sample, each (T, L, H)
