"""The Gates view of a bidirectional net: both directions' units, and each direction's direct path
(the backward one counted from the input's start, where its processing ends)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.diagnostics import gating
from rnnviz.core.train import presets
from rnnviz.gui.panels import GatesPanel
from tests.gui.factories import DOCK, build


def test_keep_paths_of_a_backward_direction_run_from_the_start():
    gate = np.array([[0.5, 1.0], [1.0, 0.25], [0.1, 0.1]])  # (T=3, H=2)
    best, median = gating.keep_paths(gate, reverse=True)
    # processing order is t = 2, 1, 0: its last k steps are input steps 0..k-1
    # unit 0: 0.5, 0.5, 0.05; unit 1: 1.0, 0.25, 0.025
    np.testing.assert_allclose(best, [1.0, 1.0, 0.5, 0.05])
    np.testing.assert_allclose(median, [1.0, 0.75, 0.375, 0.0375])
    forward, _ = gating.keep_paths(gate)
    np.testing.assert_allclose(forward, [1.0, 0.1, 0.1, 0.05])


@pytest.mark.parametrize("cell,gate_name", [("lstm", "forget_gate"), ("gru", "update_gate")])
def test_bidirectional_gates_show_both_directions(qtbot, cell, gate_name):
    run = presets.make_trainer({"hidden_size": 3, "bidirectional": True, "cell": cell}, {"batch_size": 4},
                               {"kind": "task", "name": "marker", "length": 6})
    run.run(2)
    view = run.view_data()
    panel = build(qtbot, GatesPanel, view)
    gate = np.asarray(view.snapshot.extras[gate_name])[:, 0]  # (T, 2H) forward then backward units
    assert gate.shape[1] == 6
    assert panel.divider.isVisible() and panel.divider.value() == pytest.approx(2.5)
    assert "fwd | bwd" in panel.map.plot.titleLabel.text
    forward, _ = gating.keep_paths(gate[:, :3])
    backward, _ = gating.keep_paths(gate[:, 3:], reverse=True)
    np.testing.assert_allclose(panel.best.values, forward)
    np.testing.assert_allclose(panel.best_back.values, backward)
    assert panel.best_back.isVisible()
    labels = [label.text for _, label in panel.path.legend.items]
    assert "backward: best-kept unit" in labels and "forward: median unit" in labels
    header, rows = panel.csv_table()
    assert {row[0] for row in rows} >= {"backward_direct_path_largest_unit", "forward_direct_path_median_unit"}


def test_one_way_gates_have_no_backward_curves(qtbot):
    run = presets.make_trainer({"hidden_size": 3, "cell": "lstm"}, {"batch_size": 4},
                               {"kind": "task", "name": "adding", "length": 6})
    run.run(1)
    panel = build(qtbot, GatesPanel, run.view_data())
    assert not panel.divider.isVisible() and not panel.best_back.isVisible() and panel.best.isVisible()


@pytest.mark.parametrize("reverse", (False, True))
def test_encoder_decoder_gates_split_at_the_context(qtbot, reverse):
    run = presets.make_trainer({"hidden_size": 3, "arch": "seq2seq", "cell": "lstm", "decoder_hidden_size": 4,
                                "reverse_source": reverse}, {"batch_size": 4},
                               {"kind": "task", "name": "reverse", "length": 5})
    run.run(2)
    view = run.view_data()
    panel = build(qtbot, GatesPanel, view)
    gate = np.asarray(view.snapshot.extras["forget_gate"])[:, 0]  # (S + U, max(He, Hd)), NaN where no unit
    assert gate.shape == (10, 4) and np.isnan(gate[:5, 3]).all() and np.isfinite(gate[5:]).all()
    assert panel.divider.isVisible() and panel.divider.angle == 90 and panel.divider.value() == pytest.approx(4.5)
    assert "encoder | decoder" in panel.map.plot.titleLabel.text
    encoder, _ = gating.keep_paths(gate[:5, :3], reverse=reverse)
    decoder, _ = gating.keep_paths(gate[5:])
    np.testing.assert_allclose(panel.best.values, encoder)
    np.testing.assert_allclose(panel.best_back.values, decoder)
    labels = [label.text for _, label in panel.path.legend.items]
    assert "encoder: best-kept unit" in labels and "decoder: median unit" in labels


def test_the_two_direction_title_fits_over_its_map(qtbot):
    run = presets.make_trainer({"hidden_size": 16, "bidirectional": True, "cell": "gru"}, {"batch_size": 4},
                               {"kind": "task", "name": "marker", "length": 20})  # the preset's sizes
    run.run(1)
    panel = build(qtbot, GatesPanel, run.view_data(), DOCK)
    title = panel.map.plot.titleLabel.item.sceneBoundingRect()
    plot = panel.map.plot.sceneBoundingRect()
    assert plot.left() - 1 <= title.left() and title.right() <= plot.right() + 1, (title, plot)
