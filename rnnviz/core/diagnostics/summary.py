"""Gradient diagnostics: the numbers that show a gradient vanish or explode, from one trace.

Everything here reads a ``Trace`` (hidden states and dL/dh_t of one batch) and the model's
weights, and returns plain numpy copies; ``summarize`` gathers them into one frozen
``Diagnostics`` record per snapshot. The Jacobian chain itself lives in ``rnnviz.core.diagnostics.chain``.

What the numbers mean (T steps, L layers, H units, k a lag):

chain[l, k]      ||dh_T/dh_{T-k}||_2 of layer l's own recurrence (entry 0 is 1); for the LSTM
                 and GRU, over the full recurrent state (S = 2H for the LSTM's (h, c)). Within
                 1 % of the explicitly formed product at every lag (see rnnviz.core.diagnostics.chain); 0 or
                 inf where it leaves float64's range, which ``chain_log10`` keeps exactly.
bound[l, k]      (gamma * sigma_max(W_hh))^k, Pascanu, Mikolov & Bengio (2013): the chain can
                 never lie above it. gamma is the largest value of phi' (1 for tanh, ReLU,
                 linear). NaN for the gated cells, for which no such bound holds (cell.gamma is None).
horizon          the largest lag k with ||dL/dh_{T-k}|| >= 1e-3 * max_t ||dL/dh_t||, top layer,
                 the chosen sample: how far back the loss still reaches. It is the *earliest* step
                 still above the threshold, not the first drop below it, so an isolated dip does
                 not shorten it. 0 when every gradient is zero or non-finite. With a loss at
                 every step each h_t also gets a gradient of its own, so the horizon is then
                 usually the whole window; it tells most with last-step targets.
                 (1e-3 is HORIZON_THRESHOLD.)
growth           the chain's geometric-mean growth per step, top layer:
                 (||dh_T/dh_0||)^(1/T) = exp(log chain[T] / T).
regime           from growth, with REGIME_THRESHOLDS:

                   growth <  0.9   "vanishing"  a factor 1e-3 is lost within ln(1e-3)/ln(0.9) = 66
                                                steps: dependencies longer than the typical
                                                window (50-200 steps) cannot be learned
                   0.9 .. 1.1      "stable"
                   growth >  1.1   "exploding"  a factor 1e3 is gained within 72 steps: one long
                                                window's gradient can dwarf the weights
                 (symmetric in log: ln 0.9 = -0.105, ln 1.1 = +0.095). Non-finite growth (a
                 trace holding NaN/Inf) counts as "exploding", the usual cause.
dead_units[l]    ReLU: fraction of units that are 0 at every step of every sample in the batch.
                 0 for the other cells, which cannot die that way.
eigenvalues      of W_hh; for the gated cells, whose W_hh is (G*H, H), of the square block that
                 feeds the candidate state (PyTorch's g for the LSTM, n for the GRU).

``summarize`` computes only what a panel shows or an export writes (it runs every few
training steps, within a budget): given the views in sight, it leaves W_hh's spectrum out when
none of them reads it (SPECTRUM_VIEWS), and a spectrum already computed for the same matrix is
reused (rnnviz.core.diagnostics.spectra). Two more per-step measures are offered as functions, for
whoever wants them on a trace:

saturation(...)  tanh, LSTM, GRU: per step, the fraction of units with |h_t| > 0.97 (tanh' < 0.06
                 there: the unit passes almost no gradient). ReLU: fraction of units that are
                 off (h_t = 0, phi' = 0). Linear: 0 (a linear unit never saturates).
weight_grad_per_step(...)
                 ||step t's share of dL/dW_hh||_F = ||da_t|| * ||h_{t-1}|| for the sample, where
                 da_t = dL/d(W_hh h_{t-1} + b_hh) (``cell.recurrent_grads``), since
                 ||outer(u, v)||_F = ||u|| ||v||.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from rnnviz.core.nn.shapes.parts import part_model
from rnnviz.core.diagnostics.chain import chain_log_norms, chain_norms, exp_clipped, layer_sample
from rnnviz.core.diagnostics.spectra import Spectrum, SpectrumThread, spectrum
from rnnviz.core.errors import UserError

__all__ = ["Diagnostics", "REGIME_THRESHOLDS", "SATURATION_LEVEL", "HORIZON_THRESHOLD", "Spectrum",
           "chain_bound", "chain_bound_log", "chain_cut", "chain_growth", "chain_log_norms", "chain_norms",
           "dead_units", "gradient_horizon", "gradient_profile", "regime",
           "saturation", "spectrum", "summarize", "weight_grad_per_step", "SPECTRUM_VIEWS"]

REGIME_THRESHOLDS = {"vanishing_below": 0.9, "exploding_above": 1.1}  # per-step growth; see the docstring
SATURATION_LEVEL = 0.97  # |h| above this: tanh'(a) = 1 - h^2 < 0.06, the unit blocks its gradient
HORIZON_THRESHOLD = 1e-3  # a gradient 1000x below its peak no longer moves the weights visibly
# the views that read W_hh's spectrum: the spectrum panel, and the chain's bound (sigma_max) and badge
# (the spectral radius). Without them a snapshot skips the spectrum (~30 ms at H = 256). The chain
# itself is always computed: the status bar shows its regime whatever the docks.
SPECTRUM_VIEWS = frozenset({"spectrum", "chain"})


@dataclass(frozen=True)
class Diagnostics:
    """One snapshot's gradient diagnostics for one sample (all numpy copies; the spectrum's arrays are
    read-only, shared with other snapshots of the same W_hh)."""

    chain: np.ndarray  # (L, T+1) ||dh_T/dh_{T-k}||_2 per layer, entry 0 = 1 (0 / inf beyond float64)
    bound: np.ndarray  # (L, T+1) (gamma * sigma_max(W_hh))^k; NaN where the cell has no such bound
    profile: np.ndarray  # (T, L) ||dL/dh_t|| for the sample
    singular_values: list  # per layer (H,) of W_hh, descending
    eigenvalues: list  # per layer (H,) complex, by decreasing modulus
    spectral_radius: np.ndarray  # (L,) max |eigenvalue|
    sigma_max: np.ndarray  # (L,) largest singular value of W_hh
    dead_units: np.ndarray  # (L,) fraction of ReLU units never active in the batch
    horizon: int  # largest lag k with ||dL/dh_{T-k}|| >= 1e-3 * peak (top layer, sample)
    regime: str  # "vanishing", "stable" or "exploding" from ``growth``
    growth: float  # geometric-mean chain growth per step (top layer)
    # beyond the contract: exact logs where the values leave float64's range, and bookkeeping
    chain_log10: np.ndarray = None  # (L, T+1) log10 of ``chain``, finite even where chain is 0 / inf
    bound_log10: np.ndarray = None  # (L, T+1) log10 of ``bound``
    growth_per_layer: np.ndarray = None  # (L,) growth of each layer's chain
    chain_residual: float = 0.0  # worst relative residual accepted by the chain's iteration
    seconds: dict = field(default_factory=dict)  # wall time of each part, and CPU time of the chain's and
    #   the spectrum's threads, for ``rnnviz bench``
    # a network of several stacks (trace.parts): every field above is its first part's, and
    # ``parts`` holds each part's own Diagnostics, its time axis in that part's processing order
    parts: dict = field(default_factory=dict)  # name -> Diagnostics
    time_index: np.ndarray = None  # (T,) input step of each processed step of this part; None: t itself
    # views whose numbers this snapshot left out (none of them was asked for): SPECTRUM_VIEWS when
    # the spectrum was skipped (singular_values and eigenvalues None; spectral_radius, sigma_max and
    # the bound NaN). Empty: everything is here, as in every export
    skipped: frozenset = frozenset()


# ----------------------------------------------------------------------------- the bound
def chain_bound_log(gamma, sigma_max: float, steps: int) -> np.ndarray:
    """Natural log of (gamma * sigma_max)^k for k = 0..steps: (steps+1,). NaN when gamma is None.

    Computed as k * log(gamma * sigma_max), so it cannot overflow however long the chain.
    """
    lags = np.arange(steps + 1, dtype=float)
    if gamma is None:
        return np.full(steps + 1, np.nan)
    rate = float(gamma) * float(sigma_max)
    if rate == 0.0:
        logs = np.full(steps + 1, -np.inf)
        logs[0] = 0.0
        return logs
    return lags * np.log(rate)


def chain_bound(model, steps: int, layer: int = 0) -> np.ndarray:
    """(gamma * sigma_max(W_hh))^k for k = 0..steps: (steps+1,); 0 / inf beyond float64's range.

    The Pascanu-Mikolov-Bengio bound on ``chain_norms``; all NaN for cells with no such bound.
    """
    sigma = float(np.linalg.norm(model.params[f"weight_hh_l{layer}"], ord=2))
    return exp_clipped(chain_bound_log(model.cell.gamma, sigma, steps))


def chain_growth(log_chain: np.ndarray) -> float:
    """Geometric-mean growth per step of a chain given as natural logs (T+1,): exp(log chain[T] / T).

    A ReLU chain can be cut to exactly 0 (log -inf) at a step where every unit is off: nothing
    before that step reaches h_T, however the chain behaved up to it. The growth is then taken
    up to the last lag before the cut (``chain_cut`` says where), so a chain that holds at 1
    and is then cut reads ×1, as the panel draws it, not ×0; a chain cut at lag 1 reads 0."""
    log_chain = np.asarray(log_chain, dtype=float)
    last = len(log_chain) - 1
    cut = chain_cut(log_chain)
    if cut is not None:
        last = cut - 1
    if last < 1:
        return 1.0 if cut is None else 0.0
    with np.errstate(over="ignore"):
        return float(np.exp((log_chain[last] - log_chain[0]) / last))


def chain_cut(log_chain: np.ndarray) -> int | None:
    """The first lag at which a chain given as logs (T+1,) is exactly 0 (-inf), or None."""
    cut = np.flatnonzero(np.asarray(log_chain, dtype=float) == -np.inf)
    return int(cut[0]) if cut.size else None


def regime(growth: float) -> str:
    """"vanishing", "stable" or "exploding" for a per-step growth, by REGIME_THRESHOLDS."""
    if np.isnan(growth) or growth == np.inf:
        return "exploding"  # the trace itself overflowed
    if growth < REGIME_THRESHOLDS["vanishing_below"]:
        return "vanishing"
    if growth > REGIME_THRESHOLDS["exploding_above"]:
        return "exploding"
    return "stable"


# ----------------------------------------------------------------------------- gradients over time
def gradient_profile(trace, layer: int = 0, sample: int | None = None) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T: (T,), for one sample, or the batch mean when ``sample`` is None."""
    norms = np.linalg.norm(trace.grad_hidden[:, layer], axis=-1)  # (T, B)
    if sample is None:
        return norms.mean(axis=1).astype(float)
    return norms[:, sample].astype(float)


