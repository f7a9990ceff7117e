"""Switching units off, measured: which units the current loss depends on, and what holding
some of them does to the loss, the gradient profile and the Jacobian chain.

The ranking switches every unit off at once, each in its own copy of the batch: the batch
dimension holds (1 + N) blocks of the same samples, block 0 with the units already held
and block i with unit i held as well, and one forward pass scores them all. A per-row hold
cannot live in the parameters (they are shared by the batch), so this forward runs the
model's own cell one step at a time and writes the held values into each row's state between
steps; ``rnnviz.core.nn.clamp`` holds units for a whole batch by changing the parameters
instead. The tests check each against the other.

Loss units are the model's: summed over scored steps, averaged over the samples.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from rnnviz.core.diagnostics.chain import chain_log_norms
from rnnviz.core.diagnostics.summary import gradient_profile
from rnnviz.core.nn.clamp import UnitClamp, effective_model
from rnnviz.core.nn.padding import sequence_lengths
from rnnviz.core.nn.shapes.parts import trim

MAX_RANKING_ROWS = 2048  # rows of the ranking's forward pass: 2048 x T x H^2 multiply-adds per layer


# ----------------------------------------------------------------------------- a forward pass with per-row holds
def held_states(model, inputs, keep, values, h0=None) -> list[np.ndarray]:
    """Each layer's h_t, (T, R, H), of the model's real parameters with h_t <- where(keep, h_t,
    values) in each row at every step (h_0 included). inputs (T, R) token ids or (T, R, X)
    floats; keep (R, L, H) bool; values (R, L, H); h0 indexable as [part][layer] -> (R, H), or
    None. ``model.clamp`` is not applied: put it in ``keep``."""
    inputs = np.asarray(inputs)
    tokens = np.issubdtype(inputs.dtype, np.integer)
    if not tokens:
        inputs = inputs.astype(model.dtype, copy=False)
    steps, rows = inputs.shape[:2]
    hid = model.config.hidden_size
    values = np.asarray(values, dtype=model.dtype)
    layers, x = [], inputs
    for layer in range(model.config.num_layers):
        xproj, w_hh, b_hh = model.cell_inputs(x, tokens and layer == 0, layer)  # (T, R, G*H)
        keep_l, values_l = keep[:, layer], values[:, layer]  # (R, H)
        state = tuple(_initial(h0, layer, i, rows, hid, model.dtype) for i in range(len(model.cell.state_names)))
        state = (np.where(keep_l, state[0], values_l), *state[1:])
        out = np.empty((steps, rows, hid), dtype=model.dtype)  # (T, R, H) held h_t
        for t in range(steps):  # one step at a time: the holds go in between
            run = model.cell.forward(xproj[t:t + 1], w_hh, b_hh, state, overwrite_xproj=True)
            np.copyto(out[t], np.where(keep_l, run.state_last[0], values_l))
            state = (out[t], *run.state_last[1:])
        layers.append(out)
        x = out
    return layers


def held_forward(model, inputs, keep, values, h0=None) -> np.ndarray:
    """Outputs (T, R, Y) of ``held_states``' top layer through the readout."""
    top = held_states(model, inputs, keep, values, h0)[-1]  # (T, R, H)
    steps, rows, hid = top.shape
    flat = top.reshape(-1, hid) @ model.params["out.weight"].T + model.params["out.bias"]  # (T*R, Y)
    return flat.reshape(steps, rows, -1)


def _initial(h0, layer: int, part: int, rows: int, hid: int, dtype) -> np.ndarray:
    if h0 is None:
        return np.zeros((rows, hid), dtype=dtype)
    parts = h0 if isinstance(h0, tuple) else (h0,)
    return np.asarray(parts[part][layer], dtype=dtype)  # (R, H)


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
    units: np.ndarray  # (N,) unit index
    delta: np.ndarray  # (N,) loss with the unit held minus ``base_loss``, mean over the samples used
    base_loss: float  # the loss with the units already held (none: the network as it is)
    samples: int  # how many sequences of the batch were used
    mode: str  # "zero" or "mean"
    step: int = 0  # the training step of the network ranked (set by whoever knows it)

    def order(self) -> np.ndarray:
        """Candidate indices, the largest loss increase first (NaN last)."""
        key = np.where(np.isfinite(self.delta), -self.delta, np.inf)
        return np.argsort(key, kind="stable")


def held_values(model, inputs, keep, values, h0, mode: str) -> np.ndarray:
    """(L, H): the value each unit would be held at: 0, or its mean over steps and samples of a
    forward pass with the units in ``keep`` already held."""
    num_layers, hid = model.config.num_layers, model.config.hidden_size
    if mode == "zero":
        return np.zeros((num_layers, hid))
    return hidden_means(model, inputs, keep, values, h0)


