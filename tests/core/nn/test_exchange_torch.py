"""PyTorch and rnnviz compute the same network: random torch modules of every supported kind,
saved and read back by rnnviz, give the same loss and every gradient to 1e-10 (float64); and
rnnviz -> safetensors -> PyTorch -> safetensors -> rnnviz is bitwise. The module is the one
the README shows: its code block is executed here, so the README cannot drift from the truth.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import load_file, save_file  # noqa: E402  (after the skip: needs torch)

from rnnviz.core import RNN, ModelConfig  # noqa: E402
from rnnviz.core.errors import WeightsError  # noqa: E402
from rnnviz.core.nn.exchange import read_weights, write_weights  # noqa: E402

README = Path(__file__).resolve().parents[3] / "README.md"
T, B, X, H, Y = 5, 3, 4, 6, 3
KINDS = ["tanh", "relu", "lstm", "gru"]
TOLERANCE = 1e-10


def readme_module():
    """The ``Net`` class of the README's PyTorch section, executed as written."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## PyTorch", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(code.split("# --- end of the module", 1)[0], namespace)  # noqa: S102 - our own README
    return namespace["Net"]


def random_torch_model(cell, layers, bias, output=Y, inputs=X):
    Net = readme_module()
    torch.manual_seed(10 * KINDS.index(cell) + 2 * layers + int(bias))
    model = Net(cell, inputs, H, layers, output, bias=bias).double()
    with torch.no_grad():
        for param in model.parameters():  # a wider spread than PyTorch's init: saturate some units
            param.uniform_(-0.9, 0.9)
    return model


def relative(ours, theirs) -> float:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    scale = max(np.abs(theirs).max(), 1e-300)
    return float(np.abs(ours - theirs).max() / scale)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", KINDS)
def test_loss_and_every_gradient_agree_with_pytorch(tmp_path, cell, layers, bias):
    model = random_torch_model(cell, layers, bias)
    path = tmp_path / "model.safetensors"
    save_file(model.state_dict(), path)
    weights = read_weights(path, cell=cell if cell in ("tanh", "relu") else None)
    assert weights.cell == cell and weights.layout.num_layers == layers and weights.layout.bias == bias
    ours = RNN(ModelConfig(**weights.model_settings()))
    ours.params.update(weights.params)

    rng = np.random.default_rng(1)
    # token ids and cross-entropy at every step (text), and floats scored at the last step (tasks)
    ids = rng.integers(0, X, (T, B))
    classes = rng.integers(0, Y, (T, B))
    loss, grads, _ = ours.loss_and_grads(ids, classes)
    model.zero_grad()
    logits, _ = model(torch.nn.functional.one_hot(torch.from_numpy(ids), X).double())
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, Y), torch.from_numpy(classes).reshape(-1),
                                                 reduction="sum") / B
    expected.backward()
    assert abs(loss - expected.item()) <= TOLERANCE * abs(expected.item())
    _check_grads(model, grads)

    floats = rng.normal(size=(T, B, X))
    targets = rng.normal(size=(B, Y))
    loss, grads, _ = ours.loss_and_grads(floats, targets)
    model.zero_grad()
    outputs, _ = model(torch.from_numpy(floats))
    expected = ((outputs[-1] - torch.from_numpy(targets)) ** 2).sum() / B
    expected.backward()
    assert abs(loss - expected.item()) <= TOLERANCE * abs(expected.item())
    _check_grads(model, grads)


def _check_grads(model, grads):
    checked = 0
    for name, param in model.named_parameters():
        ours = grads[name.removeprefix("rnn.")]
        assert ours.shape == tuple(param.shape), name
        assert relative(ours, param.grad) <= TOLERANCE, name
        checked += 1
    assert checked == len(list(model.parameters()))


@pytest.mark.parametrize("cell", KINDS)
def test_round_trip_through_pytorch_is_bitwise(tmp_path, cell):
    config = ModelConfig(cell=cell, input_size=X, hidden_size=H, output_size=Y, num_layers=2, seed=3)
    network = RNN(config)
    first = tmp_path / "rnnviz.safetensors"
    write_weights(first, config, network.params)

    model = readme_module()(cell, X, H, 2, Y).double()
    model.load_state_dict(load_file(first))  # strict: every name and shape as PyTorch expects
    second = tmp_path / "pytorch.safetensors"
    save_file(model.state_dict(), second)

    back = read_weights(second, cell=cell if cell in ("tanh", "relu") else None)
    assert set(back.params) == set(network.params)
    for name, value in network.params.items():
        assert back.params[name].dtype == value.dtype
        assert np.array_equal(back.params[name], value), name
        assert back.params[name].tobytes() == value.tobytes(), name


