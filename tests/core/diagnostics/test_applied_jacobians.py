"""The gated cells' Jacobians applied from per-step vectors equal the matrices of step_jacobians."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import RNN, ModelConfig
from rnnviz.core.diagnostics.chain import JacobianSequence, chain_log_norms, chain_log_norms_explicit
from rnnviz.core.nn.clamp import UnitClamp, effective_model

LOG_1PCT = np.log1p(0.01)


def gated(cell, layers=1, seed=0, hidden=12):
    model = RNN(ModelConfig(input_size=4, hidden_size=hidden, output_size=3, cell=cell, num_layers=layers, seed=seed,
                            dtype="float64"))
    rng = np.random.default_rng(seed + 1)
    _, _, trace = model.loss_and_grads(2.0 * rng.standard_normal((9, 3, 4)), rng.standard_normal((3, 3)))
    return model, trace


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layer", [0, 1])
def test_applied_jacobians_are_the_stacked_ones(cell, layer):
    model, trace = gated(cell, layers=2)
    applied = JacobianSequence(model, trace, layer, sample=2)
    stacked = JacobianSequence(model, trace, layer, sample=2, dense=True)
    assert applied.stack is None and stacked.stack is not None
    rng = np.random.default_rng(3)
    for t in range(applied.steps):
        np.testing.assert_allclose(applied.matrix(t), stacked.matrix(t), rtol=1e-12, atol=1e-14)
        product = rng.standard_normal((5, applied.size))  # (r, S) fewer rows than columns, as compressed
        out = np.empty_like(product)
        applied.right_multiply(product, t, 0.5, out)
        np.testing.assert_allclose(out, 0.5 * product @ stacked.matrix(t), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", ["tanh", "relu", "lstm", "gru"])
@pytest.mark.parametrize("layer", [0, 1])
def test_held_units_are_masked_in_the_applied_jacobians_as_in_the_zeroed_stack(cell, layer):
    # a unit held at a value: its rows and columns of h in every step Jacobian are zero. The
    # chain applies the cell's Jacobians without forming them (no (T, S, S) stack: 420 MB for an
    # LSTM at T = 200, H = 256) and masks them; the reference zeroes the stack (clamp's wrapper)
    model, _ = gated(cell, layers=2, hidden=8)
    model.clamp = UnitClamp(units=((0, 3), (1, 5), (1, 6)), values=(0.0, 0.4, -0.2))
    twin = effective_model(model)
    rng = np.random.default_rng(7)
    _, _, trace = twin.loss_and_grads(2.0 * rng.standard_normal((9, 3, 4)), rng.standard_normal((3, 3)))
    applied = JacobianSequence(twin, trace, layer, sample=1)
    stacked = JacobianSequence(twin, trace, layer, sample=1, dense=True)
    assert applied.stack is None and stacked.stack is not None
    held = [3] if layer == 0 else [5, 6]
    assert not stacked.stack[:, held, :].any() and not stacked.stack[:, :, held].any()
    for t in range(applied.steps):
        np.testing.assert_allclose(applied.matrix(t), stacked.matrix(t), rtol=1e-12, atol=1e-14)
        product = rng.standard_normal((5, applied.size))  # (r, S), its held columns not zero
        before = product.copy()
        out = np.empty_like(product)
        applied.right_multiply(product, t, 0.5, out)
        np.testing.assert_allclose(out, 0.5 * product @ stacked.matrix(t), rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(product, before)  # the caller's product is left alone
    fast, _ = chain_log_norms(twin, trace, layer, sample=1)
    assert np.max(np.abs(fast - chain_log_norms_explicit(twin, trace, layer, sample=1))) < LOG_1PCT


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_chain_through_applied_jacobians_agrees_with_explicit_products(cell):
    model, trace = gated(cell, hidden=24, seed=4)
    fast, _ = chain_log_norms(model, trace, sample=1)
    assert np.max(np.abs(fast - chain_log_norms_explicit(model, trace, sample=1))) < LOG_1PCT