def padded_lengths(model, inputs) -> np.ndarray | None:
    """(R,) each sequence's real length when the model pads its token inputs, else None."""
    inputs = np.asarray(inputs)
    pad = getattr(model.config, "pad_id", None)
    if pad is None or not np.issubdtype(inputs.dtype, np.integer):
        return None
    return sequence_lengths(inputs, pad)


def hidden_means(model, inputs, keep, values, h0) -> np.ndarray:
    """(L, H) mean of every unit's h_t over the real steps and samples, with the rows' holds applied."""
    states = held_states(model, inputs, keep, values, h0)  # per layer (T, R, H)
    lengths = padded_lengths(model, inputs)
    if lengths is None:
        return np.stack([layer.mean(axis=(0, 1)) for layer in states])
    real = (np.arange(states[0].shape[0])[:, None] < lengths[None, :])[..., None]  # (T, R, 1) before the pads
    return np.stack([(layer * real).sum(axis=(0, 1)) / real.sum() for layer in states])


def rank_units(model, inputs, targets, h0=None, mode: str = "zero",
               max_rows: int = MAX_RANKING_ROWS) -> UnitRanking:
    """Switch each unit not yet held off, all at once in the batch dimension, and measure the loss.

    inputs (T, B) or (T, B, X), targets and h0 as for ``model.loss_and_grads``; the first
    S = min(B, max_rows // (N + 1)) samples are used (at least one). ``model.clamp`` stays held
    in every row; "mean" holds a unit at its mean over those samples' steps.
    """
    if mode not in ("zero", "mean"):
        raise ValueError(f"mode must be 'zero' or 'mean', got {mode!r}")
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    num_layers, hid = model.config.num_layers, model.config.hidden_size
    base = model.clamp if model.clamp is not None else UnitClamp((), ())
    base_keep, base_values = base.masks(num_layers, hid, model.dtype)  # (L, H)
    held = set(base.units)
    candidates = [(layer, unit) for layer in range(num_layers) for unit in range(hid) if (layer, unit) not in held]
    count = len(candidates)
    samples = max(1, min(inputs.shape[1], max_rows // (count + 1)))
    x = inputs[:, :samples]
    y = targets[:, :samples] if targets.ndim >= 2 and _steps_scored(targets) else targets[:samples]
    state = _take_samples(h0, samples)
    keep1 = np.broadcast_to(base_keep, (samples, num_layers, hid))
    vals1 = np.broadcast_to(base_values, (samples, num_layers, hid))
    hold = held_values(model, x, keep1, vals1, _per_layer_state(state), mode)  # (L, H)
    blocks = count + 1
    keep = np.tile(base_keep, (blocks, 1, 1))  # (blocks, L, H)
    values = np.tile(base_values, (blocks, 1, 1))
    cand = np.array(candidates, dtype=np.int64).reshape(-1, 2)  # (N, 2)
    keep[1 + np.arange(count), cand[:, 0], cand[:, 1]] = False
    values[1 + np.arange(count), cand[:, 0], cand[:, 1]] = hold[cand[:, 0], cand[:, 1]]
    keep = np.repeat(keep, samples, axis=0)  # (blocks*S, L, H): block-major, samples inside
    values = np.repeat(values, samples, axis=0)
    x_all = np.concatenate([x] * blocks, axis=1)
    y_all = np.concatenate([y] * blocks, axis=1 if _steps_scored(y) else 0)
    with np.errstate(all="ignore"):
        outputs = held_forward(model, x_all, keep, values, _per_layer_state(_tile_state(state, blocks)))
        losses = per_sample_loss(outputs, y_all, padded_lengths(model, x_all)).reshape(blocks, samples).mean(axis=1)
    return UnitRanking(layers=cand[:, 0].copy(), units=cand[:, 1].copy(), delta=losses[1:] - losses[0],
                       base_loss=float(losses[0]), samples=samples, mode=mode)


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
    profile_with: np.ndarray  # (T, L) batch mean ||dL/dh_t||
    profile_without: np.ndarray  # (T, L)
    chain_with: np.ndarray  # (L, T+1) log10 ||dh_T/dh_{T-k}||_2 for the sample
    chain_without: np.ndarray  # (L, T+1)


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
        return np.stack([chain_log_norms(network, trace, layer, sample)[0] for layer in range(num_layers)]) * to_log10

    return ClampComparison(
        units=clamp.units, values=clamp.values, mode=clamp.mode,
        loss_with=float(loss_with), loss_without=float(loss_without),
        profile_with=profile(trace_with), profile_without=profile(trace_without),
        chain_with=chain(held, trace_with), chain_without=chain(free, trace_without))


def model_without(model):
    """``model`` with every unit free (a shallow copy sharing the parameters)."""
    twin = copy.copy(model)
    twin.clamp = None
    return twin
