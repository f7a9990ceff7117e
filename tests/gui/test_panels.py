"""The plot panels: each builds, draws exactly the numbers it is given, survives the
NaN / Inf / zero / empty input a diverging or fresh run hands it, and its controls work."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest

from rnnviz.gui.panels import (PANEL_CLASSES, ChainPanel, ConnectivityPanel, DistributionsPanel, FlowPanel,
                               GatesPanel, GradientsPanel, HiddenPanel, LossPanel, NormsPanel, SpectrumPanel,
                               UnitsPanel, WeightsPanel)
from rnnviz.gui.panels.base import FLOOR_NOTE
from tests.gui.factories import (build, empty_history_view, make_view, nonfinite_view, zero_gradient_view)

T, H, L = 10, 6, 2  # small: every test stays well under a second


GATED_VIEWS = {GatesPanel: "lstm"}  # panels with nothing to draw for a vanilla cell get a gated one


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


@pytest.fixture(scope="module")
def views(view):
    """panel class -> the view it is tested with (tanh, or the cell that panel is about)."""
    lstm = make_view(steps=T, hidden=H, layers=L, history=20, cell="lstm")
    return lambda panel_class: lstm if panel_class in GATED_VIEWS else view


def cell_for(panel_class) -> str:
    return GATED_VIEWS.get(panel_class, "tanh")


def drawn(panel) -> list[np.ndarray]:
    """Every array the panel's canvas currently draws: curve and scatter y data, images."""
    arrays = []
    for item in panel.graphics().scene().items():
        if isinstance(item, pg.PlotDataItem) and item.isVisible():
            y = item.yData  # the data as given, before any log mapping
            if y is not None and len(y):
                arrays.append(np.asarray(y, dtype=float))
        elif isinstance(item, pg.ScatterPlotItem) and item.isVisible() and item.parentItem() is not None:
            y = item.getData()[1]
            if y is not None and len(y):
                arrays.append(np.asarray(y, dtype=float))
        elif isinstance(item, pg.ImageItem) and item.image is not None:
            arrays.append(np.asarray(item.image, dtype=float))
    return arrays


def expected_rows(panel_class, view) -> int:
    """CSV rows derived from the view's shapes, independently of the panel's code."""
    snap = view.snapshot
    steps, layers, units = snap.hidden.shape
    series_len = {name: len(values) for name, (_, values) in view.series.items()}
    if panel_class is LossPanel:
        return series_len["loss"] + series_len["loss_smooth"] + series_len["val_loss"] + (view.baseline is not None)
    if panel_class is HiddenPanel:
        return steps * layers * units
    if panel_class is GradientsPanel:
        return steps * layers
    if panel_class is ChainPanel:
        return 0 if snap.diagnostics is None else layers * (steps + 1)
    if panel_class is FlowPanel:
        return view.flow.size
    if panel_class is WeightsPanel:
        return sum(v.size for k, v in snap.params.items() if k.startswith("weight_") or k == "out.weight")
    if panel_class is SpectrumPanel:  # H eigenvalues and H singular values per layer with a finite W_hh
        if snap.diagnostics is not None:
            return layers * 2 * units
        return sum(2 * units for k in range(layers) if np.isfinite(snap.params[f"weight_hh_l{k}"]).all())
    if panel_class is NormsPanel:
        return (series_len["grad_norm"] + series_len["clipped_norm"] + series_len["param_norm"]
                + series_len["update_ratio"] + (view.clip_mode == "norm"))
    if panel_class is ConnectivityPanel:  # the map's lower triangle, then the mean at each distance
        return steps * (steps + 1) // 2 + steps
    if panel_class is DistributionsPanel:  # one row per quantity and recorded step
        return sum(len(recorded) for recorded, _ in view.distributions.values())
    if panel_class is UnitsPanel:  # held units, the loss, per layer T profile and T+1 chain rows, the ranking
        units = view.units
        held = 0 if units.clamp is None else len(units.clamp.units)
        compared = 0 if units.comparison is None else 1 + layers * (2 * steps + 1)
        return held + compared + (0 if units.ranking is None else units.ranking.delta.size)
    if panel_class is GatesPanel:  # every gate value, then two direct-path curves of T+1 lags, per layer
        gated = any(name in snap.extras for name in ("forget_gate", "update_gate"))
        return steps * layers * units + 2 * layers * (steps + 1) if gated else 0
    raise AssertionError(panel_class)


