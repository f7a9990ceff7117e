"""The chain panel: the exact log chain with its bound, horizon and badge, chains beyond
float64, a bound off-scale, and the badge's notes for gated and ReLU cells."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from rnnviz.gui.panels import ChainPanel
from tests.gui.factories import DOCK, build, legend_names, make_view

T, H, L = 10, 6, 2  # small: every test stays well under a second


@pytest.fixture(scope="module")
def view():
    return make_view(steps=T, hidden=H, layers=L, history=20)


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


def test_the_badge_says_where_a_gated_gradient_goes_and_how_many_relu_units_died(qtbot):
    from rnnviz.gui.panels import ChainPanel

    panel = ChainPanel()
    qtbot.addWidget(panel)
    panel.update_view(make_view(steps=12, hidden=8, layers=1, history=20, cell="lstm"))
    assert "cell path: see Gates" in panel.badge.text
    view = make_view(steps=12, hidden=8, layers=1, history=20, cell="relu")
    diag = dataclasses.replace(view.snapshot.diagnostics, dead_units=np.array([0.25]))
    panel.update_view(dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, diagnostics=diag)))
    assert "dead units 25%" in panel.badge.text


# ------------------------------------------------------------------ the badge and the horizon
BADGE_T = 12  # the badge tests' window


def with_regime(view, regime: str, horizon: int, scored: int):
    snapshot = view.snapshot
    diag = dataclasses.replace(snapshot.diagnostics, regime=regime, horizon=horizon)
    targets = snapshot.targets[:scored]  # a loss at every step (text) or at the last only (a task)
    return dataclasses.replace(view, snapshot=dataclasses.replace(snapshot, diagnostics=diag, targets=targets))


def test_a_vanishing_badge_beside_a_full_horizon_says_why_on_a_text_run(qtbot):
    view = make_view(steps=BADGE_T, hidden=8, layers=1)
    panel = build(qtbot, ChainPanel, with_regime(view, "vanishing", BADGE_T - 1, scored=BADGE_T))
    text = panel.badge.text
    assert "VANISHING" in text and "a loss at every step feeds each h_t" in text


def test_the_badge_adds_nothing_when_it_agrees_with_the_horizon(qtbot):
    view = make_view(steps=BADGE_T, hidden=8, layers=1)
    panel = build(qtbot, ChainPanel, with_regime(view, "vanishing", 2, scored=BADGE_T))  # short horizon: agrees
    assert "loss at every step" not in panel.badge.text
    panel.update_view(with_regime(view, "vanishing", BADGE_T - 1, scored=1))  # one scored step: no such path
    assert "loss at every step" not in panel.badge.text
    panel.update_view(with_regime(view, "stable", BADGE_T - 1, scored=BADGE_T))
    assert "loss at every step" not in panel.badge.text
    assert np.isfinite(float(panel.view.snapshot.diagnostics.growth))


def test_the_caveat_line_keeps_its_room_while_the_regime_flips_in_one_run(qtbot):
    """A regime flipping early in a run would add and remove the caveat's line at every flip, and
    the plot below would be laid out again each time: the line stays (empty) for the rest of the
    run, and a new run starts without it."""
    view = make_view(steps=BADGE_T, hidden=8, layers=1)
    panel = build(qtbot, ChainPanel, with_regime(view, "vanishing", BADGE_T - 1, scored=BADGE_T))
    with_caveat = panel.badge.item.boundingRect().height()
    panel.update_view(with_regime(view, "stable", BADGE_T - 1, scored=BADGE_T))
    assert "loss at every step" not in panel.badge.text and "<br>" in panel.badge.text
    assert panel.badge.item.boundingRect().height() == with_caveat
    other_run = dataclasses.replace(view, model_config={**view.model_config, "hidden_size": 9})
    panel.update_view(with_regime(other_run, "stable", BADGE_T - 1, scored=BADGE_T))
    assert "<br>" not in panel.badge.text
    assert panel.badge.item.boundingRect().height() < with_caveat


def test_a_chain_cut_to_zero_is_named_under_the_badge(qtbot):
    """Every unit off 5 steps back: the chain is exactly 0 from there (log10 -inf), and the badge
    says so instead of leaving its growth unexplained."""
    view = make_view(steps=BADGE_T, hidden=8, layers=1)
    diag = view.snapshot.diagnostics
    cut = np.array(diag.chain_log10, dtype=float)  # (L, T+1)
    cut[:, 5:] = -np.inf
    diag = dataclasses.replace(diag, chain_log10=cut, regime="stable")
    view = dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, diagnostics=diag))
    panel = build(qtbot, ChainPanel, view)
    assert "every unit off 5 steps back" in panel.badge.text


def test_the_other_runs_chains_stay_inside_the_range(qtbot, view, monkeypatch):
    """Runs compared: another run's chain (log10) far below and above this run's still fits."""
    panel = build(qtbot, ChainPanel, view)
    others = np.array([-60.0, 30.0])
    monkeypatch.setattr(panel.runs, "values", lambda shown: others)
    panel.update_view(dataclasses.replace(view))
    low, high = panel.plot.vb.viewRange()[1]
    assert low <= others.min() and others.max() <= high


def test_a_badge_keeps_the_small_size_while_only_its_numbers_change(qtbot):
    """A long badge takes the label size; the same words with shorter numbers keep it (a badge
    changing size at every view lays the plot out again); other words are sized afresh."""
    from rnnviz.gui.panels.chain import BADGE_LONG
    from rnnviz.gui.plot import style

    panel = ChainPanel()
    qtbot.addWidget(panel)
    short = "\u2192 <b>STABLE</b> \u00d70.98 \u00b7 \u2190 <b>VANISHING</b> \u00d70.5"
    long = "\u2192 <b>STABLE</b> \u00d71.1e+02 \u00b7 \u2190 <b>VANISHING</b> \u00d7-0.00123"
    assert len(short.replace("<b>", "").replace("</b>", "")) <= BADGE_LONG < len(long.replace("<b>", "").replace("</b>", ""))
    assert panel._badge_size(short) == style.TITLE_SIZE
    assert panel._badge_size(long) == style.LABEL_SIZE
    assert panel._badge_size(short) == style.LABEL_SIZE  # the same words: held
    assert panel._badge_size("<b>STABLE</b> \u00d70.98 per step") == style.TITLE_SIZE  # other words
    assert panel._badge_size(short) == style.TITLE_SIZE
