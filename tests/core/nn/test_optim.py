"""Each optimizer against updates worked out by hand, and both clipping rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core.nn.optim import Optimizer, clip, square_norm

LR = 0.1
EPS = 1e-8


def one_param(value):
    return {"w": np.array(value, dtype=np.float64)}


def run(name, grads_seq, lrs=None, start=(1.0, 2.0), **hyper):
    params = one_param(start)
    opt = Optimizer(name, params, eps=EPS, **hyper)
    for i, g in enumerate(grads_seq):
        opt.step(params, {"w": np.array(g, dtype=np.float64)}, LR if lrs is None else lrs[i])
    return params["w"], opt


G1 = (0.5, -1.0)
G2 = (-0.25, 2.0)


def test_sgd_and_a_changing_learning_rate():
    w, _ = run("sgd", [G1, G2], lrs=[0.1, 0.01])
    # 1 - 0.1*0.5 - 0.01*(-0.25) ; 2 - 0.1*(-1) - 0.01*2
    np.testing.assert_allclose(w, [0.9525, 2.08], rtol=0, atol=1e-15)


def test_momentum():
    w, opt = run("momentum", [G1, G2], momentum=0.9)
    # v1 = g1 ; v2 = 0.9 g1 + g2 = (0.2, 1.1) ; w = start - 0.1 (v1 + v2)
    np.testing.assert_allclose(w, [1 - 0.1 * (0.5 + 0.2), 2 - 0.1 * (-1.0 + 1.1)], atol=1e-15)
    np.testing.assert_allclose(opt.state["velocity"]["w"], [0.2, 1.1], atol=1e-15)


def test_adagrad():
    w, opt = run("adagrad", [G1, G2])
    # cache1 = (0.25, 1) ; cache2 = (0.3125, 5)
    step1 = [0.1 * 0.5 / (0.5 + EPS), 0.1 * -1.0 / (1.0 + EPS)]
    step2 = [0.1 * -0.25 / (math.sqrt(0.3125) + EPS), 0.1 * 2.0 / (math.sqrt(5.0) + EPS)]
    np.testing.assert_allclose(w, [1 - step1[0] - step2[0], 2 - step1[1] - step2[1]], atol=1e-14)
    np.testing.assert_allclose(opt.state["cache"]["w"], [0.3125, 5.0], atol=1e-15)


def test_rmsprop():
    w, _ = run("rmsprop", [G1, G2], rms_decay=0.9)
    c1 = [0.1 * 0.25, 0.1 * 1.0]  # (1 - 0.9) g^2
    c2 = [0.9 * c1[0] + 0.1 * 0.0625, 0.9 * c1[1] + 0.1 * 4.0]
    step1 = [0.1 * 0.5 / (math.sqrt(c1[0]) + EPS), 0.1 * -1.0 / (math.sqrt(c1[1]) + EPS)]
    step2 = [0.1 * -0.25 / (math.sqrt(c2[0]) + EPS), 0.1 * 2.0 / (math.sqrt(c2[1]) + EPS)]
    np.testing.assert_allclose(w, [1 - step1[0] - step2[0], 2 - step1[1] - step2[1]], atol=1e-14)


def test_adam_with_bias_correction():
    w, opt = run("adam", [G1, G2], beta1=0.9, beta2=0.999)
    expected = np.array([1.0, 2.0])
    m = np.zeros(2)
    v = np.zeros(2)
    for t, g in enumerate([np.array(G1), np.array(G2)], start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected -= 0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + EPS)
    np.testing.assert_allclose(w, expected, atol=1e-14)
    # the first Adam step moves every weight by lr (times the sign of its gradient)
    w1, _ = run("adam", [G1])
    np.testing.assert_allclose(w1, [1 - 0.1, 2 + 0.1], atol=1e-8)
    assert opt.t == 2


def test_propose_changes_nothing_until_applied():
    params = one_param((1.0, 2.0))
    opt = Optimizer("adam", params)
    updates, state = opt.propose({"w": np.array(G1)}, LR)
    np.testing.assert_array_equal(params["w"], [1.0, 2.0])
    assert opt.t == 0 and not opt.state["m"]["w"].any()
    opt.apply(params, updates, state)
    assert opt.t == 1 and opt.state["m"]["w"].any()


@pytest.mark.parametrize("name", ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_state_arrays_round_trip(name):
    params = one_param((1.0, 2.0))
    opt = Optimizer(name, params)
    opt.step(params, {"w": np.array(G1)}, LR)
    saved = opt.state_arrays()
    twin = Optimizer(name, one_param((0.0, 0.0)))
    twin.load_state_arrays(saved)
    p1, p2 = one_param((1.0, 2.0)), one_param((1.0, 2.0))
    opt.step(p1, {"w": np.array(G2)}, LR)
    twin.step(p2, {"w": np.array(G2)}, LR)
    np.testing.assert_array_equal(p1["w"], p2["w"])
    with pytest.raises(ValueError, match="missing"):
        Optimizer(name, params).load_state_arrays({})


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        Optimizer("lbfgs", one_param((1.0,)))


def test_clip_by_global_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([4.0])}  # norm 5
    result = clip(grads, "norm", 1.0)
    np.testing.assert_allclose(result.grads["a"], [0.6, 0.0])
    np.testing.assert_allclose(result.grads["b"], [0.8])
    assert result.norm_before == pytest.approx(5.0) and result.norm_after == pytest.approx(1.0)
    assert result.fraction == 1.0
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])  # the raw gradients are left alone
    below = clip(grads, "norm", 10.0)
    assert below.grads is grads and below.fraction == 0.0 and below.norm_after == pytest.approx(5.0)


def test_clip_by_value():
    grads = {"a": np.array([3.0, -0.5]), "b": np.array([-7.0, 0.25])}
    result = clip(grads, "value", 1.0)
    np.testing.assert_array_equal(result.grads["a"], [1.0, -0.5])
    np.testing.assert_array_equal(result.grads["b"], [-1.0, 0.25])
    assert result.fraction == pytest.approx(2 / 4)
    assert result.norm_before == pytest.approx(math.sqrt(9 + 0.25 + 49 + 0.0625))
    assert result.norm_after == pytest.approx(math.sqrt(1 + 0.25 + 1 + 0.0625))
    np.testing.assert_array_equal(grads["b"], [-7.0, 0.25])
    assert clip(grads, "none", None).grads is grads


def test_float32_norms_do_not_overflow():
    big = np.full(4, 1e20, dtype=np.float32)  # its square overflows float32
    assert square_norm(big) == pytest.approx(4e40, rel=1e-6)
    result = clip({"g": big}, "norm", 1.0)
    assert result.grads["g"].dtype == np.float32
    assert result.norm_after == pytest.approx(1.0, rel=1e-6)
