"""The fast paths of the BPTT step are exact, keep float32, and hand out memory nobody reuses.

The speed work (rnnviz/perf) changed how the step computes, not what: token-gradient sums by
sorted ids, buffers overwritten in place inside one call, one-layer traces as views. These
tests pin the parts the finite-difference checks do not reach (their vocabularies are small
enough to take the one-hot path) and the ownership rule the trainer and the GUI rely on.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import RNN, ModelConfig
from rnnviz.core.nn import model as model_module
from rnnviz.core.nn.cells import make_cell
from rnnviz.bench import reference

CELLS = ["tanh", "relu", "linear", "lstm", "gru"]
KINDS = ["ce_steps", "se_steps", "ce_last", "se_last"]


def make(cell="tanh", layers=1, dtype="float64", vocab=5, hidden=4, outputs=3, **extra):
    return RNN(ModelConfig(input_size=vocab, hidden_size=hidden, output_size=outputs, cell=cell,
                           num_layers=layers, dtype=dtype, **extra))


def targets_for(kind, rng, steps, batch, outputs):
    if kind == "ce_steps":
        return rng.integers(0, outputs, (steps, batch))
    if kind == "ce_last":
        return rng.integers(0, outputs, batch)
    if kind == "se_steps":
        return rng.normal(size=(steps, batch, outputs))
    return rng.normal(size=(batch, outputs))


def all_arrays(loss, grads, trace):
    """Every array the step returns, named, so a failure says which one."""
    named = {"loss": np.asarray(loss), "hidden": trace.hidden, "grad_hidden": trace.grad_hidden,
             "h_last": trace.h_last, "outputs": trace.outputs}
    for field in ("state_last", "state0", "dstate0"):
        parts = getattr(trace, field)
        for i, part in enumerate(parts if isinstance(parts, tuple) else (parts,)):
            named[f"{field}[{i}]"] = part
    named.update({f"extras[{k}]": v for k, v in trace.extras.items()})
    named.update({f"grads[{k}]": v for k, v in grads.items()})
    return named


@pytest.mark.parametrize("limit", [0, 1 << 40])  # the sorted path, the one-hot path
@pytest.mark.parametrize("ids_count, vocab", [(12, 5), (3000, 65)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rows_summed_by_id_match_add_at(ids_count, vocab, dtype, limit, monkeypatch):
    monkeypatch.setattr(model_module, "ONE_HOT_LIMIT", limit)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, vocab, ids_count)
    ids[:3] = 0  # a repeated id, and (vocab 65, 3000 draws) ids that never occur are likely too
    values = rng.normal(size=(ids_count, 7)).astype(dtype)
    expected = np.zeros((vocab, 7), dtype=np.float64)
    np.add.at(expected, ids, values.astype(np.float64))
    got = model_module._sum_rows_by_id(values, ids, vocab)
    assert got.dtype == dtype and got.shape == (vocab, 7)
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize("limit", [0, 1 << 40])  # the sorted path, the one-hot path
def test_both_token_gradient_paths_match_the_reference(limit, monkeypatch):
    monkeypatch.setattr(model_module, "ONE_HOT_LIMIT", limit)
    steps, batch, vocab = 30, 12, 65
    model = make(vocab=vocab, hidden=6, outputs=vocab, init_scale=1.2)
    rng = np.random.default_rng(3)
    inputs, targets = rng.integers(0, vocab, (steps, batch)), rng.integers(0, vocab, (steps, batch))
    loss, grads, _ = model.loss_and_grads(inputs, targets)
    ref_loss, ref_grads = reference.loss_and_grads(model.params, inputs, targets)
    assert np.isclose(loss, ref_loss, rtol=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("tokens", [True, False])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cell", CELLS)
def test_float32_in_gives_float32_in_every_returned_array(cell, kind, tokens, layers):
    model = make(cell, layers, "float32")
    rng = np.random.default_rng(1)
    steps, batch = 6, 3
    # float64 inputs, targets and h0 on purpose: the model must cast them, not follow them
    inputs = rng.integers(0, 5, (steps, batch)) if tokens else rng.normal(size=(steps, batch, 5))
    h0 = rng.normal(size=(layers, batch, 4))
    h0 = (h0, h0.copy()) if cell == "lstm" else h0
    loss, grads, trace = model.loss_and_grads(inputs, targets_for(kind, rng, steps, batch, 3), h0)
    wrong = {name: a.dtype for name, a in all_arrays(loss, grads, trace).items() if a.dtype != np.float32}
    assert not wrong


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_a_trace_kept_across_steps_is_never_overwritten(cell, layers):
    model = make(cell, layers)
    rng = np.random.default_rng(2)
    first = model.loss_and_grads(rng.integers(0, 5, (5, 2)), rng.integers(0, 3, (5, 2)))
    kept = {name: a.copy() for name, a in all_arrays(*first).items()}
    second = model.loss_and_grads(rng.integers(0, 5, (5, 2)), rng.integers(0, 3, (5, 2)))
    for name, array in all_arrays(*first).items():
        np.testing.assert_array_equal(array, kept[name], err_msg=name)
    later = all_arrays(*second)
    for name, array in all_arrays(*first).items():
        assert not any(np.shares_memory(array, other) for other in later.values()), name


@pytest.mark.parametrize("cell", CELLS)
def test_the_callers_arrays_are_left_alone(cell):
    model = make(cell, 2)
    rng = np.random.default_rng(4)
    inputs, targets = rng.normal(size=(5, 2, 5)), rng.normal(size=(5, 2, 3))
    h0 = rng.normal(size=(2, 2, 4))
    h0 = (h0, h0 + 1) if cell == "lstm" else h0
    before = [np.array(a, copy=True) for a in (inputs, targets, *(h0 if cell == "lstm" else (h0,)))]
    params = {k: v.copy() for k, v in model.params.items()}
    model.loss_and_grads(inputs, targets, h0)
    model.forward(inputs, h0)
    for old, now in zip(before, (inputs, targets, *(h0 if cell == "lstm" else (h0,)))):
        np.testing.assert_array_equal(old, now)
    for name in params:
        np.testing.assert_array_equal(params[name], model.params[name], err_msg=name)


@pytest.mark.parametrize("cell", CELLS)
def test_cells_overwrite_their_inputs_only_when_told(cell):
    model = make(cell, 1)
    c = make_cell(cell)
    rng = np.random.default_rng(5)
    _, w_hh, _, b_hh = model.layer_params(0)
    xproj = rng.normal(size=(4, 2, w_hh.shape[0]))
    state0 = tuple(np.zeros((2, 4)) for _ in c.state_names)
    kept = xproj.copy()
    run = c.forward(xproj, w_hh, b_hh, state0)
    np.testing.assert_array_equal(xproj, kept)
    dhidden = rng.normal(size=(4, 2, 4))
    kept_d = dhidden.copy()
    grads = c.backward(run, dhidden, w_hh)
    np.testing.assert_array_equal(dhidden, kept_d)
    # and the in-place forms give the same numbers
    run_in_place = c.forward(xproj.copy(), w_hh, b_hh, state0, overwrite_xproj=True)
    np.testing.assert_array_equal(run_in_place.hidden, run.hidden)
    grads_in_place = c.backward(run_in_place, dhidden.copy(), w_hh, overwrite_dhidden=True)
    np.testing.assert_array_equal(grads_in_place.dw_hh, grads.dw_hh)
    np.testing.assert_array_equal(grads_in_place.grad_hidden, grads.grad_hidden)
