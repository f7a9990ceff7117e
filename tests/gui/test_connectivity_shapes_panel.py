"""The connectivity panel for the other shapes: a full map for a bidirectional net, outputs x
source for an encoder-decoder, one column for vector-to-sequence; axes named for the shape."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.train import presets
from rnnviz.gui.panels import ConnectivityPanel
from rnnviz.gui.panels.connectivity import DECADES_SHOWN, log_connectivity
from tests.gui.factories import build

SHAPES = {
    "bidirectional": ({"hidden_size": 5, "bidirectional": True}, {"kind": "task", "name": "marker", "length": 7}),
    "seq2seq": ({"hidden_size": 5, "arch": "seq2seq", "reverse_source": True},
                {"kind": "task", "name": "reverse", "length": 5}),
    "vec2seq": ({"hidden_size": 5, "arch": "vec2seq"}, {"kind": "task", "name": "waveform", "length": 6}),
}


def _view(shape):
    model, data = SHAPES[shape]
    run = presets.make_trainer(model, {"batch_size": 4}, data)
    run.run(2)
    return run.view_data()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_map_of_each_shape_is_drawn_whole(qtbot, shape):
    view = _view(shape)
    conn = view.connectivity
    assert conn is not None and not conn.causal
    panel = build(qtbot, ConnectivityPanel, view)
    shown = panel.map.image.image
    assert shown.shape == conn.matrix.shape and not panel.empty.isVisible()
    logs = log_connectivity(conn.matrix, causal=False)
    floor = max(np.floor(np.nanmin(logs)), np.ceil(np.nanmax(logs)) - DECADES_SHOWN)  # whole decades
    np.testing.assert_allclose(shown, np.maximum(logs, floor))
    assert panel.map.plot.getAxis("bottom").labelText == conn.input_axis
    assert panel.curve_plot.getAxis("bottom").labelText == conn.distance_axis
    rows, cols = conn.matrix.shape
    assert panel.readout_at(cols - 1, 0) != ""  # the first output reads the last input: no blank triangle
    assert conn.note.split(":")[0] in panel.readout.text()
    header, table = panel.csv_table()
    assert sum(row[0] == "map" for row in table) == rows * cols


def test_encoder_decoder_map_is_outputs_by_source():
    view = _view("seq2seq")
    conn = view.connectivity
    assert conn.matrix.shape == (5, 5) and conn.input_axis == "source token s"
    # reversed source: the first source token is read last, next to the first output (distance 1)
    assert conn.distance[0, 0] == 1 and conn.distance[0, -1] == 5
