"""Switching units off, measured: which units the current loss depends on, and what holding
some of them does to the loss, the gradient profile and the Jacobian chain, for every network
shape (units numbered and named as ``rnnviz.core.nn.units`` does).

The ranking switches every unit off at once, each in its own copy of the batch: the batch
dimension holds (1 + N) blocks of the same samples, block 0 with the units already held
and block i with unit i held as well, and one forward pass with per-row holds
(``rnnviz.core.diagnostics.held``) scores them all. ``rnnviz.core.nn.clamp`` holds units for
a whole batch by changing the parameters instead. The tests check each against the other.

Loss units are the model's: summed over scored steps, averaged over the samples.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.diagnostics.chain import chain_log_norms
from rnnviz.core.diagnostics.summary import gradient_profile
from rnnviz.core.diagnostics.held import held_forward, held_pass, held_states, padded_lengths
from rnnviz.core.nn.clamp import UnitClamp, effective_model
from rnnviz.core.nn.shapes.parts import part_model, trim
from rnnviz.core.nn.units import locate, unit_name, units_per_layer

__all__ = ["ClampComparison", "UnitRanking", "compare_clamp", "held_forward", "held_states", "held_values",
           "hidden_means", "model_without", "padded_lengths", "per_sample_loss", "rank_units"]

MAX_RANKING_ROWS = 2048  # rows of the ranking's forward pass: 2048 x T x H^2 multiply-adds per layer


def per_sample_loss(outputs: np.ndarray, targets: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """(R,) each sample's loss, the model's way: outputs (T, R, Y); targets of any of the four kinds;
    ``lengths`` (R,) each padded sequence's real length (a last-step target reads step n - 1)."""
    targets = np.asarray(targets)
    integer = np.issubdtype(targets.dtype, np.integer)
    scored_steps = targets.ndim == (2 if integer else 3)
    if scored_steps:
        scored = outputs
    elif lengths is not None:
        scored = outputs[lengths - 1, np.arange(outputs.shape[1])][None]  # (1, R, Y) each one's own end
    else:
        scored = outputs[-1:]  # (T', R, Y)
    if integer:
        picked_targets = targets if scored_steps else targets[None]  # (T', R)
        shift = scored.max(axis=-1, keepdims=True)
        logsum = np.log(np.exp(scored - shift).sum(axis=-1)) + shift[..., 0]  # (T', R)
        picked = np.take_along_axis(scored, picked_targets[..., None], axis=-1)[..., 0]
        return (logsum - picked).sum(axis=0)
    diff = scored - (targets if scored_steps else targets[None])
    return (diff * diff).sum(axis=(0, 2))


def _take_samples(h0, count: int):
    if h0 is None:
        return None
    if isinstance(h0, tuple):
        return tuple(np.asarray(part)[:, :count] for part in h0)
    return np.asarray(h0)[:, :count]


def _tile_state(h0, blocks: int):
    """A state (L, S, H) (or a pair) repeated as ``blocks`` blocks along the batch: (L, blocks*S, H)."""
    if h0 is None:
        return None
    if isinstance(h0, tuple):
        return tuple(np.tile(part, (1, blocks, 1)) for part in h0)
    return np.tile(h0, (1, blocks, 1))


def _per_layer_state(h0):
    """(L, R, H) or pair -> indexable by [part][layer] (R, H)."""
    if h0 is None:
        return None
    return tuple(h0) if isinstance(h0, tuple) else (h0,)


