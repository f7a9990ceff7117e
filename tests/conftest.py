"""Settings for the whole suite.

One BLAS thread: the tests train tiny networks (H <= 64, B <= 32), whose products are far too
small to split, and on a 2-core machine shared with other work a BLAS that splits them anyway
waits for its second thread while the scheduler runs someone else (a Vanishing step measured
24x slower on two threads under load). The window trains on one thread too. Tests that are
about the thread count itself ask for the library's own count with ``default_blas_threads``.
"""

from __future__ import annotations

import pytest

from rnnviz import runtime

DEFAULT_BLAS_THREADS = runtime.blas_thread_count()  # the library's count before the suite's limit


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    with runtime.blas_threads(1):
        yield


@pytest.fixture
def default_blas_threads():
    """The BLAS thread count the library started with, for the duration of one test."""
    with runtime.blas_threads(DEFAULT_BLAS_THREADS):
        yield


@pytest.fixture(scope="module")
def scheduler():
    """The address of a Dask scheduler with one single-threaded worker, on loopback, in this
    process (no interpreter to start per point); stopped when the module's tests are done."""
    import logging

    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                           dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
