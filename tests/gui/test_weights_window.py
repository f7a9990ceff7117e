"""File > Open weights… and Export weights…, and ``rnnviz --weights``: the dialog that confirms
and maps a PyTorch state_dict, a run on the user's network, and the network written back."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from PyQt6.QtWidgets import QDialogButtonBox
from safetensors.numpy import load_file, save_file

from rnnviz.core import RNN, ModelConfig
from rnnviz.core.nn.weight_files import open_weights
from rnnviz.gui.window.weights_dialog import WeightsDialog


def adding_weights(tmp_path, cell="lstm", prefix="rnn.", readout="out.", inputs=2, name="net.safetensors"):
    """A state_dict for the adding task (2 inputs, 1 output) under the given module names."""
    config = ModelConfig(cell=cell, input_size=inputs, hidden_size=5, output_size=1, seed=4)
    params = RNN(config).params
    tensors = {(readout + n[4:] if n.startswith("out.") else prefix + n): v for n, v in params.items()}
    path = tmp_path / name
    save_file(tensors, str(path))
    return path, params


def open_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Open)


def test_dialog_shows_what_was_inferred_and_maps_other_names(qtbot, tmp_path):
    path, _ = adding_weights(tmp_path, cell="tanh", prefix="encoder.", readout="fc.")
    dialog = WeightsDialog(open_weights(path), "adding (T=12)")
    qtbot.addWidget(dialog)
    assert dialog.prefix.currentText() == "encoder." and dialog.readout.currentText() == "fc."
    assert dialog.summary.text().startswith("Reads as nn.RNN(input_size=2, hidden_size=5, num_layers=1, "
                                            "nonlinearity=tanh)")
    assert dialog.cell.isEnabled() and open_button(dialog).isEnabled()
    dialog.cell.setCurrentText("relu")
    assert "nonlinearity=relu" in dialog.summary.text()
    assert dialog.choice() == {"prefix": "encoder.", "readout": "fc.", "cell": "relu"}
    dialog.prefix.setCurrentText("rnn.")
    assert dialog.summary.text().startswith("Cannot read it this way: no tensor rnn.weight_ih_l0")
    assert not open_button(dialog).isEnabled()


def test_dialog_of_a_gated_network_has_no_nonlinearity_to_choose(qtbot, tmp_path):
    path, _ = adding_weights(tmp_path, cell="gru")
    dialog = WeightsDialog(open_weights(path), "adding")
    qtbot.addWidget(dialog)
    assert not dialog.cell.isEnabled() and dialog.choice()["cell"] is None
    assert dialog.summary.text().startswith("Reads as nn.GRU(")


def accept_dialogs(monkeypatch):
    monkeypatch.setattr(WeightsDialog, "exec", lambda self: WeightsDialog.DialogCode.Accepted)


def test_open_weights_runs_the_users_network_and_export_writes_it_back(make_window, qtbot, tmp_path,
                                                                      monkeypatch, dialogs):
    window = make_window()
    path, params = adding_weights(tmp_path, cell="lstm")
    accept_dialogs(monkeypatch)
    assert window.open_weights(str(path))
    qtbot.waitUntil(lambda: window.latest_view is not None
                    and window.latest_view.model_config["cell"] == "lstm", timeout=10_000)
    shown = window.latest_view.snapshot.params
    for name, value in params.items():
        assert np.array_equal(shown[name], value), name
    assert "Weights: net.safetensors: nn.LSTM(" in window.statusBar().currentMessage()
    assert dialogs == []
    recent = window.recent_menu.actions()[0]
    assert recent.text() == "net.safetensors  (weights)" and recent.toolTip() == str(path.resolve())

    out = tmp_path / "back.safetensors"
    window.request_export_weights.emit(str(out))
    qtbot.waitUntil(out.exists, timeout=10_000)
    back = load_file(str(out))
    assert np.array_equal(back["rnn.weight_hh_l0"], params["weight_hh_l0"])
    assert np.array_equal(back["out.weight"], params["out.weight"])
    qtbot.waitUntil(lambda: "Wrote back.safetensors" in window.statusBar().currentMessage(), timeout=5000)


def text_file(path):
    path.write_text("these are notes, not weights\n")
    return path


@pytest.mark.parametrize("make_file, message", [
    (lambda tmp_path: adding_weights(tmp_path, inputs=3)[0], "take 3 inputs"),
    (lambda tmp_path: text_file(tmp_path / "notes.safetensors"), "not a safetensors file"),
])
def test_bad_weights_show_a_dialog_and_keep_the_run(make_window, tmp_path, monkeypatch, dialogs, make_file, message):
    window = make_window()
    before = window.latest_view.model_config
    accept_dialogs(monkeypatch)
    assert not window.open_weights(str(make_file(tmp_path)))
    assert len(dialogs) == 1 and dialogs[0][0] == "Open weights" and message in dialogs[0][1]
    assert window.latest_view.model_config == before


def test_command_line_weights_start_the_window_on_them(tmp_path):
    from rnnviz.core.errors import UserError
    from rnnviz.gui.app import start_plan, weights_plan

    def plan(args):
        return weights_plan(args, start_plan(args)[0])

    path, params = adding_weights(tmp_path, cell="gru")
    base = {"data": None, "task": "adding", "session": None, "preset": None, "autostart": False,
            "weights": str(path), "prefix": None, "readout": None}
    trainer = plan(argparse.Namespace(**base))
    assert trainer.source_spec["name"] == "adding" and trainer.model_config.cell == "gru"
    assert np.array_equal(trainer.model.params["weight_ih_l0"], params["weight_ih_l0"])
    for bad, message in (({"preset": "LSTM"}, "exclude each other"), ({"weights": None, "prefix": "rnn."}, "--prefix"),
                         ({"task": None}, "take 2 inputs")):
        with pytest.raises(UserError, match=message):
            plan(argparse.Namespace(**{**base, **bad}))
