"""Units off for the other shapes in the panels: a unit selected in the hidden-state map of a
bidirectional or an encoder-decoder run is switched off, and the units panel draws the run with
and without it, the chosen stack's chain and the ranking under the shape's unit names. Padded
labelled text has its ranking too."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.nn.units import unit_name
from rnnviz.core.train import presets
from rnnviz.gui.panels import HiddenPanel, UnitsPanel
from rnnviz.gui.panels.units import FEWEST_SHOWN
from tests.gui.factories import build, lay_out

SHAPES = {
    "bidirectional": ({"hidden_size": 4, "bidirectional": True}, {"kind": "task", "name": "marker", "length": 6}),
    "seq2seq": ({"hidden_size": 4, "decoder_hidden_size": 3, "arch": "seq2seq"},
                {"kind": "task", "name": "reverse", "length": 4}),
}


def _run(shape):
    model, data = SHAPES[shape]
    run = presets.make_trainer(model, {"batch_size": 4}, data)
    run.run(2)
    return run


def _click_row(hidden: HiddenPanel, t: int, row: int, add: bool = False) -> int:
    """What a click on the map's cell (t, row) selects: the unit there."""
    unit = hidden.unit_at(t, row)
    assert unit is not None
    hidden.select_unit(unit, add)
    return unit


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_unit_selected_in_the_map_is_switched_off_and_compared(qtbot, shape):
    run = _run(shape)
    view = run.view_data(ranking="never")
    hidden = build(qtbot, HiddenPanel, view)
    steps = view.snapshot.hidden.shape[0]
    if shape == "bidirectional":  # the backward half sits above the forward one: row 5 is "bwd 1"
        assert hidden.divider.isVisible() and hidden.divider.angle == 0
        first = _click_row(hidden, 0, 5)
        second = _click_row(hidden, 2, 0, add=True)
        assert (first, second) == (5, 0)
        names = ["fwd 0", "bwd 1"]
    else:  # left of the context a row is an encoder unit, right of it a decoder unit
        context = view.snapshot.part_steps[0]
        assert hidden.divider.isVisible() and hidden.divider.angle == 90
        assert hidden.unit_at(context, 3) is None  # the decoder has 3 units: no fourth row there
        first = _click_row(hidden, 0, 1)
        second = _click_row(hidden, context, 1, add=True)
        assert (first, second) == (1, 5)
        names = ["enc 1", "dec 1"]
    assert hidden.readout_at(0, 1).split("unit ")[1].startswith(unit_name(run.model_config, 0, hidden.unit_at(0, 1)))
    with qtbot.waitSignal(hidden.units_off_requested) as asked:
        hidden.off_button.click()
    chosen = asked.args[0]
    run.switch_units_off(chosen, "mean")
    view = run.view_data(ranking="always")
    assert view.units.comparison.names == tuple(names)

    hidden.update_view(view)  # held units: crosses at the right edge of their stack's part of the map
    xs, rows = hidden.held_marks.getData()
    if shape == "bidirectional":
        np.testing.assert_array_equal(rows, [0, 5])
        np.testing.assert_array_equal(xs, [steps - 0.5] * 2)
    else:
        np.testing.assert_array_equal(rows, [1, 1])
        np.testing.assert_array_equal(xs, [context - 0.5, steps - 0.5])

    units = build(qtbot, UnitsPanel, view)
    comparison = view.units.comparison
    assert not units.part.isHidden() and units.part.count() == 2
    part = units.part.currentData()
    chain_with, chain_without = comparison.part_chains[part]
    np.testing.assert_allclose(np.log10(units.chain_free.values), chain_without[0], atol=1e-12)
    np.testing.assert_allclose(units.profile_held.values, comparison.profile_with[:, 0])
    np.testing.assert_allclose(units.profile_free.values, comparison.profile_without[:, 0])
    assert f"{comparison.loss_with:.4g} held, {comparison.loss_without:.4g} free" in units.loss_label.text
    assert units.readout.text() == f"2 unit(s) off (mean): {', '.join(names)} \u00b7 ranked on 4 sequences"
    other = 1 - units.part.currentIndex()
    units.part.setCurrentIndex(other)  # the other stack's chain
    chain_without = comparison.part_chains[units.part.itemData(other)][1]
    np.testing.assert_allclose(np.log10(units.chain_free.values), chain_without[0], atol=1e-12)
    assert units.part.itemData(other) in units.chain_plot.titleLabel.text.lower()

    ranking = view.units.ranking
    ticks = [label for _, label in units.rank_plot.getAxis("bottom")._tickLevels[0]]
    assert ticks == [ranking.names[j] for j in ranking.order()[:len(ticks)]]
    assert not set(names) & set(ranking.names) and len(ranking.names) == view.units.hidden_size - 2
    heights = np.concatenate([units.bars_up.opts["height"], units.bars_down.opts["height"]])
    np.testing.assert_allclose(np.sort(heights), np.sort(ranking.delta[ranking.order()[:len(ticks)]]))


