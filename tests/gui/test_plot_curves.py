"""Curves drawn in pixels keep their segments between paints: a repaint with nothing changed cuts
nothing again, and the picture is the one a fresh cut draws over successive views, resizes,
zooms and pen changes (a kept cut gone stale would show). Dashes are cut for all runs at once,
the same dashes a run-by-run cut gives."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui

from rnnviz.gui.plot import curves
from rnnviz.gui.plot.segments import dashed_segments
from rnnviz.gui.panels import GradientsPanel
from tests.gui.pictures import pixels
from tests.gui.factories import make_view




def counting_cuts(monkeypatch) -> list:
    cuts = []
    real = curves._cut

    def counted(curve, *args):
        cuts.append(curve)
        return real(curve, *args)

    monkeypatch.setattr(curves, "_cut", counted)
    return cuts


def test_kept_segments_draw_what_a_fresh_cut_draws(qtbot, monkeypatch):
    panel = GradientsPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    cuts = counting_cuts(monkeypatch)
    changes = [lambda: panel.update_view(make_view(steps=60, hidden=16, layers=1, seed=1)),
               lambda: panel.update_view(make_view(steps=60, hidden=16, layers=1, seed=2)),
               lambda: panel.resize(520, 380),
               lambda: panel.plot.setXRange(10, 30, padding=0),  # zoomed: other scale and shift
               lambda: panel.update_view(make_view(steps=45, hidden=16, layers=1, seed=3))]
    panel.update_view(make_view(steps=60, hidden=16, layers=1, seed=0))
    panel.grab()
    for change in changes:
        change()
        cuts.clear()
        kept = pixels(panel.grab().toImage())  # segments cut for the last picture, if still right
        assert cuts  # something changed: new segments were cut
        monkeypatch.setattr(curves, "KEEP", False)
        fresh = pixels(panel.grab().toImage())
        monkeypatch.setattr(curves, "KEEP", True)
        assert np.array_equal(kept, fresh)


def test_a_repaint_with_nothing_changed_cuts_nothing(qtbot, monkeypatch):
    panel = GradientsPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 420)
    panel.update_view(make_view(steps=60, hidden=16, layers=1))
    first = pixels(panel.grab().toImage())
    cuts = counting_cuts(monkeypatch)
    again = pixels(panel.grab().toImage())
    assert cuts == [] and np.array_equal(first, again)
    wide = [c for c in panel.canvas.scene().items() if getattr(c, "_rnnviz_cut", None) is not None]
    assert wide
    wide[0].opts["pen"].setWidthF(4.0)  # a pen changed in place is a new pen
    thicker = pixels(panel.grab().toImage())
    assert cuts == [wide[0]] and not np.array_equal(first, thicker)


def test_a_curve_out_of_reach_of_pixels_goes_pyqtgraphs_way_each_time(qtbot):
    curve = pg.PlotCurveItem(x=np.array([0.0, 1.0, 2.0]), y=np.array([0.0, 1e9, 0.0]),
                             pen=pg.mkPen("k", width=2), antialias=True)
    image = QtGui.QImage(50, 50, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    painter = QtGui.QPainter(image)
    try:
        assert not curves.draw_in_pixels(curve, painter)
        assert not curves.draw_in_pixels(curve, painter)  # the kept answer: still too far out
    finally:
        painter.end()


def dashes_run_by_run(px, py, pattern, offset):
    """Reference: each finite run cut on its own, the pattern restarting at its start."""
    finite = np.isfinite(px) & np.isfinite(py)
    edges = np.flatnonzero(np.diff(np.r_[0, finite.astype(np.int8), 0]))
    pieces = []
    period = pattern.sum()
    bounds = np.cumsum(np.r_[0.0, pattern])
    for a, b in zip(edges[::2], edges[1::2]):
        x, y = px[a:b], py[a:b]
        if x.size < 2:
            continue
        along = np.r_[0.0, np.cumsum(np.hypot(np.diff(x), np.diff(y)))]
        total = along[-1]
        first = np.floor(offset / period)
        starts = np.arange(first, first + np.ceil(total / period) + 2) * period - offset
        cuts = (starts[:, None] + bounds[None, :]).ravel()
        breaks = np.unique(np.r_[along, cuts[(cuts > 0) & (cuts < total)]])
        middle = (breaks[:-1] + breaks[1:]) / 2
        on = (np.searchsorted(bounds, np.mod(middle + offset, period), side="right") - 1) % 2 == 0
        bx, by = np.interp(breaks, along, x), np.interp(breaks, along, y)
        pieces.append(np.column_stack([bx[:-1], by[:-1], bx[1:], by[1:]])[on])
    return np.concatenate(pieces) if pieces else np.zeros((0, 4))


def visible(lines: np.ndarray) -> np.ndarray:
    """Dashes longer than 1e-9 px (where a cut meets a point, rounding may leave a dot either way)."""
    return lines[np.hypot(lines[:, 2] - lines[:, 0], lines[:, 3] - lines[:, 1]) > 1e-9]


def test_dashes_of_all_runs_at_once_are_the_run_by_run_dashes():
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(0, 60))
        px, py = rng.normal(0, 40, n).cumsum(), rng.normal(0, 60, n)
        px[rng.random(n) < rng.random() * 0.4] = np.nan
        pattern = rng.uniform(0.5, 20, 2 * int(rng.integers(1, 3)))
        offset = float(rng.uniform(0, 30))
        reference = dashes_run_by_run(px, py, pattern, offset)
        cut = dashed_segments(px, py, pattern, offset)
        if np.isfinite(px).all():
            assert np.array_equal(cut, reference)  # one run: the very same numbers
        else:
            np.testing.assert_allclose(visible(cut), visible(reference), rtol=0, atol=1e-9)
