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


def check_model_gradients(model, inputs, targets, tolerance: float = 1e-6):
    """Every parameter's analytic gradient against central differences of the loss, and the loss
    of ``loss_and_grads`` against the plain forward ``loss``. Returns the trace, for the shape's
    own checks."""
    loss, grads, trace = model.loss_and_grads(inputs, targets)
    assert abs(loss - model.loss(inputs, targets)) <= 1e-12 * abs(loss)

    def f():
        return float(model.loss_and_grads(inputs, targets)[0])

    for name, value in model.params.items():
        assert relative_error(grads[name], numerical_grad(f, value)) < tolerance, name
    return trace
