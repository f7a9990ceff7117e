"""Running a sweep's points as Dask tasks: on an embedded local cluster, or on any Dask cluster.

By default ``Cluster`` starts a ``distributed.LocalCluster`` on 127.0.0.1 with one
single-threaded worker process per core (its dashboard on a free port of 127.0.0.1): nothing to install or start by hand.
Given a scheduler address (``tcp://HOST:PORT``) it connects to a running cluster instead —
``dask scheduler`` and ``dask worker`` on other machines, or any Dask deployment — whose
workers must have the same rnnviz and numpy installed (and any --data file at the same path).

``run_points`` submits every point (``rnnviz.core.train.sweep.run_point``), hands each result
to ``on_result`` as it finishes (``as_completed``: completion order, not grid order), and on
any way out — done, error, Ctrl-C, ``stop()`` from another thread — cancels what is pending.
Dask is imported here only, so the rest of rnnviz runs without it.
"""

from __future__ import annotations

import logging
import os
import re

from rnnviz.core.errors import UserError

INSTALL_HINT = "sweeps run on Dask: pip install 'dask[distributed]' (or pip install 'rnnviz[sweep]')"
CONNECT_TIMEOUT = "10s"  # a scheduler that does not answer in this long is reported, not waited for
ADDRESS = re.compile(r"^(tcp|tls|ws|wss|inproc)://[^\s/]+(:\d+)?$")
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def check_address(scheduler: str) -> str:
    """A scheduler address as Dask takes it (``tcp://HOST:PORT``), or a UserError."""
    address = str(scheduler).strip()
    if not ADDRESS.match(address):
        raise UserError(f"--scheduler must be an address such as tcp://HOST:8786, got {scheduler!r}")
    return address


class Cluster:
    """A Dask client on a local cluster (``scheduler`` None) or on the cluster at ``scheduler``.
    A context manager: closing it stops a local cluster, and only disconnects from a remote one."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        if not dask_available():
            raise UserError(INSTALL_HINT)
        from distributed import Client, LocalCluster

        self.local = scheduler is None
        self.cluster = None
        if self.local:
            workers = default_workers() if workers is None else int(workers)
            if not 1 <= workers <= 256:
                raise UserError(f"--workers must be from 1 to 256, got {workers}")
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                        silence_logs=logging.ERROR, env=dict(WORKER_ENV))
            self.client = Client(self.cluster)
        else:
            address = check_address(scheduler)
            try:
                self.client = Client(address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                raise UserError(f"cannot reach the Dask scheduler at {address}: {exc}") from None

    @property
    def description(self) -> str:
        workers = self.client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 0) for w in workers.values())
        where = "local cluster" if self.local else f"cluster at {self.client.scheduler.address}"
        return f"{where}, {len(workers)} worker(s), {threads} thread(s)"

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PointRun:
    """The points of one sweep on a cluster; ``stop()`` may be called from any thread."""

    def __init__(self, cluster: Cluster, tasks, point_function=None) -> None:
        from rnnviz.core.train.sweep import run_point

        self.client = cluster.client
        self.tasks = list(tasks)  # (key, settings, seed)
        self.function = point_function or run_point
        self.futures = {}
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True
        pending = [f for f in self.futures.values() if not f.done()]
        if pending:
            self.client.cancel(pending)

    def run(self, on_result) -> int:
        """Submit every point and call ``on_result(key, settings, seed, row)`` as each finishes.
        Returns how many finished. A point that raises stops the sweep with its error."""
        from distributed import as_completed

        by_future = {}
        for key, settings, seed in self.tasks:
            future = self.client.submit(self.function, settings, seed, key=f"rnnviz-point-{key}", pure=False,
                                        retries=0)
            self.futures[key] = future
            by_future[future.key] = (key, settings, seed)
        finished = 0
        try:
            for future in as_completed(list(self.futures.values())):
                if self.stopped:
                    break
                if future.cancelled():
                    continue
                key, settings, seed = by_future[future.key]
                error = future.exception()
                if error is not None:
                    if isinstance(error, UserError):
                        raise UserError(f"a point failed ({_describe(settings, seed)}): {error}") from None
                    raise error
                on_result(key, settings, seed, future.result())
                finished += 1
        finally:
            self.stop()
        return finished


def _describe(settings: dict, seed: int) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None) + f", seed={seed}"
