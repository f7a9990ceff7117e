"""Gradient diagnostics against theory and against explicitly formed Jacobian products.

Every expected value here is derived in the test (s^k for an orthogonal recurrence in tanh's
linear regime, explicit products and SVDs, thresholds from REGIME_THRESHOLDS), never copied
from a run of the code under test.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from rnnviz.core import RNN, ModelConfig, Trace
from rnnviz.core.diagnostics import summary as dg
from rnnviz.core.diagnostics.chain import JacobianSequence, chain_log_norms, chain_log_norms_explicit
from rnnviz.core.errors import UserError

LOG_1PCT = math.log1p(0.01)  # chain entries within 1 % <=> logs within log(1.01)


def orthogonal(size, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((size, size)))
    return q * np.sign(np.diag(r))


def make(cell="tanh", hidden=16, layers=1, seed=0, **config):
    return RNN(ModelConfig(input_size=5, hidden_size=hidden, output_size=3, cell=cell,
                           num_layers=layers, seed=seed, **config))


def run(model, steps, batch=2, scale=1.0, seed=1, last_only=True):
    """A trace of random float inputs (scale ``scale``); squared error on the last step or every step."""
    rng = np.random.default_rng(seed)
    inputs = scale * rng.standard_normal((steps, batch, model.config.input_size))
    shape = (batch, 3) if last_only else (steps, batch, 3)
    loss, grads, trace = model.loss_and_grads(inputs, rng.standard_normal(shape))
    return trace, grads


def set_recurrence(model, scale, layer=0, seed=7):
    """W_hh = scale * Q, Q orthogonal: every singular value of W_hh equals ``scale``."""
    hidden = model.config.hidden_size
    model.params[f"weight_hh_l{layer}"][...] = scale * orthogonal(hidden, seed)


def explicit_chain(model, trace, layer=0, sample=0):
    """||J_T ... J_{T-k+1}||_2 from the cell's own hook, products formed naively: (T+1,)."""
    w_hh = model.params[f"weight_hh_l{layer}"]
    hidden = trace.hidden[:, layer, sample]
    state0 = (trace.state0[layer, sample],)
    jac = model.cell.step_jacobians(w_hh, hidden, state0, {})
    product = np.eye(jac.shape[1])
    norms = [1.0]
    for t in range(jac.shape[0] - 1, -1, -1):
        product = product @ jac[t]
        norms.append(np.linalg.norm(product, ord=2))
    return np.array(norms)


# ----------------------------------------------------------------------------- theory
@pytest.mark.parametrize("scale", [0.5, 0.9, 1.0, 1.1, 1.5])
def test_orthogonal_recurrence_in_the_linear_regime_gives_s_to_the_k(scale):
    # inputs of 1e-12 keep |h| below 1e-6 after 30 steps even at s = 1.5, so tanh' = 1 - h^2 = 1
    model = make("tanh", hidden=24)
    set_recurrence(model, scale)
    steps = 30
    trace, _ = run(model, steps, scale=1e-12)
    assert np.max(np.abs(trace.hidden)) < 1e-6
    logs, _ = chain_log_norms(model, trace)
    expected = np.arange(steps + 1) * math.log(scale)
    assert np.max(np.abs(logs - expected)) < LOG_1PCT
    np.testing.assert_allclose(dg.chain_norms(model, trace), scale ** np.arange(steps + 1), rtol=0.01)


