"""The window benchmarks per shape measure what they say: each shape's own network and data, and a
window whose twelve plot docks are all in sight. No timing is asserted."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QSettings

from rnnviz.bench import window_shapes
from rnnviz.core.nn.shapes import shape_name

UNITS, STEPS = 8, 6

EXPECTED = {  # shape -> (ModelConfig's shape in words, data class name, units drawn in the hidden map)
    "unidirectional": ("unidirectional", "TextSource", UNITS),
    "bidirectional": ("bidirectional", "FutureMarkerTask", UNITS),  # UNITS // 2 per direction, both drawn
    "seq2seq": ("encoder-decoder", "BottleneckTask", UNITS),
    "vec2seq": ("vector-to-sequence", "WaveformTask", UNITS),
    "many-to-one text": ("unidirectional", "LabelledSource", UNITS),
}


@pytest.mark.parametrize("shape", window_shapes.SHAPES)
def test_each_shape_trains_its_own_network_on_its_own_data(shape):
    trainer = window_shapes._trainer(shape, UNITS, STEPS)
    words, data, units = EXPECTED[shape]
    assert shape_name(trainer.model_config) == words
    assert type(trainer.source).__name__ == data
    first, second = window_shapes._training_views(trainer, 2)
    assert second.snapshot.step == first.snapshot.step + 1  # successive training steps, as the window sees them
    assert first.snapshot.hidden.shape[-1] == units


@pytest.mark.parametrize("shape", ["unidirectional", "seq2seq"])
def test_the_redraw_lines_views_are_new_to_every_panel(qtbot, shape):
    """The redraw lines record at every step, so no panel may skip a view as unchanged (the flow
    and distributions panels would, between records, at the default of every 10 steps)."""
    from rnnviz.gui.panels import PANEL_CLASSES

    views = window_shapes._training_views(window_shapes._trainer(shape, UNITS, STEPS, every_view_new=True), 3)
    for cls in PANEL_CLASSES:
        panel = cls()
        qtbot.addWidget(panel)
        panel.update_view(views[0])
        for before, after in zip(views, views[1:]):
            assert not panel._draws_the_same(before, after), cls.__name__
    default = window_shapes._training_views(window_shapes._trainer(shape, UNITS, STEPS), 3)
    flow = next(cls for cls in PANEL_CLASSES if cls.view_name == "flow")()
    qtbot.addWidget(flow)
    assert flow._draws_the_same(default[1], default[2])  # what the setting is there for


def test_every_plot_dock_is_brought_into_sight(qtbot, tmp_path):
    from rnnviz.gui.window.main import MainWindow, in_sight

    window = MainWindow(QSettings(str(tmp_path / "bench.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    plots = [panel for panel in window.panels if panel.view_name != "text"]
    qtbot.waitUntil(lambda: any(in_sight(panel) for panel in plots))
    assert not all(in_sight(panel) for panel in plots)  # by default some docks are tabbed away
    assert window_shapes.open_every_dock(window) == plots
    qtbot.waitUntil(lambda: all(in_sight(panel) for panel in plots))
    assert len(plots) == 12
    window.close()
