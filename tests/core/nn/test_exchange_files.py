"""Weights files without PyTorch: what is inferred from names and shapes, what is refused and
how it is said, what is written, and a run that starts from imported weights."""

from __future__ import annotations

import json
import re
import os
import struct

import numpy as np
import pytest
from safetensors.numpy import save_file

from rnnviz.core import RNN, ModelConfig
from rnnviz.core.errors import WeightsError
from rnnviz.core import atomic
from rnnviz.core.nn.exchange import read_weights, write_weights
from rnnviz.core.train.imported import export_weights, trainer_from_weights, vocabulary_path
from rnnviz.core.train.trainer import Trainer
from rnnviz.core.config import TrainConfig
from tests.core.fake_sources import FakeAdding, FakeText

X, H, Y = 3, 4, 3


def state(cell="tanh", layers=1, prefix="rnn.", readout="out.", hidden=H, dtype=np.float64, bias=True):
    """A PyTorch-like state_dict made by rnnviz itself, under the given names."""
    config = ModelConfig(cell=cell, input_size=X, hidden_size=hidden, output_size=Y, num_layers=layers, seed=1)
    tensors = {}
    for name, value in RNN(config).params.items():
        if name.startswith("out."):
            if readout is not None:
                tensors[readout + name[4:]] = value.astype(dtype)
        elif bias or not name.startswith("bias"):
            tensors[prefix + name] = value.astype(dtype)
    return tensors


def saved(tmp_path, tensors, name="model.safetensors"):
    path = tmp_path / name
    save_file(tensors, str(path))
    return path


def refused(path, match, **options):
    with pytest.raises(WeightsError, match=match):
        read_weights(path, **options)


# ---------------------------------------------------------------------- what is inferred
@pytest.mark.parametrize("cell, module", [("tanh", "nn.RNN"), ("lstm", "nn.LSTM"), ("gru", "nn.GRU")])
def test_cell_sizes_layers_and_readout_are_inferred(tmp_path, cell, module):
    weights = read_weights(saved(tmp_path, state(cell, layers=2)))
    assert weights.model_settings() == dict(cell=cell, input_size=X, hidden_size=H, num_layers=2,
                                            output_size=Y, dtype="float64")
    assert weights.summary().startswith(f"model.safetensors: {module}(input_size={X}, hidden_size={H}, num_layers=2")
    assert weights.warnings == []


def test_other_module_names_are_found_or_chosen(tmp_path):
    path = saved(tmp_path, state(prefix="encoder.lstm.", readout="fc.", cell="lstm"))
    weights = read_weights(path)
    assert (weights.layout.prefix, weights.layout.readout) == ("encoder.lstm.", "fc.")
    assert read_weights(path, prefix="encoder.lstm", readout="fc").layout.readout == "fc."
    refused(path, r"no tensor rnn\.weight_ih_l0 .*under 'encoder\.lstm\.'", prefix="rnn.")
    two = {**state(prefix="a."), **{k: v for k, v in state(prefix="b.", readout=None).items()}}
    refused(saved(tmp_path, two, "two.safetensors"), r"2 recurrent modules \('a\.', 'b\.'\); choose one with --prefix")


def test_tanh_or_relu_is_chosen_and_said(tmp_path):
    path = saved(tmp_path, state("tanh"))
    assert "(tanh by default: the weights cannot tell tanh from relu)" in read_weights(path).summary()
    relu = read_weights(path, cell="relu")
    assert relu.cell == "relu" and "by default" not in relu.summary()
    refused(path, r"nn\.RNN .*cell 'lstm' does not fit it: use tanh or relu", cell="lstm")
    refused(saved(tmp_path, state("gru"), "gru.safetensors"), r"nn\.GRU .*cell 'relu' does not fit it: use gru",
            cell="relu")


def test_no_readout_and_no_bias_are_allowed_with_warnings(tmp_path):
    weights = read_weights(saved(tmp_path, state("lstm", readout=None, bias=False)))
    assert weights.layout.readout is None and "output_size" not in weights.model_settings()
    assert any("no readout" in w for w in weights.warnings)
    assert any("bias=False" in w for w in weights.warnings)
    assert not weights.params["bias_ih_l0"].any() and "out.weight" not in weights.params


