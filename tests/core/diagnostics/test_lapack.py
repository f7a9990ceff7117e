"""The spectrum's LAPACK calls with Python's lock released give numpy's values exactly."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.diagnostics import lapack


def test_numpys_own_openblas_is_found_when_numpy_ships_it():
    # the PyPI wheels of numpy >= 2 ship OpenBLAS with 64-bit integer LAPACKE entry points; other
    # builds (MKL, Accelerate, conda) fall back to numpy's functions, tested below either way
    config = np.show_config(mode="dicts")["Build Dependencies"]["lapack"]
    if config.get("name") != "scipy-openblas" or "USE64BITINT" not in str(config.get("openblas configuration", "")):
        pytest.skip(f"numpy here uses {config.get('name')}, not the wheels' 64-bit OpenBLAS")
    assert lapack._routines() is not None


@pytest.mark.parametrize("shape", [(1, 1), (7, 7), (64, 64), (40, 13), (13, 40)])
def test_singular_values_match_numpy(shape):
    matrix = np.random.default_rng(sum(shape)).standard_normal(shape)
    np.testing.assert_allclose(lapack.singular_values(matrix), np.linalg.svd(matrix, compute_uv=False),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size", [1, 2, 9, 64])
def test_eigenvalues_match_numpy(size):
    matrix = np.random.default_rng(size).standard_normal((size, size))
    mine = np.sort_complex(lapack.eigenvalues(matrix))
    np.testing.assert_allclose(mine, np.sort_complex(np.linalg.eigvals(matrix).astype(complex)), rtol=1e-10, atol=1e-12)


def test_a_rotation_has_its_complex_pair():
    rotation = np.array([[0.0, -2.0], [2.0, 0.0]])
    np.testing.assert_allclose(np.sort_complex(lapack.eigenvalues(rotation)), [-2j, 2j], atol=1e-14)


def test_the_input_is_left_untouched_and_float32_is_accepted():
    matrix = np.random.default_rng(5).standard_normal((12, 12)).astype(np.float32)
    copy = matrix.copy()
    lapack.eigenvalues(matrix)
    lapack.singular_values(matrix)
    np.testing.assert_array_equal(matrix, copy)


def test_without_the_library_numpy_does_the_work(monkeypatch):
    monkeypatch.setattr(lapack, "_routines", lambda: None)
    matrix = np.random.default_rng(6).standard_normal((10, 10))
    np.testing.assert_allclose(lapack.singular_values(matrix), np.linalg.svd(matrix, compute_uv=False))
    np.testing.assert_allclose(np.sort_complex(lapack.eigenvalues(matrix)), np.sort_complex(np.linalg.eigvals(matrix)))


def test_each_call_holds_the_lock_under_which_blas_thread_counts_change(monkeypatch):
    import threading

    from rnnviz.runtime import BLAS_CALLS

    routines = lapack._routines()
    if routines is None:
        pytest.skip("no OpenBLAS LAPACKE here: numpy's own functions do the work")
    held = []

    def try_to_take():
        taken = BLAS_CALLS.acquire(blocking=False)
        held.append(not taken)
        if taken:
            BLAS_CALLS.release()

    def watched(routine):
        def call(*args):
            probe = threading.Thread(target=try_to_take)
            probe.start()
            probe.join()
            return routine(*args)
        return call

    monkeypatch.setattr(lapack, "_routines", lambda: tuple(watched(r) for r in routines))
    matrix = np.random.default_rng(7).standard_normal((9, 9))
    np.testing.assert_allclose(np.sort_complex(lapack.eigenvalues(matrix)), np.sort_complex(np.linalg.eigvals(matrix)),
                               rtol=1e-10, atol=1e-12)
    lapack.singular_values(matrix)
    assert held == [True, True]  # another thread could not take the lock during either call
