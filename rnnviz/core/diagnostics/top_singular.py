"""The largest singular value of a matrix, or of each matrix in a stack, by warm-started block
subspace iteration: the Jacobian chain's spectral norm at every lag (rnnviz.core.diagnostics.chain).

Why a file of its own: the chain needs ||P_k||_2 for T running products P_k (r, S). Lag by lag,
one subspace iteration is a handful of numpy calls on (r, b) and (b, b) arrays whose cost is
mostly numpy's per-call overhead (at T = 200, H = 256 that was about half of the chain). Here a
block of consecutive lags goes through each step in one stacked call (matmul, eigh and qr loop
over the stack in C), from one warm start shared by the block.

The method, per matrix P (r, S) and orthonormal U (r, b) near its top left singular vectors:

1. Rayleigh-Ritz of P P^T on span(U): with A = P^T U, the eigenpairs of A^T A give the Ritz
   values sigma_i^2 and directions U E.
2. The top Ritz triplet (sigma, u, v) satisfies P^T u = sigma v exactly; it is accepted when also
   ||P v - sigma u|| <= tol * sigma. Then sigma is within tol * sigma / sqrt(2) of a singular
   value of P (the symmetric form [[0, P], [P^T, 0]] has residual ||P v - sigma u|| / sqrt(2) at
   [u; v] / sqrt(2)): with tol = 5e-3, within 0.35 %, and in practice (the error is quadratic
   near convergence) within 1e-4. It is a lower bound, since sigma = ||P^T u|| for a unit u.
3. Otherwise one power step and again from 1.
4. The power step is shifted: U <- orth((P P^T - mu I) U E) with mu = SHIFT * theta_b, theta_b
   the smallest Ritz value (a lower bound of the b-th eigenvalue of P P^T, so mu <= lambda_1 / 3).
   Each eigenvalue lambda_j above mu then shrinks against the top by (lambda_j - mu) /
   (lambda_1 - mu) < lambda_j / lambda_1, and those below mu by at most mu / (lambda_1 - mu) <= 1/2:
   the iteration contracts faster where the top singular values are close (the first lags of a
   random network: sigma_9 / sigma_1 = 0.9 at k = 1, H = 256). At T = 200, H = 256 it saves
   about one iteration in eight. The residual in 2. is that of P P^T itself, unshifted.

The last column of each warm start is replaced by a fresh random direction, orthogonal to the
carried ones: it guards against a warm start that misses a new top direction (a ReLU step that
silences the old one).
"""

from __future__ import annotations

import numpy as np

SHIFT = 1 / 3  # each power step uses P P^T - SHIFT * theta_b I, theta_b the smallest Ritz value (4. above)


