"""The connectivity panel draws the core's map and its mean by distance, and colours the inputs
of the hovered prediction by their share."""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import pytest

from rnnviz.gui.panels import ConnectivityPanel
from rnnviz.gui.panels.connectivity import DECADES_SHOWN, colour_decades, log_connectivity
from rnnviz.gui.panels.base import printable_label
from tests.gui.factories import build, make_view


def test_map_and_curve_are_the_core_numbers(qtbot):
    view = make_view(steps=9, hidden=6, layers=1)
    panel = build(qtbot, ConnectivityPanel, view)
    conn = view.connectivity
    logs = log_connectivity(conn.matrix)
    shown = panel.map.image.image
    lower = np.tril_indices(9)
    top = np.ceil(np.nanmax(logs))  # levels on whole decades
    np.testing.assert_allclose(shown[lower], np.maximum(logs[lower], max(np.floor(np.nanmin(logs)), top - DECADES_SHOWN)))
    assert np.isnan(shown[np.triu_indices(9, 1)]).all()  # the future is left blank
    np.testing.assert_allclose(panel.curve.values, conn.by_distance)
    assert panel.map.plot.titleLabel.text == "C = \u2016\u2202\u0177_t,k/\u2202x_s\u2016"  # k: the predicted class
    assert panel.readout.text().startswith("C: the logit of k, the class predicted at t; hover")


def test_hover_colours_the_inputs_of_one_prediction(qtbot):
    view = make_view(steps=8, hidden=6, layers=2)
    panel = build(qtbot, ConnectivityPanel, view)
    t, s = 5, 2
    text = panel.readout_at(s, t)
    assert f"{view.connectivity.matrix[t, s]:.3g}" in text
    assert text.count("<span") == t + 1  # inputs 0..t, none from the future
    assert panel.readout_at(t + 1, t) == "" and panel.readout_at(0, 99) == ""
    share = view.connectivity.share[t]
    assert f"largest share {share[:t + 1].max():.0%}" in text


def test_an_overflowed_map_neither_crashes_nor_warns(qtbot):
    view = make_view(steps=6, hidden=4, layers=1)
    conn = view.connectivity
    matrix = conn.matrix.copy()
    matrix[3, :2] = np.inf
    matrix[4, 1] = np.nan
    matrix[5] = 0.0
    share = conn.share.copy()
    share[[3, 5]] = np.nan  # as the core divides them: Inf / Inf and 0 / 0
    bad = dataclasses.replace(view, connectivity=dataclasses.replace(conn, matrix=matrix, share=share))
    panel = build(qtbot, ConnectivityPanel, bad)
    header, rows = panel.csv_table()
    assert len(rows) == 6 * 7 // 2 + 6
    assert panel.readout_at(1, 3).startswith("C = inf (share none)") and "C overflowed in this row" in \
        panel.readout_at(1, 3)
    assert "every C is 0 in this row" in panel.readout_at(1, 5)
    panel.readout_at(1, 4)
    empty = build(qtbot, ConnectivityPanel, dataclasses.replace(view, connectivity=None))
    assert empty.empty.isVisible() and empty.csv_table()[1] == []


def _with_labels(view, labels):
    return dataclasses.replace(view, snapshot=dataclasses.replace(view.snapshot, labels=labels))


def test_hovered_characters_read_as_text_and_words_stay_apart(qtbot):
    view = make_view(steps=6, hidden=4, layers=1)
    panel = build(qtbot, ConnectivityPanel, _with_labels(view, list("ab cd\n")))
    text = panel.shares_html(5)
    assert ">a</span>\u200b<span" in text and ">\u2423</span>" in text and ">\u23ce</span>" in text
    panel.update_view(_with_labels(view, ["the", "cat", "sat", "on", "a", "mat"]))
    text = panel.shares_html(5)
    assert ">the</span> <span" in text and ">on</span> <span" in text  # words apart, as in the review


def test_a_long_hover_line_wraps_inside_the_dock(qtbot):
    view = make_view(steps=80, hidden=4, layers=1)
    panel = build(qtbot, ConnectivityPanel, _with_labels(view, [f"{v:.2f}" for v in np.linspace(0, 1, 80)]))
    panel.resize(420, 300)
    panel.readout.setText(panel.readout_at(3, 79))  # 80 values, ~3000 px in one line
    assert panel.readout.text().count("<span") == 80
    assert panel.readout.minimumSizeHint().width() < 100 and panel.minimumSizeHint().width() < 420
    panel.update_view(_with_labels(view, ["x"] * 80))  # 80 characters: no space to break at
    panel.readout.setText(panel.readout_at(3, 79))
    assert panel.readout.minimumSizeHint().width() < 100 and panel.minimumSizeHint().width() < 420


def test_the_readout_leaves_the_plots_their_height(qtbot):
    panel = build(qtbot, ConnectivityPanel, make_view(steps=20, hidden=4, layers=1))
    panel.resize(400, 230)  # a dock of the default layout
    panel.show()
    qtbot.waitUntil(lambda: panel.canvas.height() > 0)
    assert panel.readout.height() <= 3 * panel.readout.fontMetrics().height()
    assert panel.canvas.height() >= 230 // 2


@pytest.mark.parametrize("data, joined", [({"kind": "sample", "name": "reviews.tsv"}, " "),
                                          ({"kind": "sample", "name": "fables.txt"}, "\u200b")])
def test_a_real_text_colours_its_own_words_or_characters(qtbot, data, joined):
    """The labelled reviews (words, padded to the batch's longest) and a character-level text."""
    from rnnviz.core.train import presets

    run = presets.make_trainer({"hidden_size": 6}, {"batch_size": 4, "seq_len": 12}, data)
    run.run(1)
    view = run.view_data(sample=1, ranking="never")
    panel = build(qtbot, ConnectivityPanel, view)
    t = view.connectivity.matrix.shape[0] - 1  # a review's map is its own real words, no pads
    text = panel.shares_html(t)
    labels = view.snapshot.labels[:t + 1]
    assert text.count("<span") == t + 1 and "<pad>" not in text and "&lt;pad&gt;" not in text
    assert f">{html.escape(printable_label(labels[0]))}</span>{joined}<span" in text


def test_the_colour_levels_hold_while_the_smallest_values_keep_falling():
    """Whole decades; a first fit is tight; the bottom holds while the smallest value stays within
    two decades above it, moves a decade further when the values fall below it, and comes back
    up when they rise two decades clear; never more than DECADES_SHOWN under the top."""
    levels = colour_decades(None, -5.3, -0.2)
    assert levels == (-6.0, 0.0)
    assert colour_decades(levels, -5.9, -0.4) == levels  # within: held
    assert colour_decades(levels, -4.1, -0.4) == levels  # up to two decades clear: held
    assert colour_decades(levels, -3.9, -0.4) == (-4.0, 0.0)  # more: fitted again, tight
    assert colour_decades(levels, -6.2, -0.4) == (-8.0, 0.0)  # below: a decade of room
    assert colour_decades(levels, -6.2, 1.5) == (-8.0, 2.0)  # the top follows the largest value
    assert colour_decades(levels, -40.0, -0.4) == (-DECADES_SHOWN, 0.0)
    assert colour_decades(None, -3.0, -3.0) == (-3.0, -2.0)  # one value: a decade, never an empty range
