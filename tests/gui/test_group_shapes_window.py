"""Train > Compare with tanh and the Runs dock on the other network shapes: a bidirectional GRU and
an encoder-decoder with a GRU decoder get their tanh forks, every stack of each run is drawn in the
dock and overlaid on the window's plots, and the dock offers only the settings of the run's shape."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.train.group_settings import FORKABLE, fits_shape, tanh_changes

SHAPES = {
    "bidirectional": ({"cell": "gru", "hidden_size": 6, "num_layers": 1, "bidirectional": True},
                      {"kind": "task", "name": "marker", "length": 8}),
    "seq2seq": ({"cell": "lstm", "hidden_size": 6, "num_layers": 1, "arch": "seq2seq", "decoder_cell": "gru"},
                {"kind": "task", "name": "bottleneck", "length": 5}),
}


def test_tanh_fork_and_the_settings_each_shape_offers():
    from rnnviz.core.config import ModelConfig

    assert tanh_changes({"cell": "gru"}) == {"cell": "tanh"}
    assert tanh_changes({"cell": "lstm", "decoder_cell": "gru"}) == {"cell": "tanh", "decoder_cell": "tanh"}
    offered = {arch: [n for n in FORKABLE if fits_shape(n, ModelConfig(arch=arch, source_length=3))]
               for arch in ("stack", "seq2seq", "vec2seq")}
    assert "bidirectional" in offered["stack"] and "reverse_source" not in offered["stack"]
    assert {"reverse_source", "context", "decoder_cell"} <= set(offered["seq2seq"])
    assert "context" in offered["vec2seq"] and "reverse_source" not in offered["vec2seq"]


def _group_of(window, count):
    view = window.latest_view
    return view is not None and view.group is not None and len(view.group.labels) == count


@pytest.mark.parametrize("shape", list(SHAPES))
def test_compare_with_tanh_on_a_shape(shape, make_window, qtbot, dialogs):
    from tests.gui.conftest import FAST_TRAIN

    model, data = SHAPES[shape]
    window = make_window(model={**model, "init": "normal", "init_scale": 1.0}, train={**FAST_TRAIN}, data=data)
    window.train_steps(2)
    qtbot.waitUntil(lambda: not window.running and window.latest_view.snapshot.step == 2, timeout=10_000)
    assert window.compare_action.isEnabled()
    window.compare_action.trigger()
    qtbot.waitUntil(lambda: _group_of(window, 2), timeout=10_000)
    assert not dialogs
    first, tanh = (m.trainer for m in window.grouped.group.members)
    assert tanh.model_config.cell == "tanh" and first.model_config.cell == model["cell"]
    if shape == "seq2seq":
        assert tanh.model_config.decoder_cell == "tanh"  # both stacks
    dock = window.runs_dock.widget()
    assert dock.tanh_button.isEnabled() and dock.fork_button.isEnabled()
    qtbot.waitUntil(lambda: len(dock.panel.overlays) == 2, timeout=10_000)
    overlays = dock.panel.overlays
    stacks = ["forward", "backward"] if shape == "bidirectional" else ["encoder", "decoder"]
    assert [c.name for c in overlays[1].chains] == stacks
    legend = [label.text for _, label in dock.panel.plots["loss"].legend.items]
    assert legend[1].startswith("cell=tanh")
    chain = next(p for p in window.panels if p.view_name == "chain")
    others = chain.runs.values(window.latest_view)  # the tanh run's chains, log10, every stack
    low, high = chain.plot.vb.viewRange()[1]
    assert others.size and low <= others.min() and others.max() <= high
    assert f"horizon {'fwd' if shape == 'bidirectional' else 'enc'} " in legend[1]
    assert f"line style: {stacks[1]}" in legend  # the key to the line styles
    assert dock.panel.divider.isVisible() == (shape == "seq2seq")
    # the window's own plots overlay the tanh run's every stack
    chain = next(p for p in window.panels if p.view_name == "chain")
    qtbot.waitUntil(lambda: chain.view is not None and chain.view.group is not None
                    and chain.runs.curves[1].isVisible(), timeout=10_000)
    np.testing.assert_array_equal(chain.runs.curves[1].yData, overlays[1].chains[0].median)
    second = chain.runs.more[(1, stacks[1])]
    assert second.isVisible()
    np.testing.assert_array_equal(second.yData, overlays[1].chains[1].median)
    names = [label.text for _, label in chain.plot.legend.items]
    assert any(n.startswith("run 1: cell=tanh") for n in names)
    # the dock offers the settings of this shape only
    items = dock.setting.model()
    enabled = {name: items.item(i).isEnabled() for i, name in enumerate(FORKABLE)}
    assert enabled["bidirectional"] == (shape == "bidirectional") and enabled["reverse_source"] == (shape == "seq2seq")
    if shape == "seq2seq":  # reversing the source: fresh weights, beside the others
        dock.setting.setCurrentText("reverse_source")
        dock.value.setText("true")
        dock.fork()
        qtbot.waitUntil(lambda: _group_of(window, 3), timeout=10_000)
        assert window.grouped.group.members[2].label == "source reversed (fresh weights)"
    else:
        dock.setting.setCurrentText("reverse_source")  # greyed out, and refused with the reason if forced
        dock.value.setText("true")
        dock.fork()
        assert dialogs and "does not apply" in dialogs[-1][1]


def test_the_sweep_dialog_sweeps_around_the_shape_it_is_opened_on():
    """Train > Sweep on a shape: the grid's settings carry the shape, and every point builds it."""
    from rnnviz.core.train.sweep import build_trainer
    from rnnviz.gui.window.sweep import sweep_settings

    model = {"cell": "tanh", "hidden_size": 4, "num_layers": 1, "arch": "seq2seq", "context": "both",
             "reverse_source": True, "decoder_hidden_size": 3, "decoder_cell": "gru"}
    settings = sweep_settings(model, {"batch_size": 4}, {"kind": "task", "name": "bottleneck", "length": 4})
    assert settings["arch"] == "seq2seq" and settings["reverse_source"] is True and settings["decoder_hidden"] == 3
    config = build_trainer(settings, 0).model_config
    assert (config.arch, config.context, config.reverse_source, config.decoder_hidden_size, config.decoder_cell) \
        == ("seq2seq", "both", True, 3, "gru")
    both = sweep_settings({"cell": "gru", "hidden_size": 4, "bidirectional": True}, {"batch_size": 4},
                          {"kind": "task", "name": "marker", "length": 5})
    assert build_trainer(both, 0).model_config.bidirectional


def test_the_runs_panel_fits_a_narrow_dock(qtbot):
    """In a dock too narrow for three plots the gradient and the chain stay side by side over the
    legend (the loss is in the Loss panel); wide again, the row of three comes back. A panel made
    to export keeps the row of three."""
    from PyQt6 import QtWidgets

    from rnnviz.gui.panels.group import GroupPanel

    holder = QtWidgets.QWidget()
    qtbot.addWidget(holder)
    panel = GroupPanel(holder)
    holder.resize(420, 400)
    panel.resize(420, 400)
    holder.show()
    qtbot.waitUntil(lambda: not panel.wide, timeout=5_000)
    assert not panel.plots["loss"].isVisible() and panel.plots["chain"].isVisible()
    panel.resize(1000, 400)
    qtbot.waitUntil(lambda: panel.wide, timeout=5_000)
    assert panel.plots["loss"].isVisible()
    alone = GroupPanel()
    qtbot.addWidget(alone)
    alone.resize(420, 400)
    assert alone.wide
