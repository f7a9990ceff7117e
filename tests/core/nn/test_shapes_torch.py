"""The bidirectional network is PyTorch's: same names load into nn.RNN/LSTM/GRU(bidirectional=True),
the same outputs, h_n read at each padded sequence's ends, and the same gradients."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import ModelConfig
from rnnviz.core.nn.shapes import make_model

T, B, X, H, Y = 6, 3, 4, 5, 3
LENGTHS = [6, 3, 1]


@pytest.mark.parametrize("cell", ["tanh", "lstm", "gru"])
def test_bidirectional_matches_torch_with_packed_padding(cell):
    torch = pytest.importorskip("torch")  # not a dependency: runs only where torch happens to exist
    rng = np.random.default_rng(0)
    model = make_model(ModelConfig(input_size=X, hidden_size=H, output_size=Y, cell=cell, num_layers=2,
                                   bidirectional=True, pad_id=0, seed=3))
    for name, value in model.params.items():
        if "bias" in name:
            value[...] = rng.normal(0, 0.3, value.shape)
    ids = rng.integers(1, X, (T, B))
    for b, n in enumerate(LENGTHS):
        ids[n:, b] = 0
    labels = rng.integers(0, Y, B)
    loss, grads, _ = model.loss_and_grads(ids, labels)

    kind = {"tanh": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    net = kind(X, H, num_layers=2, bidirectional=True).double()
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.params.items() if "out." not in k})
    out_w = torch.from_numpy(model.params["out.weight"].copy()).requires_grad_()
    out_b = torch.from_numpy(model.params["out.bias"].copy()).requires_grad_()
    onehot = torch.nn.functional.one_hot(torch.from_numpy(ids), X).double()  # (T, B, X)
    packed = torch.nn.utils.rnn.pack_padded_sequence(onehot, torch.tensor(LENGTHS), enforce_sorted=False)
    _, state = net(packed)
    h_n = state[0] if cell == "lstm" else state  # (2L, B, H): the top layer's forward, then backward
    features = torch.cat([h_n[-2], h_n[-1]], dim=1)  # (B, 2H)
    logits = features @ out_w.T + out_b
    reference = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels), reduction="sum") / B
    reference.backward()
    assert float(reference.detach()) == pytest.approx(loss, rel=1e-10)
    torch_grads = {name: p.grad.numpy() for name, p in net.named_parameters()}
    torch_grads.update({"out.weight": out_w.grad.numpy(), "out.bias": out_b.grad.numpy()})
    assert set(torch_grads) == set(grads)
    for name, value in grads.items():
        np.testing.assert_allclose(value, torch_grads[name], rtol=1e-8, atol=1e-12, err_msg=name)
