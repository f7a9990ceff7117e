"""Widgets die whole, never by a garbage collection in the middle of Qt's work.

With collection thresholds this low, a collection starts inside Qt's event processing almost
at once; a panel dropped in a reference cycle was then deleted half-cleared, and the process
died (SIGSEGV or "pure virtual method called") within 15-60 of these tests. The GUI tests'
``widgets_die_in_order`` fixture (conftest) prevents it, as the window's collector does."""

from __future__ import annotations

import dataclasses
import gc

import pytest

from rnnviz.gui.panels import UnitsPanel
from tests.gui.factories import build, make_view

VIEWS = []


@pytest.fixture(autouse=True)
def collections_at_every_turn():
    old = gc.get_threshold()
    gc.set_threshold(5, 2, 2)
    yield
    gc.set_threshold(*old)


@pytest.mark.parametrize("round_", range(40))
def test_panels_dropped_in_cycles_do_not_crash_the_process(qtbot, round_):
    if not VIEWS:
        VIEWS.append(make_view(steps=7, hidden=20, layers=1))
    view = VIEWS[0]
    build(qtbot, UnitsPanel, view)
    free = build(qtbot, UnitsPanel, dataclasses.replace(
        view, units=dataclasses.replace(view.units, comparison=None, ranking=None, ranking_note="skipped")))
    assert free.rank_note.isVisible()
