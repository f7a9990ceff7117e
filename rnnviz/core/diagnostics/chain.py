"""The Jacobian chain ||dh_T/dh_{T-k}||_2 at every lag k: fast, accurate to a stated tolerance, in log space.

Why a file of its own: this is the number that shows a gradient vanish or explode, and the
obvious way (form each product J_T ... J_{T-k+1}, take its SVD) costs a full SVD per lag. Here:

1. The running product P_k = J_T J_{T-1} ... J_{T-k+1} grows by one matrix product per lag,
   P_k = P_{k-1} J_{T-k+1}. Each product is divided by the previous lag's Frobenius norm and the
   log of that factor is accumulated, so hundreds of lags of decay or growth never under- or
   overflow: the result is a log-norm, exponentiated only at the very end (``chain_norms``).
2. Its spectral norm comes from block subspace iteration on P_k P_k^T (BLOCK columns),
   warm-started from the top left singular vectors found at an earlier lag. Those live in h_T's
   space, which every P_k shares, and they settle as k grows (the product is extended on the
   right), so one or two iterations per lag suffice once k is past ~20. The norms of up to LAGS
   consecutive lags are found together, in stacked numpy calls, from one warm start; a block
   doubles while it settles within QUICK_ROUNDS iterations and halves otherwise, so the early
   lags, where the top directions still move, go one by one
   (rnnviz.core.diagnostics.top_singular says how, and how a lag is accepted: within 0.35 % of a
   singular value, in practice within 1e-4).
3. The running product is float32 by default: that halves the dominant cost, and thanks to 1.
   range is never the problem, only ~1e-7 relative rounding per product. The tests compare with
   float64 explicit products on random, saturating, ReLU, linear, gated and stacked cases and
   find errors of order 1e-5. ``product_dtype=np.float64`` rules rounding out.
4. The product's singular values spread apart as k grows (for T = 200, H = 256 and a random tanh
   network, ~130 of 256 exceed 1e-6 of the top at k = 16, ~60 at k = 48). At lags 16, 48,
   112, ... (the gaps doubling) the product's directions below COMPRESS_LEVEL = 1e-6 of the top
   are dropped: it becomes diag(s) V^T with fewer rows, which every later lag multiplies by J
   like before, at r/S of the cost. What is dropped is the size of the float32 rounding in 3.,
   which enters every product anyway; ``compress=False`` keeps the full S x S product.

Jacobians are applied, never stacked: the vanilla cells' J_t = diag(phi'(a_t)) W_hh as "scale
the columns, then one product", the LSTM's and GRU's through their own ``apply_jacobian`` (row
scalings of W_hh's gate blocks, then one product). The (T, S, S) stack from
``model.cell.step_jacobians`` (105 MB at T = 200, H = 256 for tanh, 420 MB for the LSTM's
S = 2H) is built only for other cells and for the explicit reference.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.nn.cells import VanillaCell
from rnnviz.core.errors import UserError
from rnnviz.core.diagnostics.top_singular import top_singular, top_singular_values

RESIDUAL_TOL = 5e-3  # relative residual at which a lag's top singular value is accepted: error <= 0.35 %
MAX_ITERATIONS = 30  # per lag; convergence normally takes 1-3, this only bounds a pathological case
COMPRESS_LEVEL = 1e-6  # directions this far below the top are float32 rounding noise already (see 4.)
COMPRESS_FIRST = 16  # first lag at which the product's spectrum is checked (an r x r eigh); then 48, 112, ...
COMPRESS_WORTH = 0.8  # compress only when it drops at least 20 % of the rows
BLOCK = 8  # warm-start columns (7 carried + 1 random): small next to S, enough that most lags take one iteration
LAGS = 8  # at most this many consecutive lags have their norms found together (rnnviz.core.diagnostics.top_singular)
QUICK_ROUNDS = 2  # a block that settles within this many iterations lets the next one be twice as long


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

    Vanilla cells: J_t = diag(d_t) W_hh, applied as (P * d_t) @ W_hh. The gated cells: through
    their own ``apply_jacobian`` from per-step vectors (``jacobian_factors``), one product with
    W_hh per step and no (T, S, S) stack (420 MB in float64 for an LSTM at T = 200, H = 256).
    Any other cell, and the gated ones with ``dense=True`` (the explicit reference): the stack from
    ``cell.step_jacobians``.
    """

    def __init__(self, model, trace, layer: int = 0, sample: int = 0, dtype=None, dense: bool = False) -> None:
        w_hh, hidden, state0, extras = layer_sample(model, trace, layer, sample)
        cell = model.cell
        self.held = None  # (n,) units held in this layer: J_t's rows and columns of h[held] are zero
        if getattr(cell, "held_cell", None) is not None and not dense:  # units switched off
            self.held = cell.held_units(w_hh)
            cell = cell.held_cell  # applied fast, then masked (the dense reference builds the zeroed stack)
        self.dtype = np.dtype(dtype or w_hh.dtype)
        self.steps = hidden.shape[0]
        self._scratch = None  # reused buffer: the column-scaled product, or a gated cell's rows
        self._masked = None  # reused buffer: a gated cell's product with the held units' columns zeroed
        self.diag = self.w_hh = self.stack = self.factors = None
        with np.errstate(all="ignore"):  # a diverged trace: non-finite values are flagged, not warned about
            if isinstance(cell, VanillaCell):
                self.diag = cell.derivative(hidden).astype(self.dtype)  # (T, H) phi'(a_t)
                if self.held is not None:
                    self.diag[:, self.held] = 0  # diag(d) W_hh with the held rows zero
                self.w_hh = np.ascontiguousarray(w_hh, dtype=self.dtype)  # (H, H)
                self.size = w_hh.shape[1]
                self.finite = np.isfinite(self.diag).all(axis=1) & np.isfinite(self.w_hh).all()  # (T,)
            elif _applies_its_jacobians(cell) and not dense:
                self._cell = cell
                self.factors = np.asarray(cell.jacobian_factors(hidden, state0, extras), dtype=self.dtype)  # (T, K, H)
                self.w_hh = np.ascontiguousarray(w_hh, dtype=self.dtype)  # (G*H, H)
                self.size = len(cell.state_names) * w_hh.shape[1]
                self.finite = np.isfinite(self.factors).all(axis=(1, 2)) & np.isfinite(self.w_hh).all()  # (T,)
            else:
                stack = cell.step_jacobians(w_hh, hidden, state0, extras)
                self.stack = np.asarray(stack, dtype=self.dtype)  # (T, S, S)
                self.size = self.stack.shape[1]
                self.finite = np.isfinite(self.stack).all(axis=(1, 2))  # (T,)

    def matrix(self, t: int) -> np.ndarray:
        """J_{t+1} (0-based t) as an (S, S) array."""
        if self.stack is not None:
            return self.stack[t]
        if self.factors is not None:
            return self.right_multiply(np.eye(self.size, dtype=self.dtype), t, 1.0, np.empty((self.size, self.size),
                                                                                              dtype=self.dtype))
        matrix = self.diag[t][:, None] * self.w_hh  # (H, H)
        if self.held is not None:
            matrix[:, self.held] = 0
        return matrix

    def right_multiply(self, product: np.ndarray, t: int, factor: float, out: np.ndarray) -> np.ndarray:
        """out = factor * product @ J_{t+1} (0-based t); the factor keeps the product near norm 1.
        With units held, J_t's rows of h[held] are zero (the product's columns there are ignored)
        and so are its columns (out's columns there are zero)."""
        if self.stack is not None:
            np.matmul(product, self.stack[t], out=out)
            out *= factor
            return out
        if self.factors is not None:
            rows = (product.shape[0], self.w_hh.shape[0] + self.w_hh.shape[1])  # (r, G*H + H)
            if self._scratch is None or self._scratch.shape != rows:
                self._scratch = np.empty(rows, dtype=self.dtype)
            if self.held is not None:  # J's held rows zero: the product's held columns read as zero
                if self._masked is None or self._masked.shape != product.shape:
                    self._masked = np.empty_like(product)
                np.copyto(self._masked, product)
                self._masked[:, self.held] = 0
                product = self._masked
            self._cell.apply_jacobian(product, self.factors[t], self.w_hh, out, self._scratch)
            if factor != 1.0:
                out *= factor
        else:
            scaled = self._scratch
            if scaled is None or scaled.shape != product.shape:
                scaled = self._scratch = np.empty_like(product)
            np.multiply(product, self.diag[t] * factor, out=scaled)  # (r, S) columns scaled by phi'(a_t) * factor
            np.matmul(scaled, self.w_hh, out=out)
        if self.held is not None:
            out[:, self.held] = 0  # J's held columns
        return out


