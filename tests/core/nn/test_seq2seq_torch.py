"""The encoder-decoder is two PyTorch modules and a bridge: the ``encoder.`` and ``decoder.`` names
load into nn.RNN/LSTM/GRU, and the loss and every gradient match PyTorch's autograd in float64,
for each context mode, a reversed source, and a decoder of another size and cell."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import ModelConfig
from rnnviz.core.nn.shapes import make_model

S, U, B, V, H, HD = 5, 4, 3, 6, 4, 5
KINDS = {"tanh": "RNN", "lstm": "LSTM", "gru": "GRU"}


def _module(torch, cell, inputs, hidden, state_dict):
    net = getattr(torch.nn, KINDS[cell])(inputs, hidden, num_layers=2).double()
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state_dict.items()})
    return net


@pytest.mark.parametrize("cell,decoder_cell", [("tanh", None), ("lstm", None), ("gru", None), ("lstm", "gru")])
@pytest.mark.parametrize("context", ["init", "every-step", "both"])
def test_encoder_decoder_matches_torch(cell, decoder_cell, context):
    torch = pytest.importorskip("torch")  # not a dependency: runs only where torch happens to exist
    rng = np.random.default_rng(1)
    model = make_model(ModelConfig(input_size=V, hidden_size=H, output_size=V, cell=cell, num_layers=2,
                                   arch="seq2seq", context=context, source_length=S, reverse_source=True,
                                   decoder_hidden_size=HD, decoder_cell=decoder_cell, seed=2))
    for name, value in model.params.items():
        if "bias" in name:
            value[...] = rng.normal(0, 0.3, value.shape)
    ids = rng.integers(0, V, (S + U, B))
    targets = rng.integers(0, V, (U, B))
    loss, grads, _ = model.loss_and_grads(ids, targets)

    p = model.params
    fed = context in ("every-step", "both")
    enc = _module(torch, cell, V, H, {k[8:]: v for k, v in p.items() if k.startswith("encoder.")})
    dec = _module(torch, decoder_cell or cell, V + (H if fed else 0), HD,
                  {k[8:]: v for k, v in p.items() if k.startswith("decoder.")})
    leaves = {name: torch.from_numpy(p[name].copy()).requires_grad_()
              for name in ("out.weight", "out.bias", "bridge.weight", "bridge.bias") if name in p}
    one_hot = torch.nn.functional.one_hot(torch.from_numpy(ids), V).double()  # (S + U, B, V)
    source = one_hot[:S].flip(0)  # the reversed source
    enc_out, _ = enc(source)
    context_vector = enc_out[-1]  # (B, H) the top layer's last state
    read = one_hot[S:]
    x = torch.cat([read, context_vector.expand(U, B, H)], dim=2) if fed else read
    zeros = torch.zeros(2, B, HD, dtype=torch.float64)
    h0 = zeros
    if context in ("init", "both"):
        start = torch.tanh(context_vector @ leaves["bridge.weight"].T + leaves["bridge.bias"])  # (B, HD)
        h0 = start.expand(2, B, HD)
    dec_out, _ = dec(x, (h0, zeros) if (decoder_cell or cell) == "lstm" else h0)
    logits = dec_out @ leaves["out.weight"].T + leaves["out.bias"]  # (U, B, V)
    reference = torch.nn.functional.cross_entropy(logits.reshape(-1, V), torch.from_numpy(targets).reshape(-1),
                                                  reduction="sum") / B
    reference.backward()
    assert float(reference.detach()) == pytest.approx(loss, rel=1e-10)
    expected = {f"encoder.{n}": t.grad.numpy() for n, t in enc.named_parameters()}
    expected.update({f"decoder.{n}": t.grad.numpy() for n, t in dec.named_parameters()})
    expected.update({name: t.grad.numpy() for name, t in leaves.items()})
    assert set(expected) == set(grads)
    for name, value in grads.items():
        np.testing.assert_allclose(value, expected[name], rtol=1e-8, atol=1e-12, err_msg=name)
