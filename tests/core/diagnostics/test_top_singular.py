"""The stacked top-singular-value iteration against numpy's SVD, and its hand-back of the hard cases."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.diagnostics.top_singular import top_singular, top_singular_values

TOL = 5e-3  # the chain's acceptance: within 0.35 % of a singular value


def orthonormal(rows, cols, rng):
    return np.linalg.qr(rng.standard_normal((rows, cols)))[0]


def with_spectrum(values, cols, rng):
    """(len(values), cols) matrix with exactly these singular values."""
    rows = len(values)
    return (orthonormal(rows, rows, rng) * values) @ orthonormal(cols, rows, rng).T


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_product_of_a_stack_gets_its_largest_singular_value(dtype):
    rng = np.random.default_rng(0)
    products = rng.standard_normal((6, 40, 64)).astype(dtype)  # (m, r, S) clustered random spectra
    left = orthonormal(40, 8, rng).astype(dtype)
    sigma, residual, settled, last, rounds = top_singular_values(products, left, rng.standard_normal((6, 40)), TOL, 200)
    exact = np.linalg.svd(products.astype(np.float64), compute_uv=False)[:, 0]
    assert settled.all() and np.all(residual <= TOL)
    np.testing.assert_allclose(sigma, exact, rtol=TOL)
    assert sigma.max() <= exact.max() * (1 + 1e-5)  # a Ritz value never exceeds the top (up to rounding)
    assert rounds > 1  # random spectra are clustered: the block iterates
    np.testing.assert_allclose(last.T @ last, np.eye(8), atol=1e-5)  # the carried warm start is orthonormal


def test_a_warm_start_blind_to_the_top_direction_is_rescued_by_the_fresh_column():
    rng = np.random.default_rng(1)
    basis = orthonormal(30, 30, rng)
    values = np.r_[10.0, np.linspace(1.0, 0.5, 29)]
    product = (basis * values) @ orthonormal(50, 30, rng).T  # (30, 50), top left vector basis[:, 0]
    left = basis[:, 1:] @ orthonormal(29, 8, rng)  # (30, 8) random, but orthogonal to the top left vector
    sigma, _, settled, _, _ = top_singular_values(product[None], left, rng.standard_normal((1, 30)), TOL, 50)
    assert settled[0]
    assert sigma[0] == pytest.approx(10.0, rel=TOL)


def test_a_zero_product_is_handed_back_and_the_single_path_reads_it_as_zero():
    rng = np.random.default_rng(2)
    products = np.stack([with_spectrum([3.0, 1.0, 0.5, 0.1], 12, rng), np.zeros((4, 12))])
    left = orthonormal(4, 2, rng)
    sigma, _, settled, _, _ = top_singular_values(products, left, rng.standard_normal((2, 4)), TOL, 30)
    assert settled.tolist() == [True, False]
    assert sigma[0] == pytest.approx(3.0, rel=TOL)
    zero, _, _, _ = top_singular(products[1], left, rng.standard_normal(4), rng, TOL, 30)
    assert zero == 0.0


def test_a_product_that_does_not_settle_in_time_is_handed_back():
    rng = np.random.default_rng(3)
    product = with_spectrum(np.linspace(1.0, 0.99, 20), 20, rng)  # no gap at all to converge on
    left = orthonormal(20, 2, rng)
    _, residual, settled, _, rounds = top_singular_values(product[None], left, rng.standard_normal((1, 20)), 1e-9, 2)
    assert rounds == 2 and not settled[0] and residual[0] > 1e-9


def test_non_finite_products_are_handed_back_unsettled():
    rng = np.random.default_rng(4)
    products = rng.standard_normal((2, 6, 9))
    products[1, 2, 3] = np.nan
    _, _, settled, _, _ = top_singular_values(products, orthonormal(6, 3, rng), rng.standard_normal((2, 6)), TOL, 30)
    assert not settled[1]
    sigma, _, _, _ = top_singular(products[1], orthonormal(6, 3, rng), rng.standard_normal(6), rng, TOL, 30)
    assert np.isnan(sigma)
