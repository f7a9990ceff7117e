"""What every plot panel shares: it draws exactly the numbers it is given and tables them,
survives the NaN / Inf / zero / empty input a diverging or fresh run hands it, names in its
legend only what is drawn, marks the marked inputs on time axes, decimates long series
keeping spikes, and fits a ~400 px dock with its legends off the curves."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtCore

from rnnviz.gui.export import prepared_scene
from rnnviz.gui.panels.base import Line
from rnnviz.gui.panels import (PANEL_CLASSES, ChainPanel, ConnectivityPanel, DistributionsPanel, FlowPanel,
                               GatesPanel, GradientsPanel, HiddenPanel, LossPanel, NormsPanel, SpectrumPanel,
                               UnitsPanel, WeightsPanel)
from tests.gui.factories import (FIT_DOCK, build, empty_history_view, legend_names, make_view, nonfinite_view,
                                 zero_gradient_view)

T, H, L = 10, 6, 2  # small: every test stays well under a second


GATED_VIEWS = {GatesPanel: "lstm"}  # panels with nothing to draw for a vanilla cell get a gated one


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


def drawn(panel) -> list[np.ndarray]:
    """Every array the panel's canvas currently draws: curve and scatter y data, images."""
    arrays = []
    for item in panel.graphics().scene().items():
        if isinstance(item, (pg.PlotDataItem, Line)) and item.isVisible():
            y = item.values if isinstance(item, Line) else item.yData  # as given, before any log mapping
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


@pytest.fixture(scope="module")
def views(view):
    """panel class -> the view it is tested with (tanh, or the cell that panel is about)."""
    lstm = make_view(steps=T, hidden=H, layers=L, history=20, cell="lstm")
    return lambda panel_class: lstm if panel_class in GATED_VIEWS else view


def cell_for(panel_class) -> str:
    return GATED_VIEWS.get(panel_class, "tanh")


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


def test_peak_decimation_bounds_the_points_and_keeps_spikes():
    import numpy as np

    from rnnviz.gui.panels.base import peak_decimate

    x = np.arange(10_000, dtype=float)
    y = np.ones_like(x)
    y[4321], y[777] = 1e9, 1e-9  # one spike up, one down
    y[9000:9100] = np.nan  # a gap (non-finite steps are not drawn)
    xs, ys = peak_decimate(x, y, max_points=1000)
    assert len(xs) == len(ys) <= 1000
    assert np.nanmax(ys) == 1e9 and np.nanmin(ys) == 1e-9
    assert np.all(np.diff(xs) >= 0)  # still drawn left to right
    short_x, short_y = peak_decimate(x[:50], y[:50], max_points=1000)
    assert np.array_equal(short_x, x[:50]) and np.array_equal(short_y, y[:50])  # short series untouched
    assert np.isnan(ys).any()  # the all-NaN stretch stays a gap


def adding_view():
    """A view whose token labels mark steps 3 and 9 as the adding problem does."""
    view = make_view(steps=12, hidden=8, layers=1, history=20)
    labels = [("*" if t in (3, 9) else "") + "0.50" for t in range(12)]
    return dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, labels=labels))


def test_the_marked_inputs_are_drawn_on_every_time_axis(qtbot):
    from rnnviz.gui.panels import ChainPanel, GradientsPanel, HiddenPanel
    from rnnviz.gui.plot.markers import LEGEND_NAME

    for panel_class, expected in ((HiddenPanel, [3, 9]), (GradientsPanel, [3, 9]), (ChainPanel, [8, 2])):
        panel = panel_class()
        qtbot.addWidget(panel)
        panel.update_view(adding_view())
        shown = [line.value() for line in panel.markers.lines if line.isVisible()]
        assert shown == expected, panel_class.__name__
        if panel_class is not HiddenPanel:
            names = [label.text for _, label in panel.plot.legend.items]
            assert LEGEND_NAME in names
        panel.update_view(make_view(steps=12, hidden=8, layers=1, history=20))  # a text: no marks
        assert not any(line.isVisible() for line in panel.markers.lines)