def test_panel_classes_are_the_views_in_order():
    assert [cls.view_name for cls in PANEL_CLASSES] == [
        "loss", "hidden", "gradients", "chain", "flow", "weights", "spectrum", "norms", "gates", "connectivity",
        "distributions", "units"]
    assert all(cls.title for cls in PANEL_CLASSES)


@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda c: c.view_name)
def test_panel_draws_its_view_and_tables_it(qtbot, views, panel_class):
    view = views(panel_class)
    panel = build(qtbot, panel_class)
    assert panel.csv_table()[1] == []  # nothing shown yet, nothing to write
    panel.update_view(view)
    arrays = drawn(panel)
    assert arrays and any(np.isfinite(a).any() for a in arrays), "panel drew nothing"
    header, rows = panel.csv_table()
    assert header and all(isinstance(h, str) and h for h in header)
    assert len(rows) == expected_rows(panel_class, view)
    assert all(len(row) == len(header) for row in rows)


@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda c: c.view_name)
def test_update_view_replaces_the_data(qtbot, views, panel_class):
    panel = build(qtbot, panel_class, views(panel_class))
    before = [a.copy() for a in drawn(panel)]
    panel.update_view(make_view(steps=T, hidden=H, layers=L, history=20, seed=7, cell=cell_for(panel_class)))
    after = drawn(panel)
    changed = len(before) != len(after) or any(
        a.shape != b.shape or not np.allclose(a, b, equal_nan=True) for a, b in zip(before, after))
    assert changed


@pytest.mark.parametrize("make", [empty_history_view, nonfinite_view, zero_gradient_view],
                         ids=["empty", "nonfinite", "zeros"])
@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda c: c.view_name)
def test_bad_input_neither_crashes_nor_warns(qtbot, panel_class, make):
    bad = make(steps=T, hidden=H, layers=L, history=20, cell=cell_for(panel_class))
    panel = build(qtbot, panel_class, bad)  # warnings are errors in this suite
    header, rows = panel.csv_table()
    assert len(rows) == expected_rows(panel_class, bad)
    for control in ("log_y", "show_grads"):  # every control redraws the bad view too
        if hasattr(panel, control):
            getattr(panel, control).setChecked(True)
    if hasattr(panel, "layer"):
        panel.layer.setCurrentIndex(L - 1)
    panel.csv_table()
    panel.update_view(make_view(steps=T, hidden=H, layers=L, history=20, cell=cell_for(panel_class)))  # recovers


# ------------------------------------------------------------------ loss
def test_loss_curves_are_the_series_and_log_toggle_floors_zeros(qtbot):
    view = zero_gradient_view(steps=T, hidden=H, layers=1, history=20)  # training loss all zero
    panel = build(qtbot, LossPanel, view)
    assert panel.log_y.isChecked()  # log by default: an exploding start would flatten a linear axis
    panel.log_y.setChecked(False)
    steps, values = view.series["val_loss"]
    x, y = panel.curves["val_loss"].xData, panel.curves["val_loss"].yData
    np.testing.assert_allclose(x, steps)
    np.testing.assert_allclose(y, values)
    assert np.all(panel.curves["loss"].yData == 0)

    panel.log_y.setChecked(True)
    assert panel.plot.getAxis("left").logMode
    shown = panel.curves["loss"].yData  # what is handed to the log axis
    assert np.all(np.isfinite(shown)) and np.all(shown > 0)  # zeros sit on the floor
    assert "zeros drawn at" in panel.plot.titleLabel.text
    notes = [row[3] for row in panel.csv_table()[1] if row[0] == "loss"]
    assert notes and all(note == FLOOR_NOTE for note in notes)

    panel.log_y.setChecked(False)
    assert not panel.plot.getAxis("left").logMode