def gradient_horizon(profile: np.ndarray, threshold: float = HORIZON_THRESHOLD) -> int:
    """The largest lag k with profile[T-1-k] >= threshold * max(profile): "how far back it learns".

    ``profile`` (T,) is ||dL/dh_t|| for t = 1..T (``gradient_profile``). Non-finite entries are
    ignored; 0 when nothing finite is positive.
    """
    profile = np.asarray(profile, dtype=float)
    finite = np.where(np.isfinite(profile), profile, 0.0)  # (T,)
    peak = finite.max(initial=0.0)
    if peak <= 0.0:
        return 0
    above = np.flatnonzero(finite >= threshold * peak)  # step indices, ascending
    return int(len(profile) - 1 - above[0])


def weight_grad_per_step(model, trace, layer: int = 0, sample: int = 0) -> np.ndarray:
    """||step t's share of dL/dW_hh||_F = ||da_t|| * ||h_{t-1}|| for t = 1..T: (T,)."""
    _, hidden, state0, extras = layer_sample(model, trace, layer, sample)
    grad_hidden = trace.grad_hidden[:, layer, sample]  # (T, H)
    da = model.cell.recurrent_grads(hidden, state0, extras, grad_hidden)  # (T, G*H)
    h_prev = np.concatenate([np.asarray(state0[0])[None], hidden[:-1]])  # (T, H) h_0 .. h_{T-1}
    return (np.linalg.norm(da, axis=1) * np.linalg.norm(h_prev, axis=1)).astype(float)