def realistic_view(cell: str, marked: bool = False):
    """The window's sizes; ``marked``: the adding task's two marked inputs, whose legend entry
    widens the legends of the time-axis panels."""
    view = make_view(steps=50, hidden=32, layers=1, history=40, cell=cell)
    if not marked:
        return view
    labels = [("*" if t in (20, 40) else "") + "0.50" for t in range(50)]
    return dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, labels=labels))


def laid_out(qtbot, panel_class, view, size=FIT_DOCK):
    panel = build(qtbot, panel_class, view)
    panel.canvas.resize(*size)
    panel.canvas.resizeEvent(None)
    prepared_scene(panel)  # paints twice: axes and labels ask for their final room while painting
    return panel


@pytest.mark.parametrize("cell, marked", [("tanh", False), ("lstm", False), ("tanh", True)])
@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda c: c.view_name)
def test_every_panel_fits_a_dock_and_keeps_legends_off_the_curves(qtbot, panel_class, cell, marked):
    panel = laid_out(qtbot, panel_class, realistic_view(cell, marked))
    layout = panel.canvas.ci
    minimum = layout.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize)
    assert minimum.width() <= FIT_DOCK[0], f"needs {minimum.width():.0f} px"
    assert layout.geometry().width() <= panel.canvas.width() + 0.5  # nothing laid out past the edge
    items = panel.canvas.scene().items()
    boxes = [item.sceneBoundingRect() for item in items if isinstance(item, pg.ViewBox) and item.isVisible()]
    for legend in (item for item in items if isinstance(item, pg.LegendItem) and item.isVisible() and item.items):
        rect = legend.sceneBoundingRect()
        assert not any(rect.intersects(box) for box in boxes), "a legend sits over a plot"


@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda c: c.view_name)
def test_no_axis_re_renders_its_label_at_every_range_change(qtbot, panel_class):
    """pyqtgraph's automatic SI prefix re-renders an axis's label and re-sizes the axis whenever
    its range moves; every axis of every panel has it off."""
    panel = build(qtbot, panel_class, realistic_view(GATED_VIEWS.get(panel_class, "tanh")))
    axes = [item for view in panel.findChildren(pg.GraphicsView) for item in view.scene().items()
            if isinstance(item, pg.AxisItem)]
    assert axes and not any(axis.autoSIPrefix for axis in axes)



@pytest.mark.parametrize("panel_class", PANEL_CLASSES, ids=lambda c: c.view_name)
@pytest.mark.parametrize("shape", ["bidirectional", "seq2seq"])
def test_every_panel_of_a_two_stack_network_fits_a_dock(qtbot, panel_class, shape):
    """Two stacks double the legends (encoder, decoder, each bound) and the badges: the panel
    still fits a dock of the 1600 x 1000 window."""
    view = two_stack_view(shape, GATED_VIEWS.get(panel_class, "tanh"))
    panel = laid_out(qtbot, panel_class, view)
    minimum = panel.canvas.ci.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize)
    assert minimum.width() <= FIT_DOCK[0], f"needs {minimum.width():.0f} px"
    assert panel.canvas.ci.geometry().width() <= panel.canvas.width() + 0.5


_TWO_STACK_VIEWS = {}


def two_stack_view(shape: str, cell: str):
    """A trained-for-two-steps view of a bidirectional or encoder-decoder net, the presets' sizes."""
    from rnnviz.core.train import presets

    key = (shape, cell)
    if key not in _TWO_STACK_VIEWS:
        model = {"hidden_size": 16, "cell": cell, **({"bidirectional": True} if shape == "bidirectional"
                                                     else {"arch": "seq2seq", "recurrent_scale": 0.6})}
        data = ({"kind": "task", "name": "marker", "length": 20} if shape == "bidirectional"
                else {"kind": "task", "name": "bottleneck", "length": 12})
        run = presets.make_trainer(model, {"batch_size": 4}, data)
        run.run(2)
        _TWO_STACK_VIEWS[key] = run.view_data()
    return _TWO_STACK_VIEWS[key]