def test_padded_labelled_text_has_its_ranking(qtbot):
    run = presets.make_trainer({"hidden_size": 4}, {"batch_size": 4},
                               {"kind": "sample", "name": "reviews.tsv"})
    run.run(1)
    view = run.view_data(ranking="always")
    assert view.units.ranking is not None
    panel = build(qtbot, UnitsPanel, view)
    assert not panel.rank_note.isVisible() and panel.part.isHidden()


def test_a_narrow_dock_shows_as_many_bars_as_their_names_fit(qtbot):
    run = _run("bidirectional")
    view = run.view_data(ranking="always")
    wide = build(qtbot, UnitsPanel, view, size=(1400, 700))
    narrow = build(qtbot, UnitsPanel, view, size=(330, 700))
    assert wide._shown_bars == 8  # every unit of the 4 + 4
    assert FEWEST_SHOWN <= narrow._shown_bars < wide._shown_bars
    assert len(narrow.bars_up.opts["height"]) + len(narrow.bars_down.opts["height"]) == narrow._shown_bars
    assert narrow.readout.text().endswith("ranked on 4 sequences")
    assert f": {narrow._shown_bars} of 8" in narrow.rank_plot.getAxis("bottom").labelText
    lay_out(narrow, (1400, 700))  # widened: the bars follow, and the range with them
    assert narrow._shown_bars == 8
    low, high = narrow.rank_plot.vb.viewRange()[0]
    assert low <= -0.4 and high >= 7.4


def test_window_switches_off_an_encoder_unit_and_trains_on(make_window, qtbot):
    from tests.gui.conftest import FAST_MODEL, FAST_TRAIN

    window = make_window(model={**FAST_MODEL, "hidden_size": 5, "arch": "seq2seq", "decoder_hidden_size": 4},
                         train=FAST_TRAIN, data={"kind": "task", "name": "reverse", "length": 4})
    hidden = next(p for p in window.panels if p.view_name == "hidden")
    units = next(p for p in window.panels if p.view_name == "units")
    context = window.latest_view.snapshot.part_steps[0]
    hidden.select_unit(hidden.unit_at(0, 2))  # an encoder unit
    hidden.select_unit(hidden.unit_at(context + 1, 3), add=True)  # the decoder's last unit
    hidden.off_button.click()

    def held():
        view = window.latest_view
        return view.units.clamp is not None and view.units.clamp.units == ((0, 2), (0, 8))

    qtbot.waitUntil(held, timeout=10_000)
    window.train_steps(3)
    qtbot.waitUntil(lambda: window.latest_view.snapshot.step >= 3 and window.drawn.get(units) is window.latest_view,
                    timeout=10_000)
    view = window.latest_view
    assert view.units.comparison.names == ("enc 2", "dec 3")
    assert "off (zero): enc 2, dec 3" in units.readout.text() and "held," in units.loss_label.text
    np.testing.assert_array_equal(view.snapshot.hidden[context:, 0, 3], view.units.clamp.values[1])


def test_an_encoder_decoder_profile_has_a_line_at_the_context(qtbot):
    run = _run("seq2seq")
    run.switch_units_off([(0, 1)])
    view = run.view_data(ranking="never")
    panel = build(qtbot, UnitsPanel, view)
    assert panel.context_line.isVisible() and panel.context_line.value() == view.snapshot.part_steps[0] - 0.5
    assert len(panel.profile_held.values) == sum(view.snapshot.part_steps)
    bidirectional = _run("bidirectional")
    bidirectional.switch_units_off([(0, 1)])
    panel.update_view(bidirectional.view_data(ranking="never"))
    assert not panel.context_line.isVisible()


def test_the_chain_shown_first_is_that_of_the_first_unit_held(qtbot):
    run = _run("seq2seq")
    run.switch_units_off([(0, 5)])  # dec 1
    panel = build(qtbot, UnitsPanel, run.view_data(ranking="never"))
    assert panel.part.currentData() == "decoder" and "decoder" in panel.chain_plot.titleLabel.text.lower()
