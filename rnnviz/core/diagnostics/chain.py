"""The Jacobian chain ||dh_T/dh_{T-k}||_2 at every lag k: fast, accurate to a stated tolerance, in log space.

Why a file of its own: this is the number that shows a gradient vanish or explode, and the
obvious way (form each product J_T ... J_{T-k+1}, take its SVD) costs a full SVD per lag. Here:

1. The running product P_k = J_T J_{T-1} ... J_{T-k+1} grows by one matrix product per lag,
   P_k = P_{k-1} J_{T-k+1}. Each product is divided by the previous lag's norm and the log of
   that factor is accumulated, so hundreds of lags of decay or growth never under- or overflow:
   the result is a log-norm, exponentiated only at the very end (``chain_norms``).
2. Its spectral norm comes from block subspace iteration on P_k P_k^T (BLOCK columns),
   warm-started from the previous lag's top left singular vectors. Those live in h_T's space,
   which every P_k shares, and they settle as k grows (the product is extended on the right), so
   one or two iterations per lag suffice. One fresh random column per lag guards against a warm
   start that misses a new top direction (a ReLU step that silences the old one).
3. A lag is accepted when the top Ritz triplet (sigma, u, v), which satisfies P^T u = sigma v
   exactly, also satisfies ||P v - sigma u|| <= tol * sigma. Then sigma is within tol * sigma /
   sqrt(2) of a singular value of P (the symmetric form [[0, P], [P^T, 0]] has residual
   ||P v - sigma u|| / sqrt(2) at [u; v] / sqrt(2)): with RESIDUAL_TOL = 5e-3, within 0.35 %, and
   in practice (the error is quadratic near convergence) within 1e-4. It is a lower bound,
   since sigma = ||P^T u|| for a unit u.
4. The running product is float32 by default: that halves the dominant cost, and thanks to 1.
   range is never the problem, only ~1e-7 relative rounding per product. The tests compare with
   float64 explicit products on random, saturating, ReLU, linear, gated and stacked cases and
   find errors of order 1e-5. ``product_dtype=np.float64`` rules rounding out.
5. The product's singular values spread apart as k grows (for T = 200, H = 256 and a random tanh
   network, ~80 of 256 exceed 1e-6 of the top at k = 32, ~17 at k = 200). At lags 32, 64, 128, ...
   an SVD of the (r, S) product drops the directions below COMPRESS_LEVEL = 1e-6 of the top: the
   product becomes diag(s) V^T with fewer rows, which every later lag multiplies by J like
   before, at r/S of the cost. What is dropped is the size of the float32 rounding in 4., which
   enters every product anyway; ``compress=False`` keeps the full S x S product.

Jacobians come from ``model.cell.step_jacobians`` (any cell, over its full recurrent state S),
except for the vanilla cells, whose J_t = diag(phi'(a_t)) W_hh is applied as "scale the columns,
then one product" without ever building the (T, H, H) stack (105 MB at T=200, H=256).
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.nn.cells import VanillaCell
from rnnviz.core.errors import UserError

RESIDUAL_TOL = 5e-3  # relative residual at which a lag's top singular value is accepted: error <= 0.35 %
MAX_ITERATIONS = 30  # per lag; convergence normally takes 1-3, this only bounds a pathological case
COMPRESS_LEVEL = 1e-6  # directions this far below the top are float32 rounding noise already (see 5.)
COMPRESS_FIRST = 32  # first lag at which the product's spectrum is checked (an S x S SVD); then 64, 128, ...
COMPRESS_WORTH = 0.8  # compress only when it drops at least 20 % of the rows
BLOCK = 8  # warm-start columns (7 carried + 1 random): small next to S, enough that most lags take one iteration


def layer_sample(model, trace, layer: int, sample: int):
    """One layer and one sample of a trace, as the cell hook wants them.

    Returns (w_hh (G*H, H), hidden (T, H), state0 tuple of (H,), extras {name: (T, H)}).
    """
    num_layers, batch = trace.hidden.shape[1], trace.hidden.shape[2]
    if not 0 <= layer < num_layers:
        raise UserError(f"layer must lie in [0, {num_layers}) for this model, got {layer}")
    if not 0 <= sample < batch:
        raise UserError(f"sample must lie in [0, {batch}) for this batch, got {sample}")
    w_hh = model.params[f"weight_hh_l{layer}"]
    hidden = trace.hidden[:, layer, sample]  # (T, H)
    parts = trace.state0 if isinstance(trace.state0, tuple) else (trace.state0,)
    if trace.state0 is None:
        parts = (np.zeros(trace.h_last.shape, dtype=trace.hidden.dtype),)
    state0 = tuple(part[layer, sample] for part in parts)
    extras = {name: value[:, layer, sample] for name, value in trace.extras.items()}
    return w_hh, hidden, state0, extras


class JacobianSequence:
    """J_1 .. J_T of one layer and sample, applied from the right: P -> P J_t.

    Vanilla cells: J_t = diag(d_t) W_hh, applied as (P * d_t) @ W_hh. Other cells: the stack
    from ``cell.step_jacobians``.
    """

    def __init__(self, model, trace, layer: int = 0, sample: int = 0, dtype=None) -> None:
        w_hh, hidden, state0, extras = layer_sample(model, trace, layer, sample)
        cell = model.cell
        self.dtype = np.dtype(dtype or w_hh.dtype)
        self.steps = hidden.shape[0]
        self._scratch = None  # reused buffer for the column-scaled product
        with np.errstate(all="ignore"):  # a diverged trace: non-finite values are flagged, not warned about
            if isinstance(cell, VanillaCell):
                self.diag = cell.derivative(hidden).astype(self.dtype)  # (T, H) phi'(a_t)
                self.w_hh = np.ascontiguousarray(w_hh, dtype=self.dtype)  # (H, H)
                self.stack = None
                self.size = w_hh.shape[1]
                self.finite = np.isfinite(self.diag).all(axis=1) & np.isfinite(self.w_hh).all()  # (T,)
            else:
                self.diag = self.w_hh = None
                stack = cell.step_jacobians(w_hh, hidden, state0, extras)
                self.stack = np.asarray(stack, dtype=self.dtype)  # (T, S, S)
                self.size = self.stack.shape[1]
                self.finite = np.isfinite(self.stack).all(axis=(1, 2))  # (T,)

    def matrix(self, t: int) -> np.ndarray:
        """J_{t+1} (0-based t) as an (S, S) array."""
        if self.stack is not None:
            return self.stack[t]
        return self.diag[t][:, None] * self.w_hh

    def right_multiply(self, product: np.ndarray, t: int, factor: float, out: np.ndarray) -> np.ndarray:
        """out = factor * product @ J_{t+1} (0-based t); the factor keeps the product near norm 1."""
        if self.stack is not None:
            np.matmul(product, self.stack[t], out=out)
            out *= factor
            return out
        scaled = self._scratch
        if scaled is None or scaled.shape != product.shape:
            scaled = self._scratch = np.empty_like(product)
        np.multiply(product, self.diag[t] * factor, out=scaled)  # (r, S) columns scaled by phi'(a_t) * factor
        return np.matmul(scaled, self.w_hh, out=out)


def _top_singular(product, left, fresh, rng, tol, max_iter):
    """Largest singular value of ``product`` P (r, S) by warm-started block subspace iteration.

    left (r, b) orthonormal, approximate top left singular vectors (from the previous lag); its
    last column is replaced by a fresh random direction. Returns (sigma, left (r, b) for the next
    lag, residual), residual = ||P v - sigma u|| / sigma for the top Ritz triplet, where
    P^T u = sigma v holds exactly. sigma is 0.0 only when P is exactly zero, NaN when P is not finite.
    fresh (>= r,) is a random vector to use (overwritten).
    """
    size, block = left.shape
    if block > 1:  # fresh direction, orthogonal to the carried ones, see the module docstring
        fresh = fresh[:size]
        kept = left[:, :-1]
        fresh -= kept @ (kept.T @ fresh)
        left[:, -1] = fresh * (1.0 / np.sqrt(fresh @ fresh))
    sigma, residual = 0.0, np.inf
    for _ in range(max_iter):
        across = product.T @ left  # (S, b) P^T U
        try:
            values, rotation = np.linalg.eigh(across.T @ across)  # Rayleigh-Ritz of P P^T on span(U)
        except np.linalg.LinAlgError:  # not finite
            return np.nan, left, 0.0
        top = float(values[-1])  # ascending: the largest is last
        if not top > 0.0:
            if top != top:  # NaN
                return np.nan, left, 0.0
            if not product.any():  # P = 0: every unit of a ReLU layer silent at some step
                return 0.0, left, 0.0
            left = np.linalg.qr(rng.standard_normal(left.shape))[0].astype(left.dtype)  # missed P's range
            continue
        sigma = top ** 0.5
        ritz = rotation[:, ::-1]  # (b, b) Ritz directions, largest first
        image = product @ (across @ ritz)  # (r, b) P P^T U E; column 0 is sigma P v
        # ||P v - sigma u||^2 = ||P v||^2 - sigma^2, because u . P v = (P^T u) . v = sigma (U orthonormal)
        first = image[:, 0].astype(np.float64)
        residual = max(float(first @ first) / top - top, 0.0) ** 0.5 / sigma
        left, _ = np.linalg.qr(image)  # (r, b) one power step; orthonormal again for the next round
        if residual <= tol:
            break
    return sigma, left, residual


def chain_log_norms(model, trace, layer: int = 0, sample: int = 0, *, product_dtype=np.float32,
                    tol: float = RESIDUAL_TOL, max_iter: int = MAX_ITERATIONS, seed: int = 0,
                    compress: bool = True):
    """log ||dh_T/dh_{T-k}||_2 for k = 0..T (natural log), and the worst accepted relative residual.

    Returns (log_norms (T+1,), worst_residual float). Entry 0 is log 1 = 0; -inf where the chain
    is exactly zero (every unit of a ReLU layer silent at some step); NaN from the first
    non-finite Jacobian on (a diverged trace). ``compress=False`` keeps the full S x S product.
    """
    jac = JacobianSequence(model, trace, layer, sample, dtype=product_dtype)
    size, steps = jac.size, jac.steps
    rng = np.random.default_rng(seed)  # fixed seed: the same trace always gives the same numbers
    logs = np.empty(steps + 1)  # (T+1,)
    logs[0] = 0.0
    product = np.eye(size, dtype=jac.dtype)  # (r, S) rows span P_k's dominant row space; r = S at first
    spare = np.empty_like(product)
    left = np.linalg.qr(rng.standard_normal((size, min(BLOCK, size))))[0].astype(jac.dtype)  # (r, b)
    randoms = rng.standard_normal((steps, size)).astype(jac.dtype)  # (T, S) one fresh direction per lag
    log_scale = 0.0  # log of everything divided out of ``product`` so far
    sigma = 1.0  # spectral norm of ``product`` (before this lag's rescale)
    worst = 0.0
    next_compression, interval = COMPRESS_FIRST, COMPRESS_FIRST
    for k in range(1, steps + 1):
        if not jac.finite[steps - k]:
            logs[k:] = np.nan  # a non-finite Jacobian (a diverged trace): nothing past it is defined
            break
        log_scale += np.log(sigma)
        spare = jac.right_multiply(product, steps - k, 1.0 / sigma, spare)
        product, spare = spare, product
        if compress and k == next_compression and product.shape[0] > 2 * left.shape[1]:
            product, left, _ = _compress(product, left)
            spare = np.empty_like(product)
            interval *= 2  # each check costs an SVD; the rank falls ever more slowly with k
            next_compression = k + interval
        sigma, left, residual = _top_singular(product, left, randoms[k - 1], rng, tol, max_iter)
        if not sigma > 0.0:  # exactly zero from here on (the gradient path is cut), or NaN
            logs[k:] = -np.inf if sigma == 0.0 else np.nan
            break
        if not np.isfinite(sigma):
            logs[k:] = np.nan
            break
        worst = max(worst, residual)
        logs[k] = log_scale + np.log(sigma)
    return logs, worst


def _compress(product, left):
    """Drop the directions of ``product`` (r, S) below COMPRESS_LEVEL of its top singular value.

    With product = X diag(s) V^T, returns diag(s_kept) V_kept^T (r', S): the same singular values
    and right vectors, rows rotated by X^T, so every later norm is unchanged up to the dropped
    part; ``left`` (r, b) is rotated the same way. Returns (product, left, shrunk).
    """
    rows = product.shape[0]
    # in the product's own precision: what is dropped lies below its rounding anyway (float32: about
    # twice as fast as a float64 SVD, which was a fifth of the chain at T = 200, H = 256)
    rotate, values, right = np.linalg.svd(product, full_matrices=False)
    if not np.all(np.isfinite(values)) or values[0] == 0.0:
        return product, left, False
    block = left.shape[1]
    keep = max(int(np.count_nonzero(values > COMPRESS_LEVEL * values[0])), block)
    if keep > COMPRESS_WORTH * rows:
        return product, left, False
    compressed = (values[:keep, None] * right[:keep]).astype(product.dtype)  # (r', S)
    rotated = rotate[:, :keep].T @ left  # (r', b)
    left = np.linalg.qr(rotated)[0].astype(product.dtype)
    return np.ascontiguousarray(compressed), left, True


def exp_clipped(logs: np.ndarray) -> np.ndarray:
    """exp of natural logs without warnings: 0 below float64's range, inf above it."""
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(logs)


def chain_norms(model, trace, layer: int = 0, sample: int = 0, **options) -> np.ndarray:
    """||dh_T/dh_{T-k}||_2 for k = 0..T: (T+1,), entry 0 = 1.

    Values beyond float64's range come out as 0 or inf; ``chain_log_norms`` keeps them exactly.
    ``options`` go to ``chain_log_norms`` (product_dtype, tol, max_iter, seed).
    """
    logs, _ = chain_log_norms(model, trace, layer, sample, **options)
    return exp_clipped(logs)


def chain_log_norms_explicit(model, trace, layer: int = 0, sample: int = 0) -> np.ndarray:
    """The reference: form every product J_T ... J_{T-k+1} in float64 and take its SVD. (T+1,) logs.

    The product is rescaled by its largest entry after every step (the log of the scale is
    accumulated) so that long chains stay in range; the cost is one full SVD per lag. Used by the
    tests and by ``rnnviz bench``.
    """
    jac = JacobianSequence(model, trace, layer, sample, dtype=np.float64)
    steps = jac.steps
    logs = np.empty(steps + 1)  # (T+1,)
    logs[0] = 0.0
    product = np.eye(jac.size)
    log_scale = 0.0
    for k in range(1, steps + 1):
        product = product @ jac.matrix(steps - k)
        scale = float(np.max(np.abs(product)))
        if scale == 0.0 or not np.isfinite(scale):
            logs[k:] = -np.inf if scale == 0.0 else np.nan
            break
        product /= scale
        log_scale += np.log(scale)
        sigma = float(np.linalg.svd(product, compute_uv=False)[0])
        logs[k] = log_scale + np.log(sigma) if sigma > 0 else -np.inf
    return logs
