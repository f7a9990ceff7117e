"""Panels whose numbers are recorded only every ``diag_every`` steps (the gradient flow, the
distributions) draw a view again only when it shows them something new, and what they then
show is what a fresh panel draws from the same view."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pytest

from rnnviz.core.train.presets import make_trainer
from rnnviz.gui.panels import DistributionsPanel, FlowPanel
from rnnviz.gui.panels import base

DIAG_EVERY = 4


@pytest.fixture(scope="module")
def views():
    """Views of 13 successive training steps (a small net on the sample text): profiles and
    distributions recorded at steps 1, 4, 8 and 12."""
    trainer = make_trainer({"hidden_size": 6}, {"seq_len": 8, "batch_size": 2, "steps": 10**6,
                                                "diag_every": DIAG_EVERY}, {"kind": "sample", "name": None})
    shown = []
    for _ in range(13):
        trainer.run(1)
        shown.append(trainer.view_data())
    return shown


def drawn_steps(qtbot, panel_class, views) -> tuple[object, list[int]]:
    """The panel fed every view in turn, and the training steps of the views it drew."""
    panel = panel_class()
    qtbot.addWidget(panel)
    drawn = []
    refresh = panel._refresh

    def counted() -> None:
        drawn.append(panel.view.snapshot.step)
        refresh()

    panel._refresh = counted
    for view in views:
        panel.update_view(view)
    return panel, drawn


RECORDED = [1, 4, 8, 12]  # attempt 1, then every DIAG_EVERY


@pytest.mark.parametrize("panel_class", [FlowPanel, DistributionsPanel])
def test_a_view_is_drawn_again_only_when_a_step_was_recorded(qtbot, views, panel_class):
    panel, drawn = drawn_steps(qtbot, panel_class, views)
    assert [view.snapshot.step for view in views] == list(range(1, 14))
    assert drawn == RECORDED
    assert panel.view is views[-1]  # hover and export read the latest view all the same


def test_with_the_switch_off_every_view_is_drawn(qtbot, views, monkeypatch):
    monkeypatch.setattr(base, "SKIP_REPEATED_WORK", False)
    _, drawn = drawn_steps(qtbot, FlowPanel, views)
    assert drawn == list(range(1, 14))


def test_what_stays_is_what_a_fresh_panel_draws(qtbot, views):
    flow, _ = drawn_steps(qtbot, FlowPanel, views)
    fresh = FlowPanel()
    qtbot.addWidget(fresh)
    fresh.update_view(views[-1])
    np.testing.assert_array_equal(flow.map.image.image, fresh.map.image.image)

    bands, _ = drawn_steps(qtbot, DistributionsPanel, views)
    fresh = DistributionsPanel()
    qtbot.addWidget(fresh)
    fresh.update_view(views[-1])
    assert bands.choice.currentText() == fresh.choice.currentText()
    for kept, new in zip(bands.median.getData(), fresh.median.getData()):
        np.testing.assert_array_equal(kept, new)


def test_choosing_another_quantity_draws_at_once(qtbot, views):
    panel, _ = drawn_steps(qtbot, DistributionsPanel, views[:2])
    other = next(i for i in range(panel.choice.count()) if i != panel.choice.currentIndex())
    panel.choice.setCurrentIndex(other)
    name = panel.choice.currentText()
    steps, rows = panel.view.distributions[name]
    np.testing.assert_array_equal(panel.median.getData()[0], np.asarray(steps, dtype=float))
