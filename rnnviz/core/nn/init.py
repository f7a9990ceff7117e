"""Weight initialisers, and the rescaling that makes the recurrent scale a first-class knob.

Which initialisation a network starts from decides whether its gradients vanish or explode
before it has learned anything: these functions are small on purpose so that the link
between a setting and a spectrum is easy to read.
"""

from __future__ import annotations

import numpy as np


def normal(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Gaussian entries with std ``scale / sqrt(fan_in)``: spectral radius of a square one ~ scale."""
    fan_in = shape[1]
    return rng.standard_normal(shape) * (scale / np.sqrt(fan_in))


def orthogonal(rng: np.random.Generator, shape: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``scale``: every singular value equals ``scale``."""
    rows, cols = shape
    big, small = max(rows, cols), min(rows, cols)
    q, r = np.linalg.qr(rng.standard_normal((big, small)))
    q *= np.sign(np.diag(r))  # makes the draw uniform over orthogonal matrices (Mezzadri 2007)
    return scale * (q if rows >= cols else q.T)


def identity(shape: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """The identity (IRNN, Le, Jaitly & Hinton 2015); stacked per gate for gated cells."""
    rows, cols = shape
    blocks = rows // cols if rows % cols == 0 else 1
    eye = np.eye(cols)
    matrix = np.vstack([eye] * blocks) if blocks > 1 else np.eye(rows, cols)
    return scale * matrix


def rescale_to_sigma_max(matrix: np.ndarray, sigma_max: float) -> np.ndarray:
    """Return ``matrix`` scaled so that its largest singular value is ``sigma_max``."""
    current = np.linalg.norm(matrix, ord=2)
    if current == 0.0:
        raise ValueError("recurrent_scale cannot rescale an all-zero recurrent matrix")
    return matrix * (sigma_max / current)
