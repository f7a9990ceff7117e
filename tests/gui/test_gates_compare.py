"""The gated cells in the app: the gate panel, the comparison with a tanh twin (panel, worker, window),
and the layout promise that every panel fits a ~400 px dock with its legends off the curves."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtCore

from rnnviz.core.train import compare as compare_module
from rnnviz.core.diagnostics import gating
from rnnviz.core.train.compare import compare_with_tanh
from rnnviz.core.train.presets import make_trainer
from rnnviz.gui.export import _prepared_scene
from rnnviz.gui.panels import PANEL_CLASSES, GatesPanel
from rnnviz.gui.panels.compare import ComparePanel
from tests.gui.conftest import FAST_DATA, FAST_MODEL, FAST_TRAIN, OFFSCREEN_NOISE
from tests.gui.factories import build, make_view

T, H = 10, 6
DOCK = (400, 280)  # a dock at 1600 x 1000 is ~420 x 300; the canvas gets a little less


def legend_names(plot) -> list[str]:
    return [label.text for _, label in plot.legend.items]


# ------------------------------------------------------------------ gates
@pytest.mark.parametrize("cell, gate", [("lstm", "forget_gate"), ("gru", "update_gate")])
def test_gates_show_the_keep_gate_and_its_direct_path(qtbot, cell, gate):
    view = make_view(steps=T, hidden=H, layers=2, cell=cell)
    panel = build(qtbot, GatesPanel, view)
    values = view.snapshot.extras[gate]  # (T, L, H)
    np.testing.assert_allclose(panel.map.image.image, values[:, 0, :].T)  # rows = units, cols = t
    assert tuple(panel.map.image.getLevels()) == (0.0, 1.0)
    np.testing.assert_allclose(panel.best.yData, gating.path_norms(values[:, 0, :]))
    np.testing.assert_allclose(panel.median.yData, np.median(gating.path_products(values[:, 0, :]), axis=1))
    assert gate.split("_")[0] in panel.map.plot.titleLabel.text.lower()
    assert len(legend_names(panel.path)) == 2 and not panel.message.isVisible()
    panel.layer.setCurrentIndex(1)
    np.testing.assert_allclose(panel.map.image.image, values[:, 1, :].T)
    np.testing.assert_allclose(panel.best.yData, gating.path_norms(values[:, 1, :]))


def test_a_vanilla_cell_gets_a_note_instead_of_gates(qtbot):
    panel = build(qtbot, GatesPanel, make_view(steps=T, hidden=H, layers=1, cell="lstm"))
    panel.update_view(make_view(steps=T, hidden=H, layers=1, cell="tanh"))
    assert panel.message.isVisible() and "no gates" in panel.message.toPlainText()
    assert panel.map.image.image is None and not panel.path.isVisible()
    assert legend_names(panel.path) == [] and panel.csv_table()[1] == []
    panel.update_view(make_view(steps=T, hidden=H, layers=1, cell="lstm"))  # and back
    assert panel.path.isVisible() and panel.map.bar.isVisible() and not panel.message.isVisible()
    assert panel.path.maximumWidth() > 1000 and len(legend_names(panel.path)) == 2


# ------------------------------------------------------------------ comparison panel
@pytest.fixture(scope="module")
def comparison():
    trainer = make_trainer({**FAST_MODEL, "cell": "lstm"}, {**FAST_TRAIN, "steps": 10**6}, FAST_DATA)
    trainer.run(5)
    return compare_with_tanh(trainer, max_steps=3)  # capped: the note must say so


def test_compare_panel_draws_both_profiles_with_their_horizons(qtbot, comparison):
    panel = build(qtbot, ComparePanel)
    assert panel.empty.isVisible() and panel.csv_table()[1] == []
    panel.set_busy(2, 3)
    assert not panel.button.isEnabled() and "2/3" in panel.state.text()
    panel.show_comparison(comparison)
    assert panel.button.isEnabled() and not panel.empty.isVisible()
    np.testing.assert_allclose(panel.current.yData, comparison.profile)
    np.testing.assert_allclose(panel.twin.yData, comparison.twin_profile)
    steps = comparison.profile.size
    assert panel.marks["current"].value() == steps - 1 - comparison.horizon
    assert panel.marks["twin"].value() == steps - 1 - comparison.twin_horizon
    names = legend_names(panel.plot)
    assert any("LSTM" in n and f"horizon {comparison.horizon}" in n for n in names)
    assert any("tanh" in n and f"horizon {comparison.twin_horizon}" in n for n in names)
    assert "capped" in panel.note.text and "twin 3 steps" in panel.note.text
    rows = panel.csv_table()[1]
    assert len(rows) == 2 * steps and {row[0] for row in rows} == {"current", "tanh_twin"}
    panel.show_comparison(None)
    assert panel.empty.isVisible() and legend_names(panel.plot) == []


# ------------------------------------------------------------------ worker and window
def test_worker_compares_on_its_thread_and_answers_with_a_result(qtbot, monkeypatch):
    from PyQt6.QtCore import QObject, QThread, pyqtSignal

    from rnnviz.gui.worker import TrainingWorker, start_worker_thread, stop_worker_thread

    class Requests(QObject):
        compare = pyqtSignal(int)

    trainer = make_trainer(FAST_MODEL, {**FAST_TRAIN, "steps": 10**6}, FAST_DATA)
    trainer.run(4)
    worker = TrainingWorker(trainer)
    thread = start_worker_thread(worker)
    requests = Requests()
    requests.compare.connect(worker.compare_with_tanh)
    progress, threads = [], set()
    worker.comparison_progress.connect(lambda done, total: progress.append((done, total)))
    real = compare_module.compare_with_tanh

    def recording(*args, **kwargs):  # the slot imports it when called: this wrapper is what runs
        threads.add(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(compare_module, "compare_with_tanh", recording)
    try:
        with qtbot.waitSignal(worker.comparison_done, timeout=20_000) as done:
            requests.compare.emit(10)  # more than the run's 4 steps: the twin trains 4
        result = done.args[0]
        assert result is not None and result.twin_steps == result.steps == 4 and not result.capped
        assert progress[-1] == (4, 4)
        assert threads and threading.get_ident() not in threads  # trained off the GUI thread
        np.testing.assert_array_equal(result.twin_profile, result.profile)  # a tanh run: its twin is itself
    finally:
        assert stop_worker_thread(worker, thread)
    assert thread is not QThread.currentThread()


@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)
def test_train_menu_compares_with_tanh_off_the_gui_thread(make_window, qtbot):
    window = make_window(model={**FAST_MODEL, "cell": "gru"})
    window.train_steps(3)
    qtbot.waitUntil(lambda: not window.running and window.latest_view.snapshot.step == 3, timeout=10_000)
    gates = next(p for p in window.panels if p.view_name == "gates")
    assert window.docks[gates].isVisible()  # a gated run brings its gates to the front
    window.compare_action.trigger()
    assert not window.compare_panel.button.isEnabled()  # busy at once: the work is on the worker thread
    qtbot.waitUntil(lambda: window.compare_panel.result is not None, timeout=20_000)
    result = window.compare_panel.result
    assert result.cell == "gru" and result.steps == result.twin_steps == 3
    assert window.compare_action.isEnabled() and window.compare_panel.button.isEnabled()
    assert window.docks[window.compare_panel].isVisible()
    np.testing.assert_allclose(window.compare_panel.current.yData, result.profile)


# ------------------------------------------------------------------ layout
def realistic_view(cell: str):
    return make_view(steps=50, hidden=32, layers=1, history=40, cell=cell)


def laid_out(qtbot, panel_class, view, size=DOCK):
    panel = build(qtbot, panel_class, view)
    panel.canvas.resize(*size)
    panel.canvas.resizeEvent(None)
    _prepared_scene(panel)  # paints twice: axes and labels ask for their final room while painting
    return panel


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
@pytest.mark.parametrize("panel_class", [*PANEL_CLASSES, ComparePanel], ids=lambda c: c.view_name)
def test_every_panel_fits_a_dock_and_keeps_legends_off_the_curves(qtbot, comparison, panel_class, cell):
    panel = laid_out(qtbot, panel_class, realistic_view(cell))
    if panel_class is ComparePanel:
        panel.show_comparison(comparison)
        _prepared_scene(panel)
    layout = panel.canvas.ci
    minimum = layout.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize)
    assert minimum.width() <= DOCK[0], f"needs {minimum.width():.0f} px"
    assert layout.geometry().width() <= panel.canvas.width() + 0.5  # nothing laid out past the edge
    items = panel.canvas.scene().items()
    boxes = [item.sceneBoundingRect() for item in items if isinstance(item, pg.ViewBox) and item.isVisible()]
    for legend in (item for item in items if isinstance(item, pg.LegendItem) and item.isVisible() and item.items):
        rect = legend.sceneBoundingRect()
        assert not any(rect.intersects(box) for box in boxes), "a legend sits over a plot"