def test_loss_baseline_is_drawn_at_the_baseline(qtbot, view):
    panel = build(qtbot, LossPanel, view)
    y = panel.baseline.yData
    np.testing.assert_allclose(y, [view.baseline, view.baseline])
    assert panel.baseline.opts["pen"].style() == pg.QtCore.Qt.PenStyle.DashLine


# ------------------------------------------------------------------ hidden
def test_hidden_shows_the_chosen_layer_at_fixed_levels(qtbot, view):
    panel = build(qtbot, HiddenPanel, view)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.hidden[:, 0, :].T)
    assert tuple(panel.map.image.getLevels()) == (-1.0, 1.0)  # tanh: fixed, comparable across runs
    assert panel.layer.count() == L
    panel.layer.setCurrentIndex(1)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.hidden[:, 1, :].T)


def test_hidden_levels_are_symmetric_max_abs_for_relu(qtbot):
    view = make_view(steps=T, hidden=H, layers=1, cell="relu")
    panel = build(qtbot, HiddenPanel, view)
    m = np.abs(view.snapshot.hidden[:, 0, :]).max()
    np.testing.assert_allclose(panel.map.image.getLevels(), (-m, m))


def test_hidden_hover_names_value_unit_step_and_token(qtbot, view):
    panel = build(qtbot, HiddenPanel, view)
    t, unit = 3, 4
    text = panel.readout_at(t, unit)
    assert f"{view.snapshot.hidden[t, 0, unit]:.4g}" in text
    assert f"unit {unit}" in text and f"t = {t}" in text
    assert f"'{view.snapshot.labels[t]}'" in text or view.snapshot.labels[t] == " "
    assert panel.readout_at(-3, 0) == "" and panel.readout_at(0, H + 2) == ""


def test_hidden_hover_signal_updates_the_readout(qtbot, view):
    from PyQt6 import QtCore

    from rnnviz.gui.export import _prepared_scene

    panel = build(qtbot, HiddenPanel, view)
    _prepared_scene(panel)  # lays the canvas out at the export size without showing a window
    scene_pos = panel.map.plot.vb.mapViewToScene(QtCore.QPointF(5.1, 2.2))  # cell t=5, unit 2
    panel.canvas.scene().sigMouseMoved.emit(scene_pos)
    assert f"{view.snapshot.hidden[5, 0, 2]:.4g}" in panel.readout.text() and "t = 5" in panel.readout.text()
    panel.canvas.scene().sigMouseMoved.emit(QtCore.QPointF(-50, -50))  # off the map
    assert panel.readout.text().startswith("hover over")


# ------------------------------------------------------------------ gradients
def test_gradient_curves_are_the_norms_per_layer(qtbot, view):
    panel = build(qtbot, GradientsPanel, view)
    for k in range(L):
        np.testing.assert_allclose(panel.sample_curves[k].yData,
                                   np.linalg.norm(view.snapshot.grad_hidden[:, k], axis=-1))
        np.testing.assert_allclose(panel.mean_curves[k].yData, view.snapshot.grad_hidden_mean[:, k])
    assert panel.plot.getAxis("left").logMode


def test_zero_gradients_are_floored_and_said_so(qtbot):
    panel = build(qtbot, GradientsPanel, zero_gradient_view(steps=T, hidden=H, layers=1))
    y = panel.sample_curves[0].yData
    assert np.all(y > 0) and np.ptp(y) == 0
    rows = panel.csv_table()[1]
    assert all(row[3] == 0.0 and row[5] == FLOOR_NOTE for row in rows)


