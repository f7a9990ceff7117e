"""Central finite differences in float64, shared by every gradient test."""

from __future__ import annotations

import numpy as np

EPS = 1e-6


def numerical_grad(f, array: np.ndarray) -> np.ndarray:
    """dF/d(array) by central differences, perturbing ``array`` in place and restoring it."""
    grad = np.zeros_like(array)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + EPS
        up = f()
        flat[i] = old - EPS
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * EPS)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||a - n|| / max(||a|| + ||n||, tiny): scale-free, and 0 when both are 0."""
    num = np.linalg.norm(analytic - numeric)
    den = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(num / max(den, 1e-300))
