"""Units off: the panel draws held vs free from the core's comparison and the ranking; the
hidden-state map selects units; the window switches them off and training goes on."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from rnnviz.gui.panels import HiddenPanel, UnitsPanel
from rnnviz.gui.panels.units import FEWEST_SHOWN, RANKED_SHOWN
from tests.gui.factories import build, make_view


def test_held_and_free_curves_and_the_ranking(qtbot):
    view = make_view(steps=7, hidden=20, layers=1)
    panel = build(qtbot, UnitsPanel, view)
    comparison, ranking = view.units.comparison, view.units.ranking
    np.testing.assert_allclose(panel.profile_held.values, comparison.profile_with[:, 0])
    np.testing.assert_allclose(panel.profile_free.values, comparison.profile_without[:, 0])
    np.testing.assert_allclose(np.log10(panel.chain_free.values), comparison.chain_without[0], atol=1e-12)
    assert f"{comparison.loss_with:.4g} held" in panel.loss_label.text
    heights = np.concatenate([panel.bars_up.opts["height"], panel.bars_down.opts["height"]])
    assert FEWEST_SHOWN <= panel._shown_bars <= RANKED_SHOWN  # as many as their names fit
    expected = np.sort(ranking.delta)[::-1][:panel._shown_bars]
    np.testing.assert_allclose(np.sort(heights)[::-1], expected)
    free = build(qtbot, UnitsPanel, dataclasses.replace(
        view, units=dataclasses.replace(view.units, comparison=None, ranking=None, ranking_note="skipped here")))
    assert free.rank_note.isVisible() and "skipped here" in free.rank_note.textItem.toPlainText()
    overflowed = dataclasses.replace(ranking, delta=np.full_like(ranking.delta, np.nan), base_loss=float("inf"))
    diverged = build(qtbot, UnitsPanel, dataclasses.replace(view, units=dataclasses.replace(view.units,
                                                                                          ranking=overflowed)))
    assert diverged.rank_note.isVisible() and "no ranking: the loss on this batch is inf" in \
        diverged.rank_note.textItem.toPlainText().replace("\n", " ")
    assert len(diverged.bars_up.opts["height"]) == len(diverged.bars_down.opts["height"]) == 0
    assert diverged.rank_plot.getAxis("bottom").labelText == "unit, most needed first"  # no "9 of 20" left


def test_buttons_ask_for_free_units_and_a_ranking(qtbot):
    panel = build(qtbot, UnitsPanel, make_view(steps=5, hidden=4, layers=1))
    panel.mode.setCurrentText("mean")
    with qtbot.waitSignal(panel.units_off_requested) as freed:
        panel.free_button.click()
    assert freed.args == [[], "mean"]
    with qtbot.waitSignal(panel.rank_requested):
        panel.rank_button.click()


def test_hidden_map_selects_units_to_switch_off(qtbot):
    view = make_view(steps=5, hidden=6, layers=2)  # unit 0 of layer 0 is held in this view
    panel = build(qtbot, HiddenPanel, view)
    assert not panel.off_button.isEnabled()
    np.testing.assert_array_equal(panel.held_marks.getData()[1], [0])
    panel.select_unit(3)
    panel.select_unit(4, add=True)
    panel.select_unit(3, add=True)  # Ctrl+click again: out of the selection
    assert panel.selected == {(0, 4)} and panel.off_button.text() == "Switch off (1)"
    np.testing.assert_array_equal(panel.selected_marks.getData()[1], [4])
    with qtbot.waitSignal(panel.units_off_requested) as asked:
        panel.off_button.click()
    assert asked.args == [[[0, 0], [0, 4]]]  # those held stay held
    assert panel.selected == set()
    panel.select_unit(5)
    panel.update_view(make_view(steps=5, hidden=4, layers=1))  # a smaller network: unit 5 is gone
    assert panel.selected == set() and not panel.off_button.isEnabled()


def test_window_switches_units_off_and_trains_on(make_window, qtbot):
    window = make_window()
    hidden = next(p for p in window.panels if p.view_name == "hidden")
    units = next(p for p in window.panels if p.view_name == "units")
    hidden.select_unit(2)
    hidden.select_unit(5, add=True)
    hidden.off_button.click()

    def held():
        view = window.latest_view
        return view is not None and view.units.clamp is not None and view.units.clamp.units == ((0, 2), (0, 5))

    qtbot.waitUntil(held, timeout=10_000)
    view = window.latest_view
    assert np.all(view.snapshot.hidden[:, 0, [2, 5]] == 0)
    window.train_steps(3)
    qtbot.waitUntil(lambda: window.latest_view.snapshot.step >= 3, timeout=10_000)
    qtbot.waitUntil(lambda: window.drawn.get(units) is window.latest_view, timeout=10_000)
    assert window.latest_view.units.comparison is not None
    assert units.profile_plot.titleLabel.text.startswith("Gradient profile") and "held," in units.loss_label.text
    units.free_button.click()
    qtbot.waitUntil(lambda: window.latest_view.units.clamp is None, timeout=10_000)


def test_opening_a_session_with_units_off_brings_their_docks_forward(make_window, qtbot, dialogs, tmp_path):
    from rnnviz.core.train import presets, session
    from rnnviz.gui.window.main import in_sight
    from tests.gui.conftest import FAST_DATA, FAST_MODEL, FAST_TRAIN

    saved = presets.make_trainer({**FAST_MODEL, "cell": "lstm"}, FAST_TRAIN, FAST_DATA)  # gates would be in front
    saved.run(2)
    saved.switch_units_off([(0, 1), (0, 6)], "zero")
    saved.units_mode = "mean"  # the next units would be held at their mean: the window's "hold at" follows
    path = session.save(saved, tmp_path / "held.npz")
    window = make_window()
    hidden = next(p for p in window.panels if p.view_name == "hidden")
    units = next(p for p in window.panels if p.view_name == "units")
    gradients = next(p for p in window.panels if p.view_name == "gradients")
    window.docks[gradients].raise_()  # units sits behind the gradient profile
    qtbot.waitUntil(lambda: not in_sight(units), timeout=5_000)
    damaged = tmp_path / "damaged.npz"  # a unit of another shape: refused in a dialog, the run kept
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    metadata = json.loads(str(arrays["metadata"]))
    metadata["units_off"]["units"] = ["0:1", "enc 2"]
    np.savez(damaged, **{**arrays, "metadata": np.array(json.dumps(metadata))})
    before = window.latest_view
    assert not window.open_session(str(damaged))
    assert len(dialogs) == 1 and "the units switched off: 'enc 2' is not a unit" in dialogs[0][1]
    assert window.latest_view is before and not in_sight(units)
    assert window.open_session(str(path))
    qtbot.waitUntil(lambda: window.latest_view is not None and window.latest_view.units.clamp is not None,
                    timeout=10_000)
    qtbot.waitUntil(lambda: in_sight(units) and in_sight(hidden), timeout=5_000)
    qtbot.waitUntil(lambda: hidden.view is window.latest_view and units.view is window.latest_view, timeout=10_000)
    marks = hidden.held_marks.getData()[1]
    assert len(marks) == 2 and "2 unit(s) off (zero): 0:1, 0:6" in units.readout.text()
    assert units.mode.currentText() == "mean"

    window.start_with(FAST_MODEL, FAST_TRAIN, FAST_DATA)  # a run without units held changes nothing of that
    window.docks[gradients].raise_()
    qtbot.waitUntil(lambda: window.latest_view.units.clamp is None, timeout=10_000)
    assert not in_sight(units) and units.mode.currentText() == "mean"  # the person's choice stays


def test_the_readout_wraps_inside_the_dock(qtbot):
    view = make_view(steps=7, hidden=20, layers=1)
    clamp = view.units.clamp
    many = dataclasses.replace(view.units.comparison, names=tuple(f"unit number {i}" for i in range(40)),
                               units=tuple((0, i) for i in range(40)))
    panel = build(qtbot, UnitsPanel, dataclasses.replace(view, units=dataclasses.replace(view.units,
                                                                                        comparison=many)))
    assert clamp is not None and panel.readout.text().count("unit number") == 40
    assert panel.readout.minimumSizeHint().width() < 200 and panel.minimumSizeHint().width() < 460


def test_where_zeros_are_drawn_is_said_beside_the_losses_not_in_the_title(qtbot):
    view = make_view(steps=7, hidden=20, layers=1)
    profile = view.units.comparison.profile_with.copy()
    profile[0] = 0.0  # a gradient of exactly 0 at t = 0 (all of it through held units)
    zeros = dataclasses.replace(view.units, comparison=dataclasses.replace(view.units.comparison,
                                                                           profile_with=profile))
    panel = build(qtbot, UnitsPanel, dataclasses.replace(view, units=zeros))
    assert panel.profile_plot.titleLabel.text == "Gradient profile"
    assert "<br>zeros drawn at" in panel.loss_label.text and "held," in panel.loss_label.text
