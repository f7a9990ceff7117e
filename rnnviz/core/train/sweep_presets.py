"""Sweeps that redo the papers' experiments, each at a size that runs in minutes on a laptop.

A preset is plain data: the settings to vary, those to hold fixed, the number of seeds, the
value the phase diagram shows, and what the user should see. Command-line flags override it
(``--vary length=...`` replaces the preset's lengths, ``--steps`` its steps). The stories are
asserted at a smaller size by tests/core/train/test_sweep_presets.py.
"""

from __future__ import annotations

from typing import NamedTuple

from rnnviz.core.errors import UserError


class SweepPreset(NamedTuple):
    vary: tuple  # --vary texts
    fixed: dict  # settings held fixed
    seeds: int
    metric: str  # what the phase diagram shows
    story: str


SWEEP_PRESETS = {
    "latching": SweepPreset(
        vary=("length=5,10,20,40,80", "hidden=4,8"),
        fixed={"task": "latching", "cell": "tanh", "optimizer": "sgd", "lr": 0.1, "batch": 32, "steps": 300},
        seeds=5, metric="success",
        story="Bengio, Simard & Frasconi (1994): the share of tanh networks trained by gradient descent "
              "that learn to latch a bit falls towards 0 as the sequence grows."),
    "adding": SweepPreset(
        vary=("length=10,20,40,80", "cell=tanh,irnn,lstm"),
        fixed={"task": "adding", "hidden": 32, "optimizer": "adam", "lr": 0.01, "clip_norm": 1.0,
               "batch": 32, "steps": 1500},
        seeds=3, metric="loss_ratio",
        story="Le, Jaitly & Hinton (2015): as T grows the tanh network stays on the baseline of the "
              "adding problem while the IRNN and the LSTM get below it."),
    "edge-of-chaos": SweepPreset(
        vary=("recurrent_scale=0.5:1.5:11", "length=10,20,50,100,200", "cell=linear,tanh"),
        fixed={"task": "adding", "init": "orthogonal", "hidden": 32, "steps": 0},
        seeds=3, metric="chain_start_log10",
        story="The Jacobian chain across the whole sequence at initialisation: it vanishes below "
              "sigma_max = 1 and explodes above it for a linear network (orthogonal W_hh: chain = "
              "sigma^T), and for tanh the boundary sits near 1 and moves up as the units saturate."),
}
SWEEP_PRESET_NAMES = tuple(SWEEP_PRESETS)


def get_sweep_preset(name: str) -> SweepPreset:
    key = "".join(ch for ch in str(name).lower() if ch.isalnum())
    for preset_name, preset in SWEEP_PRESETS.items():
        if "".join(ch for ch in preset_name if ch.isalnum()) == key:
            return preset
    raise UserError(f"unknown sweep preset {name!r}; choose one of: {', '.join(SWEEP_PRESET_NAMES)}")
