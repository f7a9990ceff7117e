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


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_held_units_still_go_through_the_zeroed_stack(cell):
    # a unit held at a value: the wrapper zeroes its rows and columns in step_jacobians, so the
    # chain must not take the cell's own (unzeroed) applied path
    model, trace = gated(cell, hidden=8)
    model.clamp = UnitClamp(units=((0, 3),), values=(0.0,))
    twin = effective_model(model)
    sequence = JacobianSequence(twin, trace)
    assert sequence.stack is not None
    assert not sequence.stack[:, 3, :].any()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_chain_through_applied_jacobians_agrees_with_explicit_products(cell):
    model, trace = gated(cell, hidden=24, seed=4)
    fast, _ = chain_log_norms(model, trace, sample=1)
    assert np.max(np.abs(fast - chain_log_norms_explicit(model, trace, sample=1))) < LOG_1PCT
