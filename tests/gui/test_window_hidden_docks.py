"""Docks out of sight cost nothing: a panel in a hidden or tabbed-away dock skips the redraws,
and draws the latest view as soon as its dock is shown again."""

from __future__ import annotations

import pytest

from rnnviz.gui.window.main import in_sight
from tests.gui.conftest import OFFSCREEN_NOISE, latest_step

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def _panel(window, name):
    return next(p for p in window.panels if p.view_name == name)


def test_a_hidden_dock_skips_redraws_and_catches_up_when_shown(make_window, qtbot):
    window = make_window()
    spectrum, gates, hidden = _panel(window, "spectrum"), _panel(window, "gates"), _panel(window, "hidden")
    window.docks[spectrum].hide()  # View menu: closed
    window.docks[hidden].raise_()  # gates tabbed away behind the hidden states
    qtbot.waitUntil(lambda: not in_sight(gates) and not in_sight(spectrum) and in_sight(hidden), timeout=5_000)
    before = spectrum.view
    window.train_steps(3)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 3, timeout=10_000)
    loss = _panel(window, "loss")
    qtbot.waitUntil(lambda: loss.view is window.latest_view, timeout=10_000)  # a shown panel drew it
    assert spectrum.view is before and gates.view is not window.latest_view  # out of sight: not drawn
    window.redraw_timer.stop()  # what follows is the showing, not the next tick
    window.docks[spectrum].show()
    window.docks[gates].raise_()
    qtbot.waitUntil(lambda: spectrum.view is window.latest_view and gates.view is window.latest_view,
                    timeout=5_000)
    assert spectrum.view.snapshot.step == 3 and not in_sight(hidden)  # now hidden's turn to wait


def test_views_leave_out_the_spectrum_while_no_dock_in_sight_reads_it(make_window, qtbot):
    from rnnviz.core.diagnostics.summary import SPECTRUM_VIEWS

    window = make_window()
    spectrum, chain, connectivity = (_panel(window, name) for name in ("spectrum", "chain", "connectivity"))
    window.docks[spectrum].hide()
    window.docks[connectivity].raise_()  # the chain tabbed away behind the connectivity
    qtbot.waitUntil(lambda: not in_sight(spectrum) and not in_sight(chain), timeout=5_000)
    window.redraw()  # tells the worker which views are in sight
    asked = []
    window.request_view.connect(lambda: asked.append(window.latest_view))
    window.train_steps(2)
    qtbot.waitUntil(lambda: not window.running and latest_step(window) == 2, timeout=10_000)
    window.redraw()
    view = window.latest_view
    assert asked == []  # the docks that lack their numbers are out of sight: nothing to ask for yet
    assert view.snapshot.diagnostics.skipped == SPECTRUM_VIEWS and view.snapshot.diagnostics.eigenvalues is None
    assert view.snapshot.diagnostics.regime in ("vanishing", "stable", "exploding")  # the status bar's, always there
    window.redraw_timer.stop()
    window.docks[spectrum].show()  # shown again: a fresh view with its numbers comes and is drawn
    qtbot.waitUntil(lambda: spectrum.view is not None and spectrum.view.snapshot.step == 2
                    and spectrum.view.snapshot.diagnostics.eigenvalues is not None, timeout=10_000)
    assert spectrum.view is not view and not spectrum.view.snapshot.diagnostics.skipped
    assert len(asked) == 1  # one fresh view, asked for once
