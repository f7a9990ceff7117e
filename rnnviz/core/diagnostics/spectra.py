"""W_hh's spectrum (singular values and eigenvalues) for a snapshot: beside the chain, and
computed once per matrix.

Why a file of its own: the spectrum is the second cost of ``summarize`` after the Jacobian chain
(at H = 256 about 30 ms of CPU: ~24 ms in LAPACK's dgeev for the eigenvalues, ~5 ms in dgesdd),
and two things keep it off the snapshot's critical path:

- it runs on a thread of its own while the caller computes the chain (``SpectrumThread``); its
  LAPACK calls release Python's lock (rnnviz.core.diagnostics.lapack), so on two cores it costs
  no wall time. Only while BLAS runs on one thread (as in the window): a multi-threaded OpenBLAS
  called from two threads at once makes each call wait for the other's worker threads, spinning
  (measured at T = 200, H = 256 on a loaded 2-core machine, two BLAS threads: 5.3 s of wall time
  and 2.3 s of CPU for chain and spectrum side by side, 1.3 s and 0.6 s one after the other), so
  with more BLAS threads the spectrum is computed after the chain, on the caller's thread;
- a matrix whose spectrum was computed recently is recognised by a bitwise comparison (a 256 x
  256 float64 matrix compares in ~0.03 ms, against ~30 ms for its spectrum) and its spectrum is
  reused: a paused run redraws, changes its shown sample or exports without decomposing W_hh
  again. A training step changes W_hh, so a training run computes it afresh every snapshot.

The thread is joined before ``result`` returns and whenever its caller leaves early: a thread
still inside OpenBLAS while the process exits can find the library's buffers already released.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from rnnviz import runtime
from rnnviz.core.diagnostics import lapack

CANDIDATE_BLOCK = 2  # the candidate's row block in PyTorch's gate order: LSTM i,f,g,o and GRU r,z,n
KEEP = 8  # spectra remembered: every layer of every part of a small group of runs


@dataclass(frozen=True)
class Spectrum:
    singular_values: np.ndarray  # (H,) descending
    eigenvalues: np.ndarray  # (H,) complex, by decreasing modulus
    spectral_radius: float
    sigma_max: float


def spectrum(w_hh: np.ndarray) -> Spectrum:
    """Singular values, eigenvalues, spectral radius and largest singular value of W_hh.

    W_hh (G*H, H) of a gated cell has no eigenvalues of its own: those of its candidate block
    (rows 2H:3H in PyTorch's order) are returned instead.
    """
    w_hh = np.asarray(w_hh, dtype=float)
    rows, cols = w_hh.shape
    if not np.isfinite(w_hh).all():  # diverged weights: LAPACK would refuse them; nothing to show
        return Spectrum(singular_values=np.full(cols, np.nan), eigenvalues=np.full(cols, np.nan, dtype=complex),
                        spectral_radius=float("nan"), sigma_max=float("nan"))
    singular = lapack.singular_values(w_hh)  # (H,) descending
    square = w_hh if rows == cols else w_hh[CANDIDATE_BLOCK * cols:(CANDIDATE_BLOCK + 1) * cols]
    eigen = lapack.eigenvalues(square)  # (H,)
    eigen = eigen[np.argsort(-np.abs(eigen), kind="stable")]
    return Spectrum(singular_values=singular, eigenvalues=eigen,
                    spectral_radius=float(np.abs(eigen[0])), sigma_max=float(singular[0]))


class _Remembered:
    """The last KEEP (matrix copy, Spectrum) pairs; thread-safe. A hit needs the same shape,
    dtype and every bit (NaN never matches, so a diverged matrix is never reused)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pairs: OrderedDict[int, tuple[np.ndarray, Spectrum]] = OrderedDict()
        self._next = 0

    def find(self, matrix: np.ndarray) -> Spectrum | None:
        with self._lock:
            for key, (kept, found) in self._pairs.items():
                if kept.shape == matrix.shape and kept.dtype == matrix.dtype and np.array_equal(kept, matrix):
                    self._pairs.move_to_end(key)
                    return found
        return None

    def keep(self, matrix: np.ndarray, found: Spectrum) -> None:
        # shared by every snapshot that reuses it: read-only, so that no reader can change another's
        found.singular_values.setflags(write=False)
        found.eigenvalues.setflags(write=False)
        with self._lock:
            self._pairs[self._next] = (matrix.copy(), found)
            self._next += 1
            while len(self._pairs) > KEEP:
                self._pairs.popitem(last=False)

    def forget(self) -> None:
        with self._lock:
            self._pairs.clear()


_remembered = _Remembered()


def spectrum_of(w_hh: np.ndarray) -> Spectrum:
    """``spectrum(w_hh)``, reused when the same matrix (bitwise) was decomposed recently."""
    return _looked_up(w_hh)[0]


def _looked_up(w_hh) -> tuple[Spectrum, bool]:
    """(the spectrum, whether it was remembered)."""
    matrix = np.asarray(w_hh)
    found = _remembered.find(matrix)
    if found is not None:
        return found, True
    found = spectrum(matrix)
    _remembered.keep(matrix, found)
    return found, False


def forget_spectra() -> None:
    """Drop every remembered spectrum (``rnnviz bench`` times the training case with it)."""
    _remembered.forget()


def beside_is_worth_it() -> bool:
    """Whether the spectrum may run beside the chain: BLAS on one thread (or a BLAS whose threads
    threadpoolctl cannot see, as before), see the module docstring."""
    return (runtime.blas_thread_count() or 1) == 1


class SpectrumThread:
    """``spectrum_of`` each matrix on a thread of its own, while the caller computes the chain
    (with ``beside`` False, or by default when BLAS runs on several threads: in ``result()``, on
    the caller's thread).

    The matrices must stay unchanged until ``result()``. Use it as a context manager, so that
    the thread is joined however the block ends::

        with SpectrumThread(matrices) as spectra:
            ...the chain...
            found = spectra.result()
    """

    def __init__(self, matrices: list, beside: bool | None = None) -> None:
        self._matrices = matrices
        self._out: list = []
        self._error: BaseException | None = None
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.reused = 0  # matrices whose spectrum was remembered
        self._ran = False
        self.beside = beside_is_worth_it() if beside is None else bool(beside)
        # not a daemon: the interpreter waits for it (~30 ms) instead of leaving it inside LAPACK at exit
        self._thread = threading.Thread(target=self._run, name="rnnviz-spectrum") if self.beside and matrices else None
        if self._thread is not None:
            self._thread.start()

    def _run(self) -> None:
        start, start_cpu = time.perf_counter(), time.thread_time()
        try:
            for matrix in self._matrices:
                found, remembered = _looked_up(matrix)
                self._out.append(found)
                self.reused += remembered
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc
        self.seconds = time.perf_counter() - start
        self.cpu_seconds = time.thread_time() - start_cpu
        self._ran = True

    def result(self) -> list:
        if self._thread is not None:
            self._thread.join()
        elif not self._ran:  # not beside the chain: now, on the caller's thread
            self._run()
        if self._error is not None:
            raise self._error
        return self._out

    def __enter__(self) -> "SpectrumThread":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread is not None:
            self._thread.join()
