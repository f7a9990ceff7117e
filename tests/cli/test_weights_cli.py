"""``rnnviz run --weights`` and ``rnnviz export --weights`` as a user types them: the one-line
confirmation, warnings and errors, exit codes, and the network written back out."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from rnnviz.cli.main import main
from rnnviz.core import RNN, ModelConfig
from rnnviz.core.train import session

TINY = ["--task", "adding", "--length", "6", "--batch", "4"]


def adding_weights(tmp_path, cell="gru", readout=True, dtype=np.float64, name="net.safetensors"):
    config = ModelConfig(cell=cell, input_size=2, hidden_size=5, output_size=1, seed=2)
    params = RNN(config).params
    tensors = {(n if n.startswith("out.") else "rnn." + n): v.astype(dtype) for n, v in params.items()
               if readout or not n.startswith("out.")}
    path = tmp_path / name
    save_file(tensors, str(path))
    return path, params


def run(capsys, *args):
    code = main(["run", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_confirms_the_network_in_one_line_and_trains_it(tmp_path, capsys):
    path, params = adding_weights(tmp_path)
    code, out, err = run(capsys, *TINY, "--weights", path, "--steps", "2", "--save", tmp_path / "run.npz")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == ("weights: net.safetensors: nn.GRU(input_size=2, hidden_size=5, num_layers=1) "
                                   "under 'rnn.', readout 'out.' (5 -> 1)")
    trainer = session.load(tmp_path / "run.npz")
    assert trainer.step_count == 2 and trainer.model_config.cell == "gru"
    assert not np.array_equal(trainer.model.params["weight_hh_l0"], params["weight_hh_l0"])  # it trained
    code, _, _ = run(capsys, *TINY, "--weights", path, "--steps", "0", "--save", tmp_path / "zero.npz")
    assert code == 0
    start = session.load(tmp_path / "zero.npz").model.params
    assert all(np.array_equal(start[n], v) for n, v in params.items())  # and started from the file


def test_tanh_is_the_default_said_so_and_relu_is_a_flag(tmp_path, capsys):
    path, _ = adding_weights(tmp_path, cell="tanh")
    code, out, _ = run(capsys, *TINY, "--weights", path, "--steps", "0")
    assert code == 0
    assert "nonlinearity=tanh" in out and "--cell relu if it was trained with ReLU" in out
    code, out, _ = run(capsys, *TINY, "--weights", path, "--steps", "0", "--cell", "relu")
    assert code == 0 and "nonlinearity=relu" in out and "by default" not in out


def test_missing_readout_is_a_warning_and_a_fresh_readout(tmp_path, capsys):
    path, _ = adding_weights(tmp_path, readout=False)
    code, out, err = run(capsys, *TINY, "--weights", path, "--steps", "1")
    assert code == 0
    assert err.startswith("rnnviz: warning: no readout in the file") and err.count("\n") == 1


@pytest.mark.parametrize("extra, message", [
    (["--hidden", "8"], "--hidden cannot change the network read from"),
    (["--resume", "x.npz"], "--weights and --resume exclude each other"),
    (["--cell", "lstm"], "cell 'lstm' does not fit it: use gru"),
    (["--prefix", "model."], "no tensor model.weight_ih_l0 (prefix 'model.'); the file's recurrent module is under 'rnn.'"),
])
def test_bad_combinations_are_one_line_errors(tmp_path, capsys, extra, message):
    path, _ = adding_weights(tmp_path)
    code, out, err = run(capsys, *TINY, "--weights", path, *extra)
    assert code == 2
    assert err.startswith("rnnviz: error: ") and message in err and err.count("\n") == 1


def test_bad_files_and_misfits_exit_2_naming_the_tensor_or_the_sizes(tmp_path, capsys):
    half, _ = adding_weights(tmp_path, dtype=np.float16, name="half.safetensors")
    code, _, err = run(capsys, *TINY, "--weights", half)
    assert code == 2 and "tensor rnn.weight_ih_l0 is half precision (F16)" in err
    path, _ = adding_weights(tmp_path)
    code, _, err = run(capsys, "--task", "copy", "--weights", path)
    assert code == 2 and "the weights take 2 inputs" in err and "has 10 input channels" in err
    code, _, err = run(capsys, *TINY, "--prefix", "rnn.")
    assert code == 2 and "name tensors in a weights file; use with --weights FILE" in err


def test_export_writes_weights_that_read_back_bitwise(tmp_path, capsys):
    code, _, _ = run(capsys, *TINY, "--cell", "lstm", "--hidden", "4", "--steps", "2", "--save", tmp_path / "s.npz")
    assert code == 0
    assert main(["export", str(tmp_path / "s.npz"), "--weights", str(tmp_path / "w.safetensors")]) == 0
    assert "wrote" in capsys.readouterr().out
    trained = session.load(tmp_path / "s.npz").model.params
    written = load_file(str(tmp_path / "w.safetensors"))
    assert set(written) == {"rnn." + n for n in trained if not n.startswith("out.")} | {"out.weight", "out.bias"}
    assert np.array_equal(written["rnn.weight_hh_l0"], trained["weight_hh_l0"])
    code, out, _ = run(capsys, *TINY, "--weights", tmp_path / "w.safetensors", "--steps", "0",
                       "--save", tmp_path / "again.npz")
    assert code == 0
    again = session.load(tmp_path / "again.npz").model.params
    assert all(again[n].tobytes() == v.tobytes() for n, v in trained.items())


def test_export_needs_something_to_write(tmp_path, capsys):
    assert main(["export", str(tmp_path / "s.npz")]) == 2
    assert "give --out DIR (the plots), --weights FILE (the network), or both" in capsys.readouterr().err