# ----------------------------------------------------------------------------- exactness
CASES = {
    "tanh saturating": dict(cell="tanh", init_scale=3.0, input_scale=3.0),
    "tanh": dict(cell="tanh", init_scale=1.0, input_scale=1.0),
    "relu": dict(cell="relu", init_scale=1.2, input_scale=1.0),
    "linear": dict(cell="linear", init_scale=1.0, input_scale=1.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_chain_agrees_with_explicit_products_at_every_lag(name):
    case = dict(CASES[name])
    scale = case.pop("input_scale")
    model = make(hidden=32, seed=3, **case)
    trace, _ = run(model, 60, scale=scale)
    exact = explicit_chain(model, trace, sample=1)
    fast = dg.chain_norms(model, trace, sample=1)
    assert fast[0] == 1.0
    assert np.all(np.abs(fast / exact - 1) < 0.01), np.max(np.abs(fast / exact - 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chain_agrees_with_reference_on_a_larger_saturating_network(dtype):
    model = make("tanh", hidden=96, seed=5, init_scale=2.5)
    trace, _ = run(model, 120, scale=2.0)
    reference = chain_log_norms_explicit(model, trace)
    fast, residual = chain_log_norms(model, trace, product_dtype=dtype)
    assert np.max(np.abs(fast - reference)) < LOG_1PCT
    assert np.isfinite(residual)


@pytest.mark.parametrize("cell", ["tanh", "relu"])
def test_long_window_with_the_product_compressed(cell, monkeypatch):
    # T = 200 as in the app; the product's rank falls with the lag, so it gets compressed
    import rnnviz.core.diagnostics.chain as chain_module

    shapes = []
    original = chain_module._compress

    def spy(product, left):
        result = original(product, left)
        shapes.append((product.shape[0], result[0].shape[0]))
        return result

    monkeypatch.setattr(chain_module, "_compress", spy)
    model = make(cell, hidden=128, seed=8)
    trace, _ = run(model, 200, batch=1)
    fast, _ = chain_log_norms(model, trace)
    assert any(after < before for before, after in shapes), shapes
    assert np.max(np.abs(fast - chain_log_norms_explicit(model, trace))) < LOG_1PCT


def test_reference_itself_matches_naive_products():
    model = make("tanh", hidden=12, init_scale=2.0)
    trace, _ = run(model, 15)
    np.testing.assert_allclose(np.exp(chain_log_norms_explicit(model, trace)), explicit_chain(model, trace),
                               rtol=1e-10)


def test_two_stacked_layers_each_follow_their_own_recurrence():
    model = make("tanh", hidden=20, layers=2, seed=2, init_scale=1.5)
    trace, _ = run(model, 40)
    for layer in (0, 1):
        exact = explicit_chain(model, trace, layer=layer)
        fast = dg.chain_norms(model, trace, layer=layer)
        assert np.all(np.abs(fast / exact - 1) < 0.01)
    # the layers differ, so a mix-up between them would show
    assert not np.allclose(explicit_chain(model, trace, 0), explicit_chain(model, trace, 1), rtol=0.05)


def test_vanilla_fast_path_applies_the_cells_own_jacobians():
    model = make("relu", hidden=10)
    trace, _ = run(model, 8)
    w_hh, state0 = model.params["weight_hh_l0"], (trace.state0[0, 0],)
    hook = model.cell.step_jacobians(w_hh, trace.hidden[:, 0, 0], state0, {})
    sequence = JacobianSequence(model, trace)
    for t in range(8):
        np.testing.assert_array_equal(sequence.matrix(t), hook[t])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_go_through_the_hook_over_the_full_state(cell):
    model = make(cell, hidden=8, seed=4)
    trace, _ = run(model, 25, batch=3)
    w_hh = model.params["weight_hh_l0"]
    state0 = tuple(part[0, 2] for part in (trace.state0 if isinstance(trace.state0, tuple) else (trace.state0,)))
    extras = {name: value[:, 0, 2] for name, value in trace.extras.items()}
    jac = model.cell.step_jacobians(w_hh, trace.hidden[:, 0, 2], state0, extras)
    product, exact = np.eye(jac.shape[1]), [1.0]
    for t in range(24, -1, -1):
        product = product @ jac[t]
        exact.append(np.linalg.norm(product, ord=2))
    np.testing.assert_allclose(dg.chain_norms(model, trace, sample=2), exact, rtol=0.01)


# ----------------------------------------------------------------------------- the bound
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("cell", ["tanh", "relu", "linear"])
def test_chain_never_exceeds_the_pascanu_bound(cell, seed):
    scale = 0.5 + seed * 0.6
    model = make(cell, hidden=16, seed=seed, init_scale=scale)
    trace, _ = run(model, 40, scale=1.0 + seed, seed=seed)
    sigma = np.linalg.norm(model.params["weight_hh_l0"], ord=2)
    bound = dg.chain_bound(model, 40)
    np.testing.assert_allclose(bound, (model.cell.gamma * sigma) ** np.arange(41), rtol=1e-9)
    assert np.all(explicit_chain(model, trace) <= bound * (1 + 1e-9))
    assert np.all(dg.chain_norms(model, trace) <= bound * (1 + 1e-6))


def test_bound_is_computed_in_log_space_and_absent_for_gated_cells():
    logs = dg.chain_bound_log(1.0, 10.0, 400)
    assert np.all(np.isfinite(logs)) and logs[-1] == pytest.approx(400 * math.log(10.0))
    assert np.all(np.isnan(dg.chain_bound_log(None, 2.0, 5)))
    assert np.all(np.isnan(dg.chain_bound(make("lstm", hidden=4), 5)))


# ----------------------------------------------------------------------------- long chains in log space
@pytest.mark.parametrize("scale", [0.5, 2.0, 10.0])
def test_long_chains_stay_finite_in_log_space(scale):
    # a linear cell's Jacobian is W_hh whatever the states, so a trace of zeros is enough
    steps, hidden = 400, 16
    model = make("linear", hidden=hidden)
    set_recurrence(model, scale)
    zeros = np.zeros((steps, 1, 1, hidden))
    trace = Trace(hidden=zeros, grad_hidden=zeros, h_last=zeros[0], state_last=zeros[0],
                  outputs=np.zeros((1, 3)), target_kind="se_last", state0=zeros[0])
    logs, _ = chain_log_norms(model, trace)
    assert np.all(np.isfinite(logs))
    assert np.max(np.abs(logs - np.arange(steps + 1) * math.log(scale))) < LOG_1PCT
    values = dg.chain_norms(model, trace)
    if steps * math.log10(scale) < 300:  # representable: the plain values are right too
        np.testing.assert_allclose(values, scale ** np.arange(steps + 1), rtol=0.01)
    else:  # 10^400: beyond float64, reported as inf without a warning; the log10 field keeps it
        assert np.isinf(values[-1]) and np.all(np.isfinite(values[:300]))


# ----------------------------------------------------------------------------- profile, horizon, regime
def linear_regime_model(scale, steps=60):
    model = make("tanh", hidden=24)
    set_recurrence(model, scale)
    trace, _ = run(model, steps, batch=3, scale=1e-12)  # the loss reads only the last step
    return model, trace


def test_vanishing_case_horizon_and_regime():
    model, trace = linear_regime_model(0.5)
    profile = dg.gradient_profile(trace, 0, sample=0)
    # dL/dh_{T-k} = (W^T)^k dL/dh_T exactly here, so its norm is 0.5^k times the last one
    np.testing.assert_allclose(profile[::-1], profile[-1] * 0.5 ** np.arange(60), rtol=1e-6)
    expected = math.floor(math.log(dg.HORIZON_THRESHOLD) / math.log(0.5))
    diag = dg.summarize(model, trace, sample=0)
    assert diag.horizon == dg.gradient_horizon(profile) == expected
    assert diag.growth == pytest.approx(0.5, rel=0.01)
    assert diag.regime == "vanishing"


def test_exploding_and_stable_cases():
    model, trace = linear_regime_model(1.5)
    diag = dg.summarize(model, trace)
    assert diag.horizon == 59  # the gradient grows going back: every lag is above the threshold
    assert diag.growth == pytest.approx(1.5, rel=0.01) and diag.regime == "exploding"
    model, trace = linear_regime_model(1.0)
    diag = dg.summarize(model, trace)
    assert diag.growth == pytest.approx(1.0, rel=0.01) and diag.regime == "stable"


def test_regime_thresholds_are_the_documented_ones():
    low, high = dg.REGIME_THRESHOLDS["vanishing_below"], dg.REGIME_THRESHOLDS["exploding_above"]
    assert str(low) in dg.__doc__ and str(high) in dg.__doc__
    assert dg.regime(low * 0.99) == "vanishing"
    assert dg.regime(low) == dg.regime(1.0) == dg.regime(high) == "stable"
    assert dg.regime(high * 1.01) == "exploding"
    assert dg.regime(float("nan")) == dg.regime(float("inf")) == "exploding"
    assert dg.regime(0.0) == "vanishing"


def test_horizon_on_hand_made_profiles():
    profile = 10.0 ** -(0.9 * np.arange(10.0))[::-1]  # ratio to the peak (last step) 10^(-0.9 k) at lag k
    assert dg.gradient_horizon(profile) == 3  # 0.9 k <= 3  <=>  k <= 3.3
    assert dg.gradient_horizon(profile, threshold=1e-5) == 5  # 0.9 k <= 5  <=>  k <= 5.6
    dipped = np.ones(10)
    dipped[5] = 0.0  # an isolated dip does not shorten the horizon: the earliest step counts
    assert dg.gradient_horizon(dipped) == 9
    assert dg.gradient_horizon(np.zeros(5)) == 0
    assert dg.gradient_horizon(np.array([np.nan, 1.0, 1e-4])) == 1


def test_profile_sample_and_batch_mean():
    model = make("tanh", hidden=8)
    trace, _ = run(model, 12, batch=4, last_only=False)
    norms = np.linalg.norm(trace.grad_hidden[:, 0], axis=-1)  # (T, B)
    np.testing.assert_allclose(dg.gradient_profile(trace, 0, sample=2), norms[:, 2])
    np.testing.assert_allclose(dg.gradient_profile(trace, 0), norms.mean(axis=1))


# ----------------------------------------------------------------------------- weight gradient per step
@pytest.mark.parametrize("cell", ["tanh", "relu"])
def test_weight_grad_per_step_splits_dl_dw_hh_by_step(cell):
    model = make(cell, hidden=6)
    trace, grads = run(model, 9, batch=1, last_only=False)
    hidden, grad_hidden = trace.hidden[:, 0, 0], trace.grad_hidden[:, 0, 0]  # (T, H)
    phi_prime = 1 - hidden ** 2 if cell == "tanh" else (hidden > 0).astype(float)
    da = grad_hidden * phi_prime
    h_prev = np.vstack([trace.state0[0, 0][None], hidden[:-1]])
    shares = [np.outer(da[t], h_prev[t]) for t in range(9)]
    np.testing.assert_allclose(sum(shares), grads["weight_hh_l0"], atol=1e-12)  # they add up to dL/dW_hh
    np.testing.assert_allclose(dg.weight_grad_per_step(model, trace), [np.linalg.norm(s) for s in shares],
                               rtol=1e-10)


# ----------------------------------------------------------------------------- states and spectrum
def test_saturation_and_dead_units_on_constructed_units():
    hidden = 20
    model = make("relu", hidden=hidden)
    model.params["weight_hh_l0"] *= 1e-6  # nothing the recurrence adds can flip a unit
    model.params["weight_ih_l0"] *= 1e-6
    model.params["bias_hh_l0"][:3] = -1e3  # three units can never switch on
    model.params["bias_hh_l0"][3:] = 1e3  # the rest are always on
    trace, _ = run(model, 10, batch=3)
    assert dg.dead_units(model, trace) == pytest.approx(3 / hidden)
    np.testing.assert_allclose(dg.saturation(model, trace), np.full(10, 3 / hidden))

    model = make("tanh", hidden=hidden)
    model.params["weight_hh_l0"] *= 1e-6
    model.params["weight_ih_l0"] *= 1e-6
    model.params["bias_hh_l0"][:5] = 20.0  # tanh(20) = 1 - 8e-18: saturated
    trace, _ = run(model, 10)
    np.testing.assert_allclose(dg.saturation(model, trace), np.full(10, 5 / hidden))
    assert dg.dead_units(model, trace) == 0.0


def test_spectrum_of_a_known_matrix():
    rotation = np.array([[0.0, -2.0], [2.0, 0.0]])  # eigenvalues +-2i, both singular values 2
    w = np.zeros((3, 3))
    w[:2, :2] = rotation
    w[2, 2] = 0.5
    spec = dg.spectrum(w)
    np.testing.assert_allclose(spec.singular_values, [2.0, 2.0, 0.5])
    np.testing.assert_allclose(sorted(spec.eigenvalues.imag), [-2.0, 0.0, 2.0], atol=1e-12)
    assert spec.spectral_radius == pytest.approx(2.0) and spec.sigma_max == pytest.approx(2.0)
    assert abs(spec.eigenvalues[-1]) == pytest.approx(0.5)  # ordered by decreasing modulus


def test_spectrum_of_a_gated_matrix_uses_the_candidate_block():
    hidden = 4
    stacked = np.zeros((3 * hidden, hidden))
    stacked[2 * hidden:] = np.diag([3.0, 1.0, -0.5, 0.2])
    spec = dg.spectrum(stacked)
    np.testing.assert_allclose(np.abs(spec.eigenvalues), [3.0, 1.0, 0.5, 0.2])
    assert spec.singular_values.shape == (hidden,)


# ----------------------------------------------------------------------------- the whole snapshot
def test_summarize_fields_and_shapes():
    model = make("tanh", hidden=10, layers=2, init_scale=1.5)
    steps = 17
    trace, _ = run(model, steps, batch=3)
    diag = dg.summarize(model, trace, sample=1)
    assert diag.chain.shape == diag.bound.shape == diag.chain_log10.shape == (2, steps + 1)
    assert diag.profile.shape == (steps, 2)
    # only what a panel shows or an export writes is computed
    for dropped in ("jacobian_norms", "weight_grad_per_step", "profile_mean", "saturation"):
        assert not hasattr(diag, dropped), dropped
    assert diag.spectral_radius.shape == diag.sigma_max.shape == diag.dead_units.shape == (2,)
    assert [v.shape for v in diag.singular_values] == [(10,), (10,)]
    assert [v.dtype.kind for v in diag.eigenvalues] == ["c", "c"]
    assert isinstance(diag.horizon, int) and diag.regime in ("vanishing", "stable", "exploding")
    assert np.all(diag.chain[:, 0] == 1.0)
    for layer in (0, 1):
        np.testing.assert_allclose(diag.chain[layer], explicit_chain(model, trace, layer, 1), rtol=0.01)
    np.testing.assert_allclose(diag.profile[:, 1], dg.gradient_profile(trace, 1, 1))
    assert diag.horizon == dg.gradient_horizon(diag.profile[:, 1])
    assert diag.regime == dg.regime(diag.growth)
    with pytest.raises(dataclasses.FrozenInstanceError):
        diag.horizon = 3
    diag.profile[:] = -1.0  # a copy: the trace is untouched
    assert np.all(np.linalg.norm(trace.grad_hidden, axis=-1) >= 0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_summarize_gated_cells(cell):
    model = make(cell, hidden=6, layers=2)
    trace, _ = run(model, 11, batch=2, last_only=False)
    diag = dg.summarize(model, trace)
    assert diag.chain.shape == (2, 12) and np.all(np.isfinite(diag.chain))
    assert np.all(np.isnan(diag.bound))
    assert [v.shape for v in diag.eigenvalues] == [(6,), (6,)]


def test_float32_models_work():
    model = make("tanh", hidden=12, dtype="float32")
    trace, _ = run(model, 20)
    diag = dg.summarize(model, trace)
    np.testing.assert_allclose(diag.chain[0], explicit_chain(model, trace), rtol=0.01)


def test_out_of_range_sample_or_layer_is_a_user_error():
    model = make("tanh", hidden=4)
    trace, _ = run(model, 3, batch=2)
    with pytest.raises(UserError, match="sample"):
        dg.summarize(model, trace, sample=2)
    with pytest.raises(UserError, match="layer"):
        dg.chain_norms(model, trace, layer=1)


def test_a_diverged_trace_gives_nan_not_an_exception():
    model = make("tanh", hidden=6)
    trace, _ = run(model, 10)
    trace.hidden[4, 0, 0, 2] = np.nan  # step 5 of sample 0 blew up
    model.params["weight_hh_l0"][0, 0] = np.inf
    diag = dg.summarize(model, trace)
    assert np.isnan(diag.chain[0, 1:]).all() and diag.regime == "exploding"
    assert np.isnan(diag.sigma_max[0]) and np.isnan(diag.spectral_radius[0])
    model.params["weight_hh_l0"][0, 0] = 0.5  # finite weights: only the lags through step 5 are lost
    diag = dg.summarize(model, trace)
    assert np.isfinite(diag.chain[0, :6]).all() and np.isnan(diag.chain[0, 6:]).all()
    assert np.isfinite(diag.sigma_max[0])


def test_an_overflowed_relu_state_is_not_read_as_a_silent_unit():
    # NaN > 0 is False: read as "off", an exploded ReLU network looked VANISHING (chain 0)
    model = make("relu", hidden=6)
    trace, _ = run(model, 10)
    trace.hidden[4, 0, 0, 2] = np.nan
    diag = dg.summarize(model, trace)
    assert np.isfinite(diag.chain[0, :6]).all() and np.isnan(diag.chain[0, 6:]).all()
    trace.hidden[:] = np.nan  # the whole re-run overflowed
    assert dg.summarize(model, trace).regime == "exploding"


def test_a_silent_relu_layer_cuts_the_chain_to_exact_zero():
    model = make("relu", hidden=8)
    model.params["bias_hh_l0"][:] = -1e3  # every unit off at every step: J_t = 0
    trace, _ = run(model, 6)
    logs, _ = chain_log_norms(model, trace)
    assert logs[0] == 0.0 and np.all(logs[1:] == -np.inf)
    diag = dg.summarize(model, trace)
    assert np.all(diag.chain[0, 1:] == 0.0) and diag.regime == "vanishing" and diag.dead_units[0] == 1.0
