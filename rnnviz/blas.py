"""Which BLAS numpy uses, and a way to change its thread count.

On a 2-core machine shared with other work, a BLAS that splits a small product over two
threads can lose badly: one thread waits for the other while the scheduler runs someone else.
Whether one thread or all of them is faster depends on the sizes and on the load, so the
benchmarks measure both instead of guessing. The library (``rnnviz.core``, ``rnnviz run``)
never changes the thread count. The window does, once, unless the user chose a count
(OPENBLAS_NUM_THREADS / OMP_NUM_THREADS): it trains on one BLAS thread so that another core
is left to paint the plots (``rnnviz bench --only window-training`` measures the effect).

The count is set through the OpenBLAS library that numpy's wheel bundles (``numpy.libs``),
looked up with ctypes, as threadpoolctl does; where that library is not found (another BLAS,
another build), ``blas_threads`` does nothing and ``thread_control_available()`` says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os

import numpy as np

# symbol names of the scipy-openblas64 build numpy's wheels ship, then of a plain OpenBLAS
_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")


def _find_openblas():
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "*openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        if setter is not None and getter is not None:
            return setter, getter
    return None


_OPENBLAS = _find_openblas()


def thread_control_available() -> bool:
    return _OPENBLAS is not None


def blas_thread_count() -> int | None:
    """The BLAS thread count now in force, or None if it cannot be read."""
    return int(_OPENBLAS[1]()) if _OPENBLAS else None


@contextlib.contextmanager
def blas_threads(count: int | None):
    """Run the block with ``count`` BLAS threads (None: leave as is), then restore the old count."""
    if count is None or _OPENBLAS is None:
        yield
        return
    setter, getter = _OPENBLAS
    old = int(getter())
    setter(int(count))
    try:
        yield
    finally:
        setter(old)


USER_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def one_thread_for_the_window() -> bool:
    """Train on one BLAS thread, leaving a core to the GUI, unless the user chose a count.

    Returns whether the count was changed."""
    if _OPENBLAS is None or any(name in os.environ for name in USER_THREAD_VARIABLES):
        return False
    _OPENBLAS[0](1)
    return True


def describe() -> str:
    """One line: numpy's BLAS, its configuration and its thread count."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
        config = blas.get("openblas configuration", "")
    except Exception:  # show_config's layout is not a stable API
        name, config = "unknown", ""
    threads = blas_thread_count()
    return (f"numpy {np.__version__}, BLAS {name}" + (f" ({config})" if config else "")
            + (f", {threads} threads" if threads else ""))
