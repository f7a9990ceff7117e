"""Widgets die whole, never by a garbage collection in the middle of Qt's work.

A panel dropped in a reference cycle used to be deleted by whichever collection came next,
perhaps inside Qt's event processing and after the collector had emptied some of its pyqtgraph
items: a test worker died so (SIGSEGV, "pure virtual method called"; reproduced by lowering the
collection thresholds). GUI tests therefore run without automatic collection, and what a test
made is deleted whole at its end (``widgets_die_in_order`` in conftest)."""

from __future__ import annotations

import gc
import weakref

from PyQt6 import sip

from rnnviz.gui.panels import UnitsPanel
from rnnviz.gui.qt_app import dispose_python_widgets
from tests.gui.factories import make_view


def test_no_automatic_collection_during_a_gui_test():
    assert not gc.isenabled()


def test_a_panel_only_a_cycle_keeps_is_deleted_whole(qapp):
    panel = UnitsPanel()
    panel.update_view(make_view(steps=5, hidden=4, layers=1))
    panel.cycle = panel  # only a garbage collection would ever free it
    kept = weakref.ref(panel)
    del panel
    assert kept() is not None and not sip.isdeleted(kept())
    dispose_python_widgets(qapp)
    assert sip.isdeleted(kept())  # its C++ side gone now, every Python object still whole
    assert kept().cycle is kept()