# ---------------------------------------------------------------------- what is refused
def test_unexpected_tensor_is_named(tmp_path):
    tensors = {**state(), "embedding.weight": np.zeros((7, 5))}
    refused(saved(tmp_path, tensors), r"unexpected tensor embedding\.weight \(7, 5\): an rnnviz network is one nn\.RNN")


def test_wrong_shape_is_named_with_the_expected_one(tmp_path):
    tensors = state("lstm", layers=2)
    tensors["rnn.weight_hh_l1"] = np.zeros((4 * H, H + 1))
    refused(saved(tmp_path, tensors), r"tensor rnn\.weight_hh_l1 has shape \(16, 5\); expected \(16, 4\)")
    tensors = state()
    tensors["rnn.weight_hh_l0"] = np.zeros((2 * H, H))
    refused(saved(tmp_path, tensors, "two.safetensors"),
            r"rnn\.weight_hh_l0 has shape \(8, 4\); expected \(G\*H, H\) with G gate blocks")
    tensors = state()
    tensors["out.weight"] = np.zeros((Y, H + 2))
    refused(saved(tmp_path, tensors, "readout.safetensors"), r"tensor out\.weight has shape \(3, 6\); expected \(output_size, 4\)")


def test_missing_bias_of_one_layer_is_named(tmp_path):
    tensors = state(layers=2)
    del tensors["rnn.bias_hh_l1"]
    refused(saved(tmp_path, tensors), r"tensor rnn\.bias_hh_l1 is missing; expected shape \(4,\)")


@pytest.mark.parametrize("dtype, match", [
    (np.float16, r"tensor rnn\.weight_ih_l0 is half precision \(F16\)"),
    (np.int64, r"tensor rnn\.weight_ih_l0 has dtype I64, not a float"),
])
def test_half_precision_and_integers_are_refused(tmp_path, dtype, match):
    tensors = state()
    tensors["rnn.weight_ih_l0"] = tensors["rnn.weight_ih_l0"].astype(dtype)
    refused(saved(tmp_path, tensors), match)


def test_lstm_projection_and_half_a_bidirectional_net_are_refused(tmp_path):
    tensors = {**state("lstm"), "rnn.weight_hr_l0": np.zeros((2, H))}
    refused(saved(tmp_path, tensors), r"tensor rnn\.weight_hr_l0 \(2, 4\) is the projection .*proj_size")
    tensors = {**state(), "rnn.weight_ih_l0_reverse": np.zeros((H, X))}  # half a backward direction
    refused(saved(tmp_path, tensors, "bi.safetensors"), r"tensor rnn\.weight_hh_l0_reverse is missing")


def test_non_finite_weights_are_refused(tmp_path):
    tensors = state()
    tensors["rnn.weight_hh_l0"][0, 0] = np.nan
    refused(saved(tmp_path, tensors), r"tensor rnn\.weight_hh_l0 holds NaN or Inf")


def _raw(tmp_path, header: bytes, data: bytes = b"", length=None):
    path = tmp_path / "raw.safetensors"
    path.write_bytes(struct.pack("<Q", len(header) if length is None else length) + header + data)
    return path


def test_files_that_are_not_safetensors_are_refused_before_reading(tmp_path):
    text = tmp_path / "notes.safetensors"
    text.write_text("hello, this is a text file and not weights\n")
    refused(text, "not a safetensors file")
    tiny = tmp_path / "tiny.safetensors"
    tiny.write_bytes(b"abc")
    refused(tiny, "3 bytes, fewer than the 8-byte header length")
    refused(_raw(tmp_path, b"{}", length=1 << 40), r"header claims 1,099,511,627,776 bytes, more than the 1,048,576")
    refused(_raw(tmp_path, b"{}", length=100), "truncated: its header claims 100 bytes but the file has 2")
    refused(_raw(tmp_path, b"[1, 2]"), "not a JSON object")
    refused(_raw(tmp_path, b"[" * 5000 + b"]" * 5000), "not a safetensors file")
    entry = {"rnn.weight_ih_l0": {"dtype": "F64", "shape": [H, X], "data_offsets": [0, 8 * H * X]}}
    refused(_raw(tmp_path, json.dumps(entry).encode(), b"\0" * 10),
            "cover 96 bytes of data but the file holds 10")
    entry["rnn.weight_ih_l0"]["data_offsets"] = [0, 8]
    refused(_raw(tmp_path, json.dumps(entry).encode(), b"\0" * 8), r"shape \(4, 3\) of F64 needs 96 bytes")
    entry["rnn.weight_ih_l0"]["dtype"] = "F128"
    refused(_raw(tmp_path, json.dumps(entry).encode(), b"\0" * 8), "unknown dtype 'F128'")


