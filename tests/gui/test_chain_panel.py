"""The chain panel's badge agrees with the horizon line beside it, or says on screen why not."""

from __future__ import annotations

import dataclasses

import numpy as np

from rnnviz.gui.panels.chain import ChainPanel
from tests.gui.factories import build, make_view

T = 12


def with_regime(view, regime: str, horizon: int, scored: int):
    snapshot = view.snapshot
    diag = dataclasses.replace(snapshot.diagnostics, regime=regime, horizon=horizon)
    targets = snapshot.targets[:scored]  # a loss at every step (text) or at the last only (a task)
    return dataclasses.replace(view, snapshot=dataclasses.replace(snapshot, diagnostics=diag, targets=targets))


def test_a_vanishing_badge_beside_a_full_horizon_says_why_on_a_text_run(qtbot):
    view = make_view(steps=T, hidden=8, layers=1)
    panel = build(qtbot, ChainPanel, with_regime(view, "vanishing", T - 1, scored=T))
    text = panel.badge.text
    assert "VANISHING" in text and "a loss at every step feeds each h_t" in text


def test_the_badge_adds_nothing_when_it_agrees_with_the_horizon(qtbot):
    view = make_view(steps=T, hidden=8, layers=1)
    panel = build(qtbot, ChainPanel, with_regime(view, "vanishing", 2, scored=T))  # short horizon: agrees
    assert "loss at every step" not in panel.badge.text
    panel.update_view(with_regime(view, "vanishing", T - 1, scored=1))  # one scored step: no such path
    assert "loss at every step" not in panel.badge.text
    panel.update_view(with_regime(view, "stable", T - 1, scored=T))
    assert "loss at every step" not in panel.badge.text
    assert np.isfinite(float(panel.view.snapshot.diagnostics.growth))
