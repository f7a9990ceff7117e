"""The spectrum panel's singular-value plot: a title that fits, a σ = 1 label clear of the curve."""

from __future__ import annotations

import dataclasses

import numpy as np

from rnnviz.gui.panels.spectrum import GATED_SINGULAR_TITLE, SpectrumPanel
from tests.gui.factories import build, make_view


def with_singular_values(view, values):
    """The view with the core's singular values of W_hh replaced (the panel reads them, never the weights)."""
    diag = dataclasses.replace(view.snapshot.diagnostics, singular_values=np.asarray(values, dtype=float)[None])
    return dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, diagnostics=diag))


def test_a_gated_cell_keeps_the_short_title(qtbot):
    panel = build(qtbot, SpectrumPanel, make_view(steps=12, hidden=8, layers=1, cell="lstm"))
    assert panel.singular.titleLabel.text == GATED_SINGULAR_TITLE  # names W_hh, fits the dock


def test_the_sigma_label_sits_on_the_side_of_the_line_away_from_the_curve(qtbot):
    view = make_view(steps=12, hidden=8, layers=1)
    panel = build(qtbot, SpectrumPanel, with_singular_values(view, np.linspace(2.0, 1.3, 8)))  # all above 1
    assert panel.sigma_line.label.anchors[0] == (1, 0)  # under the line
    panel.update_view(with_singular_values(view, np.linspace(0.5, 0.1, 8)))  # all below 1
    assert panel.sigma_line.label.anchors[0] == (1, 1)  # above it
