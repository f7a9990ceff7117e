"""Each paper preset's story, asserted on the numbers its points produce, at a small size.

The points run here in this process (``run_point`` directly): what is checked is the science,
not Dask, which tests/cli/test_sweep.py covers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core.train.sweep import run_point
from rnnviz.core.train.sweep_grid import make_grid
from rnnviz.core.train.sweep_presets import SWEEP_PRESETS, get_sweep_preset
from rnnviz.core.errors import UserError


def rows(fixed: dict, vary: list[str], seeds: int) -> list[dict]:
    grid = make_grid(vary, fixed, list(range(seeds)))
    return [{**settings, "seed": seed, **run_point(settings, seed)} for _, settings, seed in grid.tasks()]


def test_presets_make_valid_grids():
    for name, preset in SWEEP_PRESETS.items():
        grid = make_grid(list(preset.vary), preset.fixed, list(range(preset.seeds)))
        assert len(grid.tasks()) > 1, name
    assert get_sweep_preset("Edge of chaos") is SWEEP_PRESETS["edge-of-chaos"]
    with pytest.raises(UserError, match="latching"):
        get_sweep_preset("nope")


@pytest.mark.slow
def test_latching_success_falls_as_the_sequence_grows():
    """Bengio et al. 1994: short sequences are latched by every seed, long ones by few."""
    fixed = {k: v for k, v in SWEEP_PRESETS["latching"].fixed.items()}
    found = rows({**fixed, "hidden": 8}, ["length=5,40"], seeds=5)
    rate = {T: np.mean([r["success"] for r in found if r["length"] == T]) for T in (5, 40)}
    assert rate[5] == 1.0
    assert rate[40] <= 0.4
    long_accuracy = [r["accuracy"] for r in found if r["length"] == 40 and not r["success"]]
    assert all(a < 0.7 for a in long_accuracy)  # the failures are near chance, not near misses


@pytest.mark.slow
def test_adding_lstm_gets_below_the_baseline_where_tanh_stays_on_it():
    """Le et al. 2015 at a small size (T=30, H=8, 400 steps): the LSTM's loss falls far below the
    baseline, tanh's stays near it; the IRNN keeps its gradient reaching the first step (its
    horizon is the whole sequence and its chain far above tanh's), though at this budget it has
    not yet used it (the paper trained it for far longer)."""
    fixed = {**SWEEP_PRESETS["adding"].fixed, "hidden": 8, "steps": 400}
    found = rows(fixed, ["length=30", "cell=tanh,irnn,lstm"], seeds=2)
    by = {cell: [r for r in found if r["cell"] == cell] for cell in ("tanh", "irnn", "lstm")}
    median = {cell: float(np.median([r["loss_ratio"] for r in rs])) for cell, rs in by.items()}
    assert median["lstm"] < 0.1
    assert median["tanh"] > 0.5
    assert all(r["horizon_end"] == 29 for r in by["irnn"])
    assert min(r["chain_end_log10"] for r in by["irnn"]) > max(r["chain_end_log10"] for r in by["tanh"])


def test_edge_of_chaos_boundary_at_one_for_linear_and_above_it_for_tanh():
    fixed = {**SWEEP_PRESETS["edge-of-chaos"].fixed, "hidden": 8}
    found = rows(fixed, ["recurrent_scale=0.8,0.9,1.0,1.1,1.5", "length=10,50", "cell=linear,tanh"], seeds=1)
    for r in found:
        if r["cell"] == "linear":  # orthogonal W_hh scaled to sigma: every singular value sigma, chain sigma^T
            assert r["chain_start_log10"] == pytest.approx(r["length"] * math.log10(r["recurrent_scale"]), abs=1e-3)
        elif r["recurrent_scale"] <= 1.0:  # tanh' <= 1: never above the linear chain, vanishing below 1
            assert r["chain_start_log10"] < 0
    tanh_long = {r["recurrent_scale"]: r["chain_start_log10"] for r in found
                 if r["cell"] == "tanh" and r["length"] == 50}
    assert tanh_long[1.1] < 0 < tanh_long[1.5]  # the boundary lies above 1, near it
    assert all(r["steps_done"] == 0 for r in found)