# ----------------------------------------------------------------------------- the ranking
@dataclass(frozen=True)
class UnitRanking:
    """The loss change when each unit is switched off as well (model units; > 0: the loss needs it)."""

    layers: np.ndarray  # (N,) layer of each candidate unit
    units: np.ndarray  # (N,) unit number (rnnviz.core.nn.units: every stack's units of the layer)
    delta: np.ndarray  # (N,) loss with the unit held minus ``base_loss``, mean over the samples used
    base_loss: float  # the loss with the units already held (none: the network as it is)
    samples: int  # how many sequences of the batch were used
    mode: str  # "zero" or "mean"
    step: int = 0  # the training step of the network ranked (set by whoever knows it)
    names: tuple = ()  # (N,) each unit's name: "0:3", "fwd 3", "1:dec 0" ...

    def order(self) -> np.ndarray:
        """Candidate indices, the largest loss increase first (NaN last)."""
        key = np.where(np.isfinite(self.delta), -self.delta, np.inf)
        return np.argsort(key, kind="stable")


def held_values(model, inputs, keep, values, h0, mode: str, last_step: bool = False) -> np.ndarray:
    """(L, W): the value each unit would be held at: 0, or its mean over steps and samples of a
    forward pass with the units in ``keep`` already held."""
    if mode == "zero":
        return np.zeros((model.config.num_layers, units_per_layer(model.config)))
    return held_pass(model, inputs, keep, values, h0, last_step).means


def hidden_means(model, inputs, keep, values, h0) -> np.ndarray:
    """(L, W) mean of every unit's h_t over its stack's real steps and the samples, with the rows'
    holds applied."""
    return held_pass(model, inputs, keep, values, h0).means


