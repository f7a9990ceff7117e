"""The units panel of a shape without units off says so, in words that fit the dock, instead of
drawing empty plots without a reason; padded labelled text has its ranking."""

from __future__ import annotations

from rnnviz.core.train import presets
from rnnviz.gui.panels import UnitsPanel
from tests.gui.factories import build


def test_a_bidirectional_net_says_why_there_are_no_units_off(qtbot):
    run = presets.make_trainer({"hidden_size": 4, "bidirectional": True}, {"batch_size": 4},
                               {"kind": "task", "name": "marker", "length": 6})
    run.run(1)
    view = run.view_data()
    assert not view.units.available
    panel = build(qtbot, UnitsPanel, view)
    assert panel.readout.text().startswith("no units off for this network's shape")
    assert "bidirectional" in panel.rank_note.toPlainText()
    assert max(len(line) for line in panel.rank_note.toPlainText().splitlines()) <= 56


def test_padded_labelled_text_has_its_ranking(qtbot):
    run = presets.make_trainer({"hidden_size": 4}, {"batch_size": 4},
                               {"kind": "sample", "name": "reviews.tsv"})
    run.run(1)
    view = run.view_data(ranking="always")
    assert view.units.available and view.units.ranking is not None
    panel = build(qtbot, UnitsPanel, view)
    assert not panel.rank_note.isVisible()