def test_rnnviz_files_remember_relu(tmp_path):
    """PyTorch cannot tell tanh from relu by weights; a file rnnviz wrote says which."""
    config = ModelConfig(cell="relu", input_size=X, hidden_size=H, output_size=Y)
    path = write_weights(tmp_path / "relu.safetensors", config, RNN(config).params)
    assert read_weights(path).cell == "relu"
    assert "tanh by default" not in read_weights(path).summary()


def test_pt_state_dict_is_read_with_weights_only(tmp_path):
    model = random_torch_model("gru", 1, True)
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    weights = read_weights(path)
    assert weights.cell == "gru"
    for name, param in model.state_dict().items():
        assert np.array_equal(weights.params[name.removeprefix("rnn.")], param.numpy())


def test_pt_file_with_arbitrary_objects_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"rnn.weight_ih_l0": torch.zeros(2, 2), "note": object()}, path)
    with pytest.raises(WeightsError, match="weights_only"):
        read_weights(path)


def test_float32_model_is_read_exactly(tmp_path):
    model = random_torch_model("lstm", 1, True).float()
    path = tmp_path / "model.safetensors"
    save_file(model.state_dict(), path)
    weights = read_weights(path)
    assert weights.file_dtype == "float32" and weights.dtype == "float64"
    assert "float32 in the file, float64 here" in weights.summary()
    for name, param in model.state_dict().items():
        assert np.array_equal(weights.params[name.removeprefix("rnn.")], param.numpy().astype(np.float64))


def test_compressed_pt_archive_is_refused_before_unpacking(tmp_path):
    import zipfile

    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data/0", b"\0" * (4 << 20))  # 4 MiB of zeros in a few KiB
    with pytest.raises(WeightsError, match=r"unpack to 4,194,304 bytes from a file of"):
        read_weights(path)


def test_pt_checkpoint_dicts_and_legacy_files(tmp_path):
    model = random_torch_model("tanh", 1, True)
    nested = tmp_path / "checkpoint.pth"
    torch.save({"epoch": 3, "state_dict": model.state_dict()}, nested)
    assert read_weights(nested).layout.hidden_size == H
    legacy = tmp_path / "legacy.pt"
    torch.save(model.state_dict(), legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(WeightsError, match="neither a safetensors file nor a PyTorch zip archive"):
        read_weights(legacy)
    empty = tmp_path / "empty.pt"
    torch.save({"epoch": 3}, empty)
    with pytest.raises(WeightsError, match=r"does not hold a state_dict"):
        read_weights(empty)


# ---------------------------------------------------------------------- bidirectional
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", KINDS)
def test_bidirectional_modules_agree_and_round_trip(tmp_path, cell, layers):
    from rnnviz.core.nn.shapes import make_model

    torch.manual_seed(50 + 10 * KINDS.index(cell) + layers)
    model = readme_module()(cell, X, H, layers, Y, bidirectional=True).double()
    with torch.no_grad():
        for param in model.parameters():
            param.uniform_(-0.9, 0.9)
    path = tmp_path / "bi.safetensors"
    save_file(model.state_dict(), path)
    weights = read_weights(path, cell=cell if cell in ("tanh", "relu") else None)
    assert weights.layout.bidirectional and "bidirectional=True" in weights.summary()
    ours = make_model(ModelConfig(**weights.model_settings()))
    ours.params.update(weights.params)

    rng = np.random.default_rng(2)
    ids, classes = rng.integers(0, X, (T, B)), rng.integers(0, Y, (T, B))
    loss, grads, _ = ours.loss_and_grads(ids, classes)  # every step reads [forward, backward]
    logits, _ = model(torch.nn.functional.one_hot(torch.from_numpy(ids), X).double())
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, Y), torch.from_numpy(classes).reshape(-1),
                                                 reduction="sum") / B
    _compare(loss, expected, grads, model)

    floats, targets = rng.normal(size=(T, B, X)), rng.normal(size=(B, Y))
    loss, grads, _ = ours.loss_and_grads(floats, targets)  # the last step reads h_n of both directions
    _, h_n = model.rnn(torch.from_numpy(floats))
    h_n = h_n[0] if cell == "lstm" else h_n
    expected = ((model.out(torch.cat([h_n[-2], h_n[-1]], dim=-1)) - torch.from_numpy(targets)) ** 2).sum() / B
    _compare(loss, expected, grads, model)

    back = tmp_path / "back.safetensors"
    write_weights(back, ours.config, ours.params)
    model.load_state_dict(load_file(back))  # strict: the README's module takes it as it is
    again = read_weights(back)
    assert all(again.params[n].tobytes() == v.tobytes() for n, v in ours.params.items())


def _compare(loss, expected, grads, model):
    model.zero_grad()
    expected.backward()
    assert abs(loss - expected.item()) <= TOLERANCE * abs(expected.item())
    _check_grads(model, grads)
