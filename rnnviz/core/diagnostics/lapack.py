"""Eigenvalues and singular values of a matrix with Python's lock released.

Why a file of its own: ``summarize`` computes W_hh's spectrum on a second thread while the
Jacobian chain runs, but numpy's ``linalg`` functions hold the interpreter lock for the whole
LAPACK call (measured here: at H = 256 ``np.linalg.eigvals`` holds it ~25 ms, the chain's thread
waits, and the two run one after the other). The same LAPACK routines (dgeev for the
eigenvalues, dgesdd for the singular values) called through ``ctypes`` release the lock, like
any foreign call, so the spectrum really runs beside the chain (and the window's thread is not
frozen meanwhile).

The routines are the ones numpy itself links: the OpenBLAS that numpy's wheels ship, found
through threadpoolctl, whose LAPACKE entry points carry the 64-bit integer suffix ``64_``.
Only such a library is used (its integer width is then known); anything else, or any error
code, falls back to numpy's own functions, which give the same values.

Every call holds ``rnnviz.runtime.BLAS_CALLS``, the lock under which the application changes
OpenBLAS's thread count, so no count changes while a LAPACK call runs on the spectrum's thread:
OpenBLAS's ``openblas_set_num_threads`` writes the count without a lock of its own, and
threadpoolctl's limits, entered and left from two threads, can restore the wrong count.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

from rnnviz.runtime import BLAS_CALLS as CALLS  # see the module docstring

COLUMN_MAJOR = 102  # LAPACK_COL_MAJOR
PREFIXES = ("scipy_", "")  # numpy's wheels prefix OpenBLAS's symbols with scipy_


@functools.cache
def _routines():
    """(dgeev, dgesdd) as ctypes functions of numpy's OpenBLAS with 64-bit integers, or None."""
    try:
        from threadpoolctl import threadpool_info

        paths = [info["filepath"] for info in threadpool_info() if info.get("internal_api") == "openblas"]
        for path in paths:
            library = ctypes.CDLL(path)
            for prefix in PREFIXES:
                geev = getattr(library, f"{prefix}LAPACKE_dgeev64_", None)
                gesdd = getattr(library, f"{prefix}LAPACKE_dgesdd64_", None)
                if geev is not None and gesdd is not None:
                    return _typed(geev, gesdd)
    except Exception:  # noqa: BLE001 - no such library here: numpy's own functions do the work
        return None
    return None


def _typed(geev, gesdd):
    index, pointer = ctypes.c_int64, ctypes.POINTER(ctypes.c_double)
    geev.restype = gesdd.restype = index
    # (layout, jobvl, jobvr, n, a, lda, wr, wi, vl, ldvl, vr, ldvr)
    geev.argtypes = [ctypes.c_int, ctypes.c_char, ctypes.c_char, index, pointer, index, pointer, pointer,
                     pointer, index, pointer, index]
    # (layout, jobz, m, n, a, lda, s, u, ldu, vt, ldvt)
    gesdd.argtypes = [ctypes.c_int, ctypes.c_char, index, index, pointer, index, pointer, pointer, index,
                      pointer, index]
    return geev, gesdd


def _data(array: np.ndarray):
    return array.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


def eigenvalues(matrix: np.ndarray) -> np.ndarray:
    """The eigenvalues of a finite square float matrix (n, n): (n,) complex, in LAPACK's order."""
    matrix = np.asarray(matrix, dtype=np.float64)
    routines = _routines()
    size = matrix.shape[0]
    if routines is not None and size > 0:
        work = np.array(matrix, dtype=np.float64, order="F")  # overwritten by the routine
        real, imag = np.empty(size), np.empty(size)
        with CALLS:
            info = routines[0](COLUMN_MAJOR, b"N", b"N", size, _data(work), size, _data(real), _data(imag),
                               None, 1, None, 1)
        if info == 0:
            return real + 1j * imag
    return np.linalg.eigvals(matrix).astype(complex)


def singular_values(matrix: np.ndarray) -> np.ndarray:
    """The singular values of a finite float matrix (m, n): (min(m, n),), descending."""
    matrix = np.asarray(matrix, dtype=np.float64)
    routines = _routines()
    rows, cols = matrix.shape
    if routines is not None and rows > 0 and cols > 0:
        work = np.array(matrix, dtype=np.float64, order="F")
        values = np.empty(min(rows, cols))
        with CALLS:
            info = routines[1](COLUMN_MAJOR, b"N", rows, cols, _data(work), rows, _data(values), None, 1, None, 1)
        if info == 0:
            return values
    return np.linalg.svd(matrix, compute_uv=False)