def _applies_its_jacobians(cell) -> bool:
    """Whether the cell's class applies its step Jacobians itself (the LSTM, the GRU). Asked of the
    class: a wrapper that changes the Jacobians (units held at a value: rnnviz.core.nn.clamp) passes
    other attributes through to the cell it wraps, but must be read through its step_jacobians."""
    return callable(getattr(type(cell), "apply_jacobian", None)) and callable(getattr(type(cell), "jacobian_factors", None))


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
    previous = np.eye(size, dtype=jac.dtype)  # (r, S) P_k divided by exp(log_scale); rows span its row space
    left = np.linalg.qr(rng.standard_normal((size, min(BLOCK, size))))[0].astype(jac.dtype)  # (r, b)
    randoms = rng.standard_normal((steps, size)).astype(jac.dtype)  # (T, S) one fresh direction per lag
    log_scale = 0.0  # log of everything divided out of ``previous`` so far
    norm = float(np.sqrt(size))  # Frobenius norm of ``previous``: divided out of the next product
    worst = 0.0
    next_compression, interval = COMPRESS_FIRST, COMPRESS_FIRST
    products = np.empty((LAGS, size, size), dtype=jac.dtype)  # (m, r, S) one block of lags
    k = 1  # the first lag of the block
    lags = 1  # lags in the next block: grows while a block settles within QUICK_ROUNDS
    while k <= steps:
        count = min(lags, steps + 1 - k)
        if compress:
            count = min(count, next_compression + 1 - k)  # a block ends where the product is compressed
        scales = np.empty(count)  # log_scale of each product of the block
        made, end = 0, None  # end: (lag, value) where the chain stops being a positive finite number
        for j in range(count):
            t = steps - (k + j)  # 0-based step of this lag's Jacobian
            if not jac.finite[t]:
                end = (k + j, np.nan)  # a non-finite Jacobian (a diverged trace): nothing past it is defined
                break
            source = previous if j == 0 else products[j - 1]
            jac.right_multiply(source, t, 1.0 / norm, products[j])
            log_scale += np.log(norm)
            scales[j] = log_scale
            norm = float(np.sqrt(np.vdot(products[j], products[j])))
            if not 0.0 < norm < np.inf:  # exactly zero from here on (the gradient path is cut), or NaN
                end = (k + j, -np.inf if norm == 0.0 else np.nan)
                break
            made += 1
        if made:
            block = products[:made]
            if made == 1:  # numpy's 2-d calls cost less than stacked ones of one matrix
                found, last, worst_here, rounds = top_singular(block[0], left, randoms[k - 1].copy(), rng, tol,
                                                               max_iter)
                sigma, residual, settled = np.array([found]), np.array([worst_here]), np.ones(1, dtype=bool)
            else:
                sigma, residual, settled, last, rounds = top_singular_values(block, left, randoms[k - 1:k - 1 + made],
                                                                             tol, max_iter)
            lags = min(2 * lags, LAGS) if rounds <= QUICK_ROUNDS else max(lags // 2, 1)
            for j in np.flatnonzero(~settled):  # the few the stacked iteration left: one by one
                sigma[j], carried, residual[j], _ = top_singular(block[j], left, randoms[k - 1 + j].copy(), rng, tol,
                                                                 max_iter)
                if j == made - 1:
                    last = carried
            stop = np.flatnonzero(~(sigma > 0.0) | ~np.isfinite(sigma))
            good = made if not stop.size else int(stop[0])
            logs[k:k + good] = scales[:good] + np.log(sigma[:good])
            if good:
                worst = max(worst, float(residual[:good].max()))
            if stop.size:
                end = (k + good, -np.inf if sigma[good] == 0.0 else np.nan)
            left = last
        if end is not None:
            logs[end[0]:] = end[1]
            break
        previous = products[made - 1].copy()
        k += made
        if compress and k - 1 == next_compression:
            if previous.shape[0] > 2 * left.shape[1]:
                previous, left, shrunk = _compress(previous, left)
                if shrunk:
                    norm = float(np.sqrt(np.vdot(previous, previous)))
                    products = np.empty((LAGS,) + previous.shape, dtype=jac.dtype)
            interval *= 2  # each check costs a decomposition; the rank falls ever more slowly with k
            next_compression += interval
    return logs, worst


def _compress(product, left):
    """Drop the directions of ``product`` (r, S) below COMPRESS_LEVEL of its top singular value.

    With product = X diag(s) V^T, returns diag(s_kept) V_kept^T (r', S) up to signs: the same
    singular values and right vectors, rows rotated by X^T, so every later norm is unchanged up to
    the dropped part; ``left`` (r, b) is rotated the same way. Returns (product, left, shrunk).
    X and s^2 come from the eigendecomposition of the float64 Gram matrix P P^T (half the time
    of an SVD of P): its eigenvalues are s^2 to about 1e-16 of the top, far below COMPRESS_LEVEL^2.
    """
    rows = product.shape[0]
    wide = product.astype(np.float64)
    try:
        squares, rotate = np.linalg.eigh(wide @ wide.T)  # (r,) ascending s^2, (r, r) X
    except np.linalg.LinAlgError:
        return product, left, False
    if not np.all(np.isfinite(squares)) or squares[-1] <= 0.0:
        return product, left, False
    block = left.shape[1]
    keep = max(int(np.count_nonzero(squares > COMPRESS_LEVEL ** 2 * squares[-1])), block)
    if keep > COMPRESS_WORTH * rows:
        return product, left, False
    kept = rotate[:, ::-1][:, :keep]  # (r, r') top directions first
    compressed = (kept.T @ wide).astype(product.dtype)  # (r', S) diag(s) V^T
    left = np.linalg.qr(kept.T @ left)[0].astype(product.dtype)  # (r', b)
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
    jac = JacobianSequence(model, trace, layer, sample, dtype=np.float64, dense=True)
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