# ----------------------------------------------------------------------------- states and weights
def saturation(model, trace, layer: int = 0, sample: int = 0) -> np.ndarray:
    """Per step, the fraction of units that pass (almost) no gradient: (T,). See the module docstring."""
    hidden = trace.hidden[:, layer, sample]  # (T, H)
    name = model.cell.name
    if name == "relu":
        return np.mean(hidden <= 0, axis=1)
    if name == "linear":
        return np.zeros(hidden.shape[0])
    return np.mean(np.abs(hidden) > SATURATION_LEVEL, axis=1)


def dead_units(model, trace, layer: int = 0) -> float:
    """ReLU: the fraction of units that are 0 at every step of every sample. 0.0 for other cells."""
    if model.cell.name != "relu":
        return 0.0
    active = np.any(trace.hidden[:, layer] > 0, axis=(0, 1))  # (H,)
    return float(1.0 - active.mean())


# ----------------------------------------------------------------------------- the whole snapshot
def summarize(model, trace, sample: int = 0, views=None) -> Diagnostics:
    """Every diagnostic of one trace for one sample, as a frozen ``Diagnostics`` of copies;
    for a trace with named parts, each part's, gathered under the first part's.

    ``views``: the names of the views that will read it (the docks in sight), or None for every
    one (an export). W_hh's spectrum is computed only when one of SPECTRUM_VIEWS is among them;
    otherwise ``skipped`` says that those views' numbers are missing."""
    wanted = None if views is None else frozenset(views)
    if not trace.parts:
        return _summarize_stack(model, trace, sample, wanted)
    per_part = {}
    for name, part in trace.parts.items():
        found = _summarize_stack(part_model(model, part), part, sample, wanted)
        order = None if part.time_index is None else part.time_index[:, sample].copy()
        per_part[name] = replace(found, time_index=order)
    return replace(next(iter(per_part.values())), parts=per_part)


