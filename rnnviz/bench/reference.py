"""The straightforward BPTT of the seed articles, kept as the baseline our step must beat.

Column vectors, one sample at a time, a Python loop over time, one-hot inputs built per step:
the numpy char-rnn as the articles write it. It computes the same loss and gradients as
``RNN.loss_and_grads`` for a one-layer tanh cell with per-step cross-entropy (checked in
tests), so a ratio of their times is a fair one.
"""

from __future__ import annotations

import numpy as np


def loss_and_grads(params: dict, inputs: np.ndarray, targets: np.ndarray):
    """params: the RNN's dict (one layer); inputs, targets: int (T, B). Loss summed over time, mean over batch."""
    w_xh, w_hh = params["weight_ih_l0"], params["weight_hh_l0"]  # (H, V), (H, H)
    b_h = (params["bias_ih_l0"] + params["bias_hh_l0"])[:, None]  # (H, 1)
    w_hy, b_y = params["out.weight"], params["out.bias"][:, None]  # (V, H), (V, 1)
    hidden, vocab = w_xh.shape
    steps, batch = inputs.shape
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    total = 0.0
    for b in range(batch):
        xs, hs, ps = {}, {-1: np.zeros((hidden, 1))}, {}
        for t in range(steps):  # forward, one column at a time
            xs[t] = np.zeros((vocab, 1))
            xs[t][inputs[t, b]] = 1
            hs[t] = np.tanh(w_xh @ xs[t] + w_hh @ hs[t - 1] + b_h)
            y = w_hy @ hs[t] + b_y
            ps[t] = np.exp(y - y.max()) / np.sum(np.exp(y - y.max()))
            total += -np.log(ps[t][targets[t, b], 0])
        dh_next = np.zeros((hidden, 1))
        for t in reversed(range(steps)):  # backward through time
            dy = ps[t].copy()
            dy[targets[t, b]] -= 1
            grads["out.weight"] += dy @ hs[t].T
            grads["out.bias"] += dy[:, 0]
            dh = w_hy.T @ dy + dh_next
            da = (1 - hs[t] * hs[t]) * dh
            grads["bias_ih_l0"] += da[:, 0]
            grads["weight_ih_l0"] += da @ xs[t].T
            grads["weight_hh_l0"] += da @ hs[t - 1].T
            dh_next = w_hh.T @ da
    grads["bias_hh_l0"] = grads["bias_ih_l0"].copy()
    return total / batch, {name: g / batch for name, g in grads.items()}
