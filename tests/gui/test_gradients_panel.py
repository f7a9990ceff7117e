"""The gradients panel: ‖∂L/∂h_t‖ per layer (sample and batch mean), floored zeros and
gradients that all overflowed."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from rnnviz.gui.panels import GradientsPanel
from rnnviz.gui.panels.base import FLOOR_NOTE
from tests.gui.factories import build, make_view, zero_gradient_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def test_gradient_curves_are_the_norms_per_layer(qtbot, view):
    panel = build(qtbot, GradientsPanel, view)
    for k in range(L):
        np.testing.assert_allclose(panel.sample_curves[k].values,
                                   np.linalg.norm(view.snapshot.grad_hidden[:, k], axis=-1))
        np.testing.assert_allclose(panel.mean_curves[k].values, view.snapshot.grad_hidden_mean[:, k])
    assert panel.plot.getAxis("left").logMode


def test_zero_gradients_are_floored_and_said_so(qtbot):
    panel = build(qtbot, GradientsPanel, zero_gradient_view(steps=T, hidden=H, layers=1))
    y = panel.sample_curves[0].values
    assert np.all(y > 0) and np.ptp(y) == 0
    rows = panel.csv_table()[1]
    assert all(row[3] == 0.0 and row[5] == FLOOR_NOTE for row in rows)


def test_gradients_that_all_overflowed_are_said_to_be_so(qtbot):
    view = make_view(steps=T, hidden=H, layers=1)
    nan = np.full_like(view.snapshot.grad_hidden, np.nan)
    snap = dataclasses.replace(view.snapshot, grad_hidden=nan, grad_hidden_mean=np.full((T, 1), np.nan))
    exploded = dataclasses.replace(view, snapshot=snap, status="diverged", divergence="step 2: hidden state")
    panel = build(qtbot, GradientsPanel, exploded)
    assert panel.plot.titleLabel.text == "All NaN/Inf — diverged at step 2"
    panel.update_view(view)  # finite again (rolled back): the plain title
    assert panel.plot.titleLabel.text == "Gradient reaching each timestep"