def test_gradients_that_all_overflowed_are_said_to_be_so(qtbot):
    import dataclasses

    view = make_view(steps=T, hidden=H, layers=1)
    nan = np.full_like(view.snapshot.grad_hidden, np.nan)
    snap = dataclasses.replace(view.snapshot, grad_hidden=nan, grad_hidden_mean=np.full((T, 1), np.nan))
    exploded = dataclasses.replace(view, snapshot=snap, status="diverged", divergence="step 2: hidden state")
    panel = build(qtbot, GradientsPanel, exploded)
    assert panel.plot.titleLabel.text == "All NaN/Inf — diverged at step 2"
    panel.update_view(view)  # finite again (rolled back): the plain title
    assert panel.plot.titleLabel.text == "Gradient reaching each timestep"


# ------------------------------------------------------------------ chain
def test_chain_plots_diagnostics_with_bound_horizon_and_badge(qtbot, view):
    diag = view.snapshot.diagnostics
    if diag is None:
        pytest.skip("no diagnostics in this tree")
    panel = build(qtbot, ChainPanel, view)
    # the exact logs, drawn in log space (a linear view under a log-labelled axis)
    np.testing.assert_allclose(panel.chain_curves[0].yData, np.asarray(diag.chain_log10)[0])
    np.testing.assert_allclose(panel.bound_curves[0].yData, np.asarray(diag.bound_log10)[0])
    assert panel.plot.getAxis("left").logMode
    assert panel.horizon.isVisible() and panel.horizon.value() == diag.horizon
    assert diag.regime.upper() in panel.badge.text


def test_a_chain_beyond_float64_is_drawn_where_it_belongs(qtbot, view):
    """A chain of 1e-400 is 0 in float64: its exact log is drawn, not a floor or a gap."""
    import dataclasses

    diag = view.snapshot.diagnostics
    layers, lags = np.asarray(diag.chain_log10).shape
    logs = np.tile(-400.0 * np.arange(lags) / (lags - 1), (layers, 1))  # (L, T+1) down to 1e-400
    with np.errstate(under="ignore"):
        deep = dataclasses.replace(diag, chain_log10=logs, chain=10.0 ** logs)
    panel = build(qtbot, ChainPanel, dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot,
                                                                                           diagnostics=deep)))
    np.testing.assert_allclose(panel.chain_curves[0].yData, logs[0])
    low, _ = panel.plot.vb.viewRange()[1]
    assert low < -400
    assert "zeros drawn" not in panel.plot.titleLabel.text
    assert panel.plot.getAxis("left").tickStrings([-400.0, -200.0], 1.0, 200.0) == [
        "10\u207b\u2074\u2070\u2070", "10\u207b\u00b2\u2070\u2070"]  # 10^-400, 10^-200
    header, rows = panel.csv_table()
    assert header[4] == "log10_chain_norm" and rows[lags - 1][4] == -400.0 and rows[lags - 1][2] == 0.0


def test_chain_without_diagnostics_says_so(qtbot, view):
    import dataclasses

    bare = dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, diagnostics=None))
    panel = build(qtbot, ChainPanel, view)
    panel.update_view(bare)
    assert "no diagnostics" in panel.badge.text
    assert not any(curve.isVisible() for curve in panel.chain_curves)
    assert not panel.horizon.isVisible()


# ------------------------------------------------------------------ flow
def test_flow_is_log10_of_the_history_and_empty_is_cleared(qtbot, view):
    panel = build(qtbot, FlowPanel, view)
    np.testing.assert_allclose(panel.map.image.image, np.log10(view.flow))
    assert panel.map.image.image.shape == (len(view.flow_steps), T)  # rows = training steps
    panel.update_view(empty_history_view(steps=T, hidden=H, layers=L))
    assert panel.map.image.image is None and panel.empty.isVisible()


