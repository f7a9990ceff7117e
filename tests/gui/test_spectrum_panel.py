"""The spectrum panel: eigenvalues and sorted singular values of the recurrent matrix, the
matrix named, and tick and σ = 1 labels clear of each other and of the curve."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest

from rnnviz.gui.panels import SpectrumPanel
from tests.gui.factories import DOCK, build, make_view
from rnnviz.gui.panels.spectrum import GATED_SINGULAR_TITLE

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def test_spectrum_shows_eigenvalues_and_sorted_singular_values(qtbot, view):
    panel = build(qtbot, SpectrumPanel, view)
    w_hh = view.snapshot.params["weight_hh_l0"]
    x, y = panel.eig_points[0].getData()
    np.testing.assert_allclose(np.sort(np.hypot(x, y)), np.sort(np.abs(np.linalg.eigvals(w_hh))), rtol=1e-6)
    np.testing.assert_allclose(panel.sv_curves[0].yData, np.linalg.svd(w_hh, compute_uv=False), rtol=1e-6)
    assert panel.plane.vb.state["aspectLocked"]


def test_singular_values_leave_room_above_the_unit_line_for_its_label(qtbot, view):
    panel = build(qtbot, SpectrumPanel, view)
    sigma_max = max(float(np.linalg.svd(w, compute_uv=False)[0])
                    for name, w in view.snapshot.params.items() if name.startswith("weight_hh_l"))
    low, high = panel.singular.vb.viewRange()[1]
    needed = max(1.0, sigma_max) * 1.15  # 15 % above the top: the label's room
    assert low == 0.0 and needed <= high <= needed * 1.1  # a steady range ends on a round value just above


@pytest.mark.parametrize("top, bottom", [(0.5, 0.01), (1.1, 0.1), (4.0, 0.05)],
                         ids=["all sigma < 1", "crossing 1 early", "sigma_max 4"])
def test_the_unit_line_label_stays_clear_of_the_singular_values(qtbot, top, bottom):
    import dataclasses

    view = make_view(steps=T, hidden=32, layers=1, diagnostics=False)
    rng = np.random.default_rng(3)
    q1, q2 = (np.linalg.qr(rng.standard_normal((32, 32)))[0] for _ in range(2))
    w_hh = q1 @ np.diag(np.linspace(top, bottom, 32)) @ q2  # singular values top .. bottom, evenly
    snap = dataclasses.replace(view.snapshot, params={**view.snapshot.params, "weight_hh_l0": w_hh})
    panel = build(qtbot, SpectrumPanel, dataclasses.replace(view, snapshot=snap))
    panel.resize(640, 420)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab()  # lays the plots out, so the label has its place
    label = next(item.label for item in panel.singular.items if isinstance(item, pg.InfiniteLine))
    box = label.sceneBoundingRect()
    x, y = panel.sv_curves[0].getData()
    along = np.linspace(x[0], x[-1], 50 * len(x))  # the drawn line, not only its points
    points = [panel.singular.vb.mapViewToScene(pg.Point(float(a), float(b)))
              for a, b in zip(along, np.interp(along, x, y))]
    assert box.height() > 0 and not any(box.contains(point) for point in points)


@pytest.mark.parametrize("cell, block", [("lstm", "W_hg"), ("gru", "W_hn"), ("tanh", "W_hh")])
def test_spectrum_names_the_matrix_its_eigenvalues_come_from(qtbot, cell, block):
    panel = build(qtbot, SpectrumPanel, make_view(steps=T, hidden=H, layers=1, cell=cell))
    assert block in panel.plane.titleLabel.text
    assert ("candidate" in panel.plane.getAxis("bottom").labelText) == (cell != "tanh")
    assert "W_hh" in panel.singular.titleLabel.text or cell == "tanh"


def drawn_tick_texts(axis) -> list:
    """(scene rect, text) of every tick label the axis draws at its current size."""
    from PyQt6 import QtGui

    image = QtGui.QImage(10, 10, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [(rect, text) for rect, _, text in specs[2]]


def test_spectrum_tick_labels_do_not_overlap_for_exploded_weights(qtbot):
    from rnnviz.gui.plot.style import compact_number

    view = make_view(steps=T, hidden=H, layers=1, diagnostics=False)
    w_hh = np.diag([-3.4e10, 4e9] + [0.5] * (H - 2))  # (H, H) the Exploding preset after one step
    params = dict(view.snapshot.params, weight_hh_l0=w_hh)
    panel = build(qtbot, SpectrumPanel, dataclasses.replace(view, snapshot=dataclasses.replace(
        view.snapshot, params=params)), DOCK)
    for axis in (panel.plane.getAxis("bottom"), panel.plane.getAxis("left"), panel.singular.getAxis("left")):
        texts = drawn_tick_texts(axis)
        assert len(texts) >= 2 and all(len(text) <= 7 for _, text in texts), texts  # "-3.5e10" at most
        rects = sorted((rect for rect, _ in texts), key=lambda r: (r.left(), r.top()))
        for a, b in zip(rects, rects[1:]):
            assert not a.intersects(b), [text for _, text in texts]
    assert compact_number(-3e10) == "-3e10" and compact_number(0.25) == "0.25"


def test_sigma_one_label_is_clear_of_the_singular_values(qtbot):
    panel = build(qtbot, SpectrumPanel, make_view(steps=T, hidden=H, layers=1), DOCK)
    line = next(item for item in panel.singular.items if isinstance(item, pg.InfiniteLine))
    label = line.label.sceneBoundingRect()
    curve = panel.sv_curves[0]
    x, y = curve.xData, curve.yData
    points = [panel.singular.vb.mapViewToScene(pg.QtCore.QPointF(float(a), float(b))) for a, b in zip(x, y)]
    assert not any(label.contains(point) for point in points), "the σ = 1 label sits on the curve"


# ------------------------------------------------------------------ titles and the σ = 1 label
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
    crossing = np.array([8.0, 3.0, 2.0, 1.8, 1.5, 1.3, 1.1, 1.08, 1.05, 1.02, 0.97])  # a GRU's stacked gates
    panel.update_view(with_singular_values(view, crossing))  # its tail runs just above the line
    assert panel.sigma_line.label.anchors[0] == (1, 0)  # under it, where only one point lies


def test_an_encoder_decoder_keeps_both_plots_inside_the_dock(qtbot):
    """Two spectra need a legend; under the eigenvalue plane alone it widened that column and
    pushed the singular values past the dock's right edge."""
    from rnnviz.core.train import presets

    run = presets.make_trainer({"hidden_size": 5, "arch": "seq2seq"}, {"batch_size": 4},
                               {"kind": "task", "name": "reverse", "length": 5})
    run.run(1)
    panel = build(qtbot, SpectrumPanel, run.view_data(), DOCK)
    width = panel.canvas.ci.boundingRect().width()
    singular = panel.singular.sceneBoundingRect()
    assert singular.right() <= width + 1 and singular.width() > 0.3 * width, (singular, width)
    assert panel.plane.sceneBoundingRect().width() > 0.3 * width


def test_the_eigenvalue_plane_keeps_its_axis_width_whatever_its_ticks(qtbot):
    """With the aspect locked, an axis that widened for a longer tick text narrowed the plane,
    changed its range and ticks, and so its width again: in the window the plane repainted ~40
    times a second while a bidirectional net trained. Its left axis has a fixed width."""
    from rnnviz.gui.panels.spectrum import PLANE_AXIS_WIDTH

    view = make_view(steps=T, hidden=H, layers=1, diagnostics=False)
    panel = build(qtbot, SpectrumPanel, view, DOCK)
    widths = [panel.plane.getAxis("left").width()]
    w_hh = np.diag([-3.4e10, 4e9] + [0.5] * (H - 2))  # ticks "-3e10" .. against "-1" .. "1"
    panel.update_view(dataclasses.replace(view, snapshot=dataclasses.replace(
        view.snapshot, params=dict(view.snapshot.params, weight_hh_l0=w_hh))))
    qtbot.wait(50)
    widths.append(panel.plane.getAxis("left").width())
    assert widths == [PLANE_AXIS_WIDTH, PLANE_AXIS_WIDTH]