def _summarize_stack(model, trace, sample: int = 0, wanted: frozenset | None = None) -> Diagnostics:
    steps, num_layers, batch = trace.hidden.shape[:3]
    if not 0 <= sample < batch:
        raise UserError(f"sample must lie in [0, {batch}) for this batch, got {sample}")
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = seconds.get(name, 0.0) + now - clock
        clock = now

    with_spectrum = wanted is None or bool(wanted & SPECTRUM_VIEWS)
    matrices = [model.params[f"weight_hh_l{layer}"] for layer in range(num_layers)] if with_spectrum else []
    log_chain = np.empty((num_layers, steps + 1))  # (L, T+1)
    log_bound = np.full((num_layers, steps + 1), np.nan)  # (L, T+1)
    profile = np.empty((steps, num_layers))  # (T, L)
    dead = np.empty(num_layers)  # (L,)
    residual = 0.0
    chain_cpu = 0.0
    with SpectrumThread(matrices) as spectra:  # joined however this block ends
        for layer in range(num_layers):
            start_cpu = time.thread_time()
            log_chain[layer], worst = chain_log_norms(model, trace, layer, sample)
            chain_cpu += time.thread_time() - start_cpu
            residual = max(residual, worst)
            lap("chain")
            profile[:, layer] = gradient_profile(trace, layer, sample)
            dead[layer] = dead_units(model, trace, layer)
            lap("rest")
        specs = spectra.result()
    lap("waiting for the spectrum")
    seconds["spectrum (beside the chain)" if spectra.beside else "spectrum (after the chain)"] = spectra.seconds
    seconds["chain, CPU"] = chain_cpu  # CPU time of the threads: steadier than wall time on a shared machine
    seconds["spectrum, CPU"] = spectra.cpu_seconds
    for layer, spec in enumerate(specs):
        log_bound[layer] = chain_bound_log(model.cell.gamma, spec.sigma_max, steps)
    nothing = np.full(num_layers, np.nan)
    radius = np.array([spec.spectral_radius for spec in specs]) if specs else nothing  # (L,)
    sigma = np.array([spec.sigma_max for spec in specs]) if specs else nothing  # (L,)
    singular = [spec.singular_values for spec in specs] if specs else None
    eigen = [spec.eigenvalues for spec in specs] if specs else None
    growths = np.array([chain_growth(row) for row in log_chain])  # (L,)
    to_log10 = 1.0 / np.log(10.0)
    return Diagnostics(
        chain=exp_clipped(log_chain), bound=exp_clipped(log_bound), profile=profile,
        singular_values=singular, eigenvalues=eigen, spectral_radius=radius, sigma_max=sigma,
        dead_units=dead,
        horizon=gradient_horizon(profile[:, -1]), regime=regime(growths[-1]), growth=float(growths[-1]),
        chain_log10=log_chain * to_log10, bound_log10=log_bound * to_log10, growth_per_layer=growths,
        chain_residual=residual, seconds=seconds,
        skipped=frozenset() if with_spectrum else SPECTRUM_VIEWS,
    )
