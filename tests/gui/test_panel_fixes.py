"""Review findings on the panels, each pinned by a test that failed before its fix: loss
readable through an exploding start, the comparison legend after a reset, task predictions
a person can read, gate blocks in the weights, gated-cell spectra named as such, compact
norms legends and a chain whose bound is said to be off-scale."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest

from rnnviz.core.train.compare import compare_with_tanh
from rnnviz.core.train.presets import make_trainer
from rnnviz.gui.export import _prepared_scene
from rnnviz.gui.panels import ChainPanel, LossPanel, NormsPanel, SpectrumPanel, WeightsPanel
from rnnviz.gui.panels.compare import ComparePanel
from tests.gui.conftest import FAST_DATA, FAST_MODEL, FAST_TRAIN
from tests.gui.factories import make_view

T, H = 10, 6
DOCK = (420, 300)  # a dock of the 1600 x 1000 window


def build(qtbot, panel_class, view=None, size=None):
    panel = panel_class()
    qtbot.addWidget(panel)
    if view is not None:
        panel.update_view(view)
    if size is not None:
        lay_out(panel, size)
    return panel


def lay_out(panel, size=DOCK) -> None:
    """Lay the canvas out at ``size`` as the exporter would (it uses EXPORT_SIZE for a canvas
    never shown), so positions are those of a dock."""
    from rnnviz.gui.plot import style

    export_size = style.EXPORT_SIZE
    style.EXPORT_SIZE = size
    try:
        _prepared_scene(panel)
    finally:
        style.EXPORT_SIZE = export_size


def legend_names(plot) -> list[str]:
    return [label.text for _, label in plot.legend.items]


# ------------------------------------------------------------------ loss
def exploding_start(view, first: float = 4e10):
    """The Exploding-clipped story: a loss of ``first`` at step 1 that falls to ~1 (T, B)."""
    steps, values = view.series["loss"]
    values = np.array(values, dtype=float)
    values[0] = first
    series = dict(view.series, loss=(steps, values))
    return dataclasses.replace(view, series=series)


def visible_y(panel) -> tuple[float, float]:
    low, high = panel.plot.vb.viewRange()[1]
    if panel.plot.getAxis("left").logMode:
        return 10 ** low, 10 ** high
    return low, high


def test_loss_after_an_exploding_start_still_shows_the_fall_and_the_baseline(qtbot):
    view = exploding_start(make_view(steps=T, hidden=H, layers=1, history=40))
    panel = build(qtbot, LossPanel, view, DOCK)
    late = view.series["loss"][1][1:]
    for log in (True, False):  # the default, and the user's linear axis
        panel.log_y.setChecked(log)
        low, high = visible_y(panel)
        assert low <= view.baseline <= high, "the baseline left the plot"
        # the later losses and the baseline use a good part of the height, not a flat line at 0
        if log:
            span = np.log10(high) - np.log10(low)
            assert (np.log10(late.max()) - np.log10(late.min())) / span > 0.005
            assert (np.log10(view.baseline) - np.log10(low)) / span > 0.02  # off the bottom edge
        else:
            assert max(late.max(), view.baseline) / high > 0.5
    panel.log_y.setChecked(True)
    assert panel.log_y.isChecked() and panel.plot.getAxis("left").logMode


def test_loss_axis_says_what_a_loss_value_sums(qtbot):
    view = make_view(steps=T, hidden=H, layers=1)  # per-step targets
    panel = build(qtbot, LossPanel, view)
    label = panel.plot.getAxis("left").labelText
    assert f"{T}" in label and "batch mean" in label


# ------------------------------------------------------------------ compare
@pytest.fixture(scope="module")
def comparison():
    trainer = make_trainer({**FAST_MODEL, "cell": "lstm"}, {**FAST_TRAIN, "steps": 10**6}, FAST_DATA)
    trainer.run(3)
    return compare_with_tanh(trainer, max_steps=2)


def test_compare_legend_is_drawn_after_a_cleared_comparison(qtbot, comparison):
    panel = build(qtbot, ComparePanel, make_view(steps=T, hidden=H, layers=1, cell="lstm"), DOCK)
    panel.show_comparison(None)  # a new run clears it, then a view arrives
    panel.update_view(make_view(steps=T, hidden=H, layers=1, cell="lstm", seed=3))
    panel.show_comparison(comparison)
    lay_out(panel)
    legend = panel.plot.legend
    assert legend.isVisible() and legend.sceneBoundingRect().height() > 10
    names = legend_names(panel.plot)
    assert any("LSTM" in n and "this run" in n for n in names) and any("tanh twin" in n for n in names)
    current, twin = panel.current.opts["pen"].color().name(), panel.twin.opts["pen"].color().name()
    assert current != twin


# ------------------------------------------------------------------ chain
def with_diagnostics(view, **changes):
    diag = view.snapshot.diagnostics
    fields = {name: getattr(diag, name) for name in ("chain_log10", "bound_log10", "horizon", "regime", "growth",
                                                    "spectral_radius")}
    fields.update(changes)
    new = dataclasses.replace(diag, **fields) if dataclasses.is_dataclass(diag) else type(diag)(**{
        **vars(diag), **fields})
    return dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, diagnostics=new))


def test_chain_bound_far_above_is_said_to_be_off_scale(qtbot):
    view = make_view(steps=T, hidden=H, layers=1)
    chain = np.asarray(view.snapshot.diagnostics.chain_log10, dtype=float)  # (L, T+1) log10
    huge = 30.0 * np.arange(T + 1)[None, :]  # (L, T+1) log10 of a bound that leaves the chain far below
    panel = build(qtbot, ChainPanel, with_diagnostics(view, bound_log10=huge), DOCK)
    low, high = panel.plot.vb.viewRange()[1]  # log10 of the visible range
    assert high < np.nanmax(chain) + 3, "the chain is squashed under the bound"
    assert any("off-scale" in name for name in legend_names(panel.plot))


def test_chain_horizon_label_sits_at_the_top(qtbot):
    panel = build(qtbot, ChainPanel, make_view(steps=T, hidden=H, layers=1), DOCK)
    assert panel.horizon.label.orthoPos >= 0.9


# ------------------------------------------------------------------ text (task predictions)
def task_view(targets, outputs, labels=None):
    """make_view with the snapshot's sample swapped for a task's (targets, outputs)."""
    view = make_view(steps=T, hidden=H, layers=1)
    steps = np.asarray(outputs).shape[0] if np.asarray(outputs).ndim == 2 else T
    snapshot = dataclasses.replace(view.snapshot, targets=np.asarray(targets), outputs=np.asarray(outputs),
                                   labels=labels if labels is not None else [f"{v:.2f}" for v in range(steps)])
    return dataclasses.replace(view, snapshot=snapshot)


def test_a_last_step_answer_is_two_labelled_bars_with_both_values_in_range(qtbot):
    from rnnviz.gui.panels.text import TextPanel

    target, prediction = 1.21, 0.37  # the adding task: one number at the last step
    panel = build(qtbot, TextPanel, task_view([target], [prediction]), DOCK)
    assert panel.bars.isVisible()
    np.testing.assert_allclose(panel.bars.opts["height"], [target, prediction])
    texts = [label.textItem.toPlainText() for label in panel.bar_labels]
    assert texts == [f"{target:.3g}", f"{prediction:.3g}"]
    low, high = panel.plot.vb.viewRange()[1]
    assert low <= 0 and high > max(target, prediction)  # both bars and their labels fit
    ticks = [text for _, text in panel.plot.getAxis("bottom")._tickLevels[0]]
    assert ticks == ["target", "prediction"]
    assert legend_names(panel.plot) == []  # the axis names the bars


def test_per_step_predictions_have_an_outside_legend_and_readable_ticks(qtbot):
    from rnnviz.gui.panels.text import TextPanel

    steps = 40  # the copy task: 40 class ids, labels that used to pile up on the axis
    rng = np.random.default_rng(0)
    targets, outputs = rng.integers(0, 10, size=steps), rng.standard_normal((steps, 10))  # (T,), (T, C)
    panel = build(qtbot, TextPanel, task_view(targets, outputs, [str(v) for v in targets]), DOCK)
    assert not panel.bars.isVisible()
    np.testing.assert_allclose(panel.output_curve.yData, outputs.argmax(axis=1))
    assert legend_names(panel.plot) == ["target", "prediction"]
    legend = panel.plot.legend.sceneBoundingRect()
    assert not legend.intersects(panel.plot.vb.sceneBoundingRect()), "the legend sits on the data"
    axis = panel.plot.getAxis("bottom")
    assert axis._tickLevels is None  # numbered steps spaced by pyqtgraph, not one label per step
    width = axis.width() if axis.orientation in ("left", "right") else axis.geometry().width()
    spacing = axis.tickValues(0, steps - 1, width)
    shown = sum(len(values) for _, values in spacing[:1])
    assert shown * 25 <= width  # at least ~25 px a label


# ------------------------------------------------------------------ weights
@pytest.mark.parametrize("cell, gates", [("tanh", ()), ("lstm", ("i", "f", "g", "o")), ("gru", ("r", "z", "n"))])
def test_weights_name_and_mark_gate_blocks_only_for_gated_cells(qtbot, cell, gates):
    view = make_view(steps=T, hidden=H, layers=1, cell=cell)
    panel = build(qtbot, WeightsPanel, view, DOCK)
    label = panel.map.plot.getAxis("left").labelText
    assert ("stacked" in label) == bool(gates)
    lines = [line for line in panel.block_lines if line.isVisible()]
    assert sorted(line.value() for line in lines) == [k * H - 0.5 for k in range(1, len(gates))]
    ticks = panel.map.plot.getAxis("left")._tickLevels
    if gates:
        assert [text for _, text in ticks[0]] == list(gates)
    else:
        assert ticks is None


def test_weight_colour_bar_has_more_than_a_zero_tick(qtbot):
    view = make_view(steps=T, hidden=H, layers=1)
    huge = dict(view.snapshot.params, weight_hh_l0=np.asarray(view.snapshot.params["weight_hh_l0"]) * 1e10)
    panel = build(qtbot, WeightsPanel, dataclasses.replace(view, snapshot=dataclasses.replace(
        view.snapshot, params=huge)), DOCK)
    ticks = panel.map.bar.getAxis("right")._tickLevels[0]
    m = np.abs(huge["weight_hh_l0"]).max()
    assert len(ticks) >= 3 and max(value for value, _ in ticks) == pytest.approx(m)
    assert all(len(text) <= 7 for _, text in ticks)  # "1.4e10", never "14000000000.0"


# ------------------------------------------------------------------ spectrum
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


# ------------------------------------------------------------------ norms
def test_norms_plots_get_most_of_the_height(qtbot):
    panel = build(qtbot, NormsPanel, make_view(steps=T, hidden=H, layers=1, history=40), DOCK)
    heights = [plot.vb.sceneBoundingRect().height() for plot in (panel.top, panel.bottom)]
    legends = [plot.legend.sceneBoundingRect().height() for plot in (panel.top, panel.bottom)]
    assert min(heights) >= 60, heights
    assert sum(legends) <= 0.25 * DOCK[1], legends  # one row each


def test_loss_baseline_is_drawn_after_a_single_step(qtbot):
    view = make_view(steps=T, hidden=H, layers=1, history=1)  # the Exploding preset diverges at step 2
    panel = build(qtbot, LossPanel, view, DOCK)
    x = panel.baseline.xData
    assert x is not None and x[1] - x[0] > 0, "a zero-length baseline is invisible"


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