def test_pt_files_without_torch_name_the_safetensors_route(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04 not really")
    refused(path, r"needs PyTorch, which is not installed.*safetensors\.torch\.save_file")


# ---------------------------------------------------------------------- writing
def test_writing_is_whole_or_absent(tmp_path, monkeypatch):
    config = ModelConfig(cell="gru", input_size=X, hidden_size=H, output_size=Y)
    path = write_weights(tmp_path / "model.safetensors", config, RNN(config).params)
    before = path.read_bytes()

    def broken(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken)  # the one atomic writer every file goes through
    other = ModelConfig(cell="gru", input_size=X, hidden_size=H, output_size=Y, seed=5)
    with pytest.raises(WeightsError, match="No space left on device"):
        write_weights(path, other, RNN(other).params)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]
    with pytest.raises(WeightsError, match="it is a folder"):
        write_weights(tmp_path, config, RNN(config).params)


# ---------------------------------------------------------------------- a run from imported weights
def test_a_run_starts_and_resets_at_the_imported_weights(tmp_path):
    source = FakeAdding()
    config = ModelConfig(cell="lstm", input_size=source.input_size, hidden_size=5,
                         output_size=source.output_size, seed=7)
    original = Trainer(source, config, TrainConfig(batch_size=2, seq_len=4))
    path = export_weights(original, tmp_path / "model.safetensors")[0]
    weights = read_weights(path)
    trainer = trainer_from_weights(weights, FakeAdding(), TrainConfig(batch_size=2, seq_len=4, steps=3))
    for name, value in original.model.params.items():
        assert np.array_equal(trainer.model.params[name], value)
    trainer.run(3)
    assert trainer.step_count == 3
    trainer.rollback()
    assert trainer.step_count == 0
    for name, value in original.model.params.items():
        assert np.array_equal(trainer.model.params[name], value), name
    trainer.run(3)
    trainer.reset()
    assert all(np.array_equal(trainer.model.params[n], v) for n, v in original.model.params.items())


def test_data_that_does_not_fit_is_refused_with_both_sizes(tmp_path):
    source = FakeAdding()
    tensors = state()  # X = 3 inputs
    with pytest.raises(WeightsError, match=rf"take {X} inputs .* but {re.escape(source.name)} has 2 input channels"):
        trainer_from_weights(read_weights(saved(tmp_path, tensors)), source)


def test_the_vocabulary_beside_the_weights_must_match_the_text(tmp_path):
    text = FakeText("abc" * 100)
    config = ModelConfig(input_size=3, output_size=3, hidden_size=4)
    trainer = Trainer(text, config, TrainConfig(batch_size=2, seq_len=5))
    written = export_weights(trainer, tmp_path / "text.safetensors")
    assert [p.name for p in written] == ["text.safetensors", "text.vocab.json"]
    assert json.loads(vocabulary_path(written[0]).read_text())["tokens"] == ["a", "b", "c"]
    weights = read_weights(written[0])
    trainer_from_weights(weights, FakeText("abc" * 100))  # the same text: fine
    with pytest.raises(WeightsError, match=r"not fake text's: token 1 is 'b' there and 'c' here"):
        trainer_from_weights(weights, FakeText("acd" * 100))
    with pytest.raises(WeightsError, match=r"take 3 inputs .* but fake text has a vocabulary of 4 tokens"):
        trainer_from_weights(weights, FakeText("abcd" * 100))


def test_safetensors_need_no_pytorch(tmp_path):
    """Reading and writing run with PyTorch made unimportable."""
    import subprocess
    import sys

    path = saved(tmp_path, state("gru"))
    code = ("import sys; sys.modules['torch'] = None\n"
            "from rnnviz.core import ModelConfig\n"
            "from rnnviz.core.nn.exchange import read_weights, write_weights\n"
            f"w = read_weights({str(path)!r})\n"
            f"write_weights({str(tmp_path / 'out.safetensors')!r}, ModelConfig(**w.model_settings()), w.params)\n"
            "print(w.cell)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "gru" and (tmp_path / "out.safetensors").is_file()