# ------------------------------------------------------------------ weights
def choose_matrix(panel, key: str) -> None:
    panel.matrix.setCurrentIndex(panel.matrix.findData(key))


def test_weights_selector_and_toggle_between_weights_and_gradients(qtbot, view):
    panel = build(qtbot, WeightsPanel, view)
    assert panel.chosen() == "hh"  # the recurrent matrix first: it is the story
    w_hh = view.snapshot.params["weight_hh_l0"]
    np.testing.assert_allclose(panel.map.image.image, w_hh)
    m = np.abs(w_hh).max()
    np.testing.assert_allclose(panel.map.image.getLevels(), (-m, m))
    assert panel.map.plot.titleLabel.text.startswith("W_hh")
    panel.show_grads.setChecked(True)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.grads["weight_hh_l0"])
    choose_matrix(panel, "out")
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.grads["out.weight"])
    assert "W_out" in panel.map.plot.titleLabel.text
    choose_matrix(panel, "ih")
    panel.layer.setCurrentIndex(1)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.grads["weight_ih_l1"])
    panel.show_grads.setChecked(False)
    np.testing.assert_allclose(panel.map.image.image, view.snapshot.params["weight_ih_l1"])
    assert "layer 1" in panel.map.plot.titleLabel.text


# ------------------------------------------------------------------ spectrum
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


# ------------------------------------------------------------------ norms
def test_norms_threshold_only_when_clipping_by_norm(qtbot, view):
    panel = build(qtbot, NormsPanel, view)
    np.testing.assert_allclose(panel.curves["grad_norm"].yData, view.series["grad_norm"][1])
    np.testing.assert_allclose(panel.threshold.yData, [view.clip_threshold] * 2)
    import dataclasses

    panel.update_view(dataclasses.replace(view, clip_mode="none", clip_threshold=None))
    assert panel.threshold.yData is None or len(panel.threshold.yData) == 0


# ------------------------------------------------------------------ legends
def legend_names(plot) -> list[str]:
    return [label.text for _, label in plot.legend.items]


def test_legends_name_only_what_is_drawn(qtbot, view):
    import dataclasses

    norms = build(qtbot, NormsPanel, view)
    assert any("threshold" in name for name in legend_names(norms.top))
    norms.update_view(dataclasses.replace(view, clip_mode="none", clip_threshold=None))
    assert not any("threshold" in name for name in legend_names(norms.top))

    loss = build(qtbot, LossPanel, dataclasses.replace(view, baseline=None))
    assert not any(name.startswith("baseline (no memory)") for name in legend_names(loss.plot))
    loss.update_view(view)
    assert any(name.startswith("baseline (no memory) = ") for name in legend_names(loss.plot))  # with its value

    chain = build(qtbot, ChainPanel, view)
    layers_named = [name for name in legend_names(chain.plot) if name.startswith("layer")]
    assert len(layers_named) == (2 * L if view.snapshot.diagnostics is not None else 0)
    chain.update_view(dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, diagnostics=None)))
    assert legend_names(chain.plot) == []

    one_layer = make_view(steps=T, hidden=H, layers=1)
    gradients = build(qtbot, GradientsPanel, view)
    gradients.update_view(one_layer)
    assert legend_names(gradients.plot) == ["layer 0, this sample", "layer 0, batch mean"]


def test_history_panels_say_they_have_no_steps_yet_in_a_title_that_fits(qtbot):
    empty = empty_history_view(steps=T, hidden=H, layers=1)
    loss = build(qtbot, LossPanel, empty)
    norms = build(qtbot, NormsPanel, empty)
    titles = [loss.plot.titleLabel.text, norms.top.titleLabel.text, norms.bottom.titleLabel.text]
    assert all(title.endswith(" — no steps yet") for title in titles), titles
    assert max(len(title) for title in titles) <= 45  # "... no steps recorded y" was cut in a 400 px dock