def top_singular_values(products: np.ndarray, left: np.ndarray, fresh: np.ndarray, tol: float, max_iter: int):
    """The largest singular value of each of ``products`` (m, r, S), all from the warm start ``left``.

    left (r, b) orthonormal, near the top left singular vectors of every product (those of the
    matrix before the first); fresh (m, >= r) one random vector per product, for the last column.
    Returns (sigma (m,), residual (m,), settled (m,) bool, left (r, b) of the last product for the
    next block, rounds: the iterations made). A product that is not ``settled`` (no positive Ritz
    value, not finite, or not within ``tol`` after ``max_iter`` rounds) is left to ``top_singular``.
    """
    count, rows, _ = products.shape
    block = left.shape[1]
    start = np.empty((count, rows, block), dtype=products.dtype)  # (m, r, b)
    start[:] = left
    if block > 1:  # a fresh direction per product, see the module docstring
        kept = left[:, :-1]  # (r, b-1)
        new = fresh[:, :rows].T.astype(products.dtype)  # (r, m)
        new -= kept @ (kept.T @ new)
        new *= 1.0 / np.sqrt(np.einsum("rm,rm->m", new, new))
        start[:, :, -1] = new.T
    sigma = np.full(count, np.nan)
    residual = np.full(count, np.inf)
    settled = np.zeros(count, dtype=bool)
    chosen = np.arange(count)  # the products still iterating
    mats, warm = products, start
    rounds = 0
    with np.errstate(all="ignore"):  # a product gone bad is handed back unsettled, not warned about
        for rounds in range(1, max_iter + 1):
            across = np.matmul(mats.transpose(0, 2, 1), warm)  # (n, S, b) P^T U
            try:
                values, rotation = np.linalg.eigh(np.matmul(across.transpose(0, 2, 1), across))  # (n, b), (n, b, b)
            except np.linalg.LinAlgError:  # not finite: left to ``top_singular``
                break
            top = values[:, -1].astype(np.float64)  # (n,) sigma^2: ascending, the top Ritz value is last
            ritz = rotation[:, :, ::-1]  # (n, b, b) Ritz directions, largest first
            image = np.matmul(mats, np.matmul(across, ritz))  # (n, r, b) P P^T U E
            first = image[:, :, 0].astype(np.float64)  # (n, r) sigma P v
            # ||P v - sigma u||^2 = ||P v||^2 - sigma^2, because u . P v = (P^T u) . v = sigma
            found = np.sqrt(np.maximum(np.einsum("nr,nr->n", first, first) / top - top, 0.0) / top)
            sigma[chosen], residual[chosen] = np.sqrt(top), found
            image -= (SHIFT * values[:, 0])[:, None, None] * np.matmul(warm, ritz)  # the shift, 4. above
            warm = start[chosen] = np.linalg.qr(image)[0]  # one power step; orthonormal again
            done = (found <= tol) & (top > 0.0)
            settled[chosen[done]] = True
            going = ~done & (top > 0.0)  # no positive Ritz value: left to ``top_singular``
            if not going.any():
                break
            if not going.all():
                chosen, mats, warm = chosen[going], mats[going], warm[going]
    settled &= np.isfinite(sigma)
    return sigma, residual, settled, start[-1], rounds


def top_singular(product, left, fresh, rng, tol, max_iter):
    """Largest singular value of one ``product`` P (r, S), the careful way (see the module docstring).

    left (r, b) orthonormal warm start; its last column is replaced by a fresh random direction
    made from ``fresh`` (>= r,), which is overwritten. Returns (sigma, left (r, b) for the next
    lag, residual, rounds). sigma is 0.0 only when P is exactly zero, NaN when P is not finite; a
    warm start orthogonal to P's range is replaced by a random one.
    """
    size, block = left.shape
    left = left.copy()
    if block > 1:
        fresh = fresh[:size]
        kept = left[:, :-1]
        fresh -= kept @ (kept.T @ fresh)
        left[:, -1] = fresh * (1.0 / np.sqrt(fresh @ fresh))
    sigma, residual, rounds = 0.0, np.inf, 0
    for rounds in range(1, max_iter + 1):
        across = product.T @ left  # (S, b) P^T U
        try:
            values, rotation = np.linalg.eigh(across.T @ across)  # Rayleigh-Ritz of P P^T on span(U)
        except np.linalg.LinAlgError:  # not finite
            return np.nan, left, 0.0, rounds
        top = float(values[-1])  # ascending: the largest is last
        if not top > 0.0:
            if top != top:  # NaN
                return np.nan, left, 0.0, rounds
            if not product.any():  # P = 0: every unit of a ReLU layer silent at some step
                return 0.0, left, 0.0, rounds
            left = np.linalg.qr(rng.standard_normal(left.shape))[0].astype(left.dtype)  # missed P's range
            continue
        sigma = top ** 0.5
        ritz = rotation[:, ::-1]  # (b, b) Ritz directions, largest first
        image = product @ (across @ ritz)  # (r, b) P P^T U E; column 0 is sigma P v
        first = image[:, 0].astype(np.float64)
        residual = max(float(first @ first) / top - top, 0.0) ** 0.5 / sigma
        if residual <= tol:
            left, _ = np.linalg.qr(image)  # (r, b) one power step: the next lag's warm start
            break
        image -= (SHIFT * values[0]) * (left @ ritz)  # the shift, 4. above
        left, _ = np.linalg.qr(image)  # orthonormal again for the next round
    return sigma, left, residual, rounds