def rank_units(model, inputs, targets, h0=None, mode: str = "zero",
               max_rows: int = MAX_RANKING_ROWS) -> UnitRanking:
    """Switch each unit not yet held off, all at once in the batch dimension, and measure the loss.

    inputs, targets and h0 as for ``model.loss_and_grads``; the first S = min(B, max_rows // (N + 1))
    samples are used (at least one). ``model.clamp`` stays held in every row; "mean" holds a
    unit at its mean over those samples' steps.
    """
    if mode not in ("zero", "mean"):
        raise ValueError(f"mode must be 'zero' or 'mean', got {mode!r}")
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    config = model.config
    num_layers, width = config.num_layers, units_per_layer(config)
    base = model.clamp if model.clamp is not None else UnitClamp((), ())
    base_keep, base_values = base.masks(num_layers, width, model.dtype)  # (L, W)
    held = set(base.units)
    candidates = [(layer, unit) for layer in range(num_layers) for unit in range(width) if (layer, unit) not in held]
    count = len(candidates)
    samples = max(1, min(inputs.shape[1], max_rows // (count + 1)))
    x = inputs[:, :samples]
    scored_steps = _steps_scored(targets)
    y = targets[:, :samples] if scored_steps else targets[:samples]
    state = _take_samples(h0, samples)
    keep1 = np.broadcast_to(base_keep, (samples, num_layers, width))
    vals1 = np.broadcast_to(base_values, (samples, num_layers, width))
    hold = held_values(model, x, keep1, vals1, _per_layer_state(state), mode, not scored_steps)  # (L, W)
    blocks = count + 1
    keep = np.tile(base_keep, (blocks, 1, 1))  # (blocks, L, W)
    values = np.tile(base_values, (blocks, 1, 1))
    cand = np.array(candidates, dtype=np.int64).reshape(-1, 2)  # (N, 2)
    keep[1 + np.arange(count), cand[:, 0], cand[:, 1]] = False
    values[1 + np.arange(count), cand[:, 0], cand[:, 1]] = hold[cand[:, 0], cand[:, 1]]
    keep = np.repeat(keep, samples, axis=0)  # (blocks*S, L, W): block-major, samples inside
    values = np.repeat(values, samples, axis=0)
    x_all = np.concatenate([x] * blocks, axis=1)
    y_all = np.concatenate([y] * blocks, axis=1 if scored_steps else 0)
    with np.errstate(all="ignore"):
        run = held_pass(model, x_all, keep, values, _per_layer_state(_tile_state(state, blocks)), not scored_steps)
        losses = per_sample_loss(run.outputs, y_all).reshape(blocks, samples).mean(axis=1)
    return UnitRanking(layers=cand[:, 0].copy(), units=cand[:, 1].copy(), delta=losses[1:] - losses[0],
                       base_loss=float(losses[0]), samples=samples, mode=mode,
                       names=tuple(unit_name(config, int(layer), int(unit)) for layer, unit in candidates))


def _steps_scored(targets: np.ndarray) -> bool:
    """Targets with a time axis first: ints (T, B) or floats (T, B, Y)."""
    integer = np.issubdtype(targets.dtype, np.integer)
    return targets.ndim == (2 if integer else 3)


# ----------------------------------------------------------------------------- with and without
@dataclass(frozen=True)
class ClampComparison:
    """The same batch through the network with its held units and without: side by side."""

    units: tuple  # ((layer, unit), ...) held
    values: tuple  # the value each is held at
    mode: str
    loss_with: float  # with the units held (what training now optimises)
    loss_without: float  # the same weights, every unit free
    profile_with: np.ndarray  # (T, L) batch mean ||dL/dh_t|| (a network of stacks: its joined trace's)
    profile_without: np.ndarray  # (T, L)
    chain_with: np.ndarray  # (L, T+1) log10 ||dh_T/dh_{T-k}||_2 for the sample (its first stack's)
    chain_without: np.ndarray  # (L, T+1)
    names: tuple = ()  # each held unit's name
    stacks: tuple = ()  # each held unit's stack ("forward", "encoder", ...; "" for a single stack)
    # a network of several stacks: each stack's chain, name -> (with (L, T_p+1), without (L, T_p+1))
    part_chains: dict = field(default_factory=dict)


def compare_clamp(model, inputs, targets, h0=None, sample: int = 0) -> ClampComparison | None:
    """Run one batch with ``model.clamp`` and without it; None when no unit is held."""
    clamp = model.clamp
    if clamp is None or not clamp.units:
        return None
    held = effective_model(model)  # the held network as ordinary code, for its Jacobians
    free = model_without(model)
    loss_without, _, trace_without = free.loss_and_grads(inputs, targets, h0)
    loss_with, _, trace_with = model.loss_and_grads(inputs, targets, h0)
    num_layers = model.config.num_layers
    to_log10 = 1.0 / np.log(10.0)

    def profile(trace):
        return np.stack([gradient_profile(trace, layer) for layer in range(num_layers)], axis=1)  # (T, L)

    lengths = padded_lengths(model, inputs)

    def chain(network, trace):
        if lengths is not None:  # a padded sample's chain ends at its last real step
            trace = trim(trace, int(lengths[sample]))
        if not trace.parts:
            return {"": _chain(network, trace, num_layers, sample) * to_log10}
        return {name: _chain(part_model(network, part), part, num_layers, sample) * to_log10
                for name, part in trace.parts.items()}

    chains_with, chains_without = chain(held, trace_with), chain(free, trace_without)
    first = next(iter(chains_with))
    return ClampComparison(
        units=clamp.units, values=clamp.values, mode=clamp.mode,
        loss_with=float(loss_with), loss_without=float(loss_without),
        profile_with=profile(trace_with), profile_without=profile(trace_without),
        chain_with=chains_with[first], chain_without=chains_without[first],
        names=tuple(unit_name(model.config, layer, unit) for layer, unit in clamp.units),
        stacks=tuple(locate(model.config, unit)[0] for _, unit in clamp.units),
        part_chains={} if first == "" else {name: (chains_with[name], chains_without[name]) for name in chains_with})


def _chain(network, trace, num_layers: int, sample: int) -> np.ndarray:
    return np.stack([chain_log_norms(network, trace, layer, sample)[0] for layer in range(num_layers)])


def model_without(model):
    """``model`` with every unit free (a shallow copy sharing the parameters)."""
    twin = copy.copy(model)
    twin.clamp = None
    return twin
