"""A forward pass in which every row of the batch holds its own units, for every network shape.

The unit ranking switches each unit off in its own copy of the batch, so the holds differ
from row to row and cannot live in the parameters (``rnnviz.core.nn.clamp`` holds units for a
whole batch by changing the parameters instead; the tests check each against the other). Here
the model's own cells run one step at a time and the held values are written into each row's
state between steps (h_0 included).

``keep`` (R, L, W) and ``values`` (R, L, W) number the units as ``rnnviz.core.nn.units`` does:
a bidirectional layer's forward then backward units, an encoder's then its decoder's.
``held_pass`` returns what the ranking needs of every shape: the outputs the loss scores and
every unit's mean over the real steps.

Shapes: T steps, R rows, L layers, H hidden (per stack), W units per layer (all stacks), Y outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.nn.padding import sequence_lengths
from rnnviz.core.nn.shapes.bidirectional import BiRNN, gather, reverse_order
from rnnviz.core.nn.shapes.seq2seq import Seq2Seq
from rnnviz.core.nn.shapes.vec2seq import Vec2Seq


# ----------------------------------------------------------------------------- one stack
def held_layer(model, x, tokens: bool, layer: int, keep, values, state, suffix: str = "") -> np.ndarray:
    """One layer's h_t (T, R, H) with h_t <- where(keep, h_t, values) at every step. x (T, R) ids
    or (T, R, X); keep, values (R, H); state a tuple of (R, H) (h first), before its hold."""
    steps, rows = x.shape[:2]
    xproj, w_hh, b_hh = model.cell_inputs(x, tokens, layer, suffix)  # (T, R, G*H)
    state = (np.where(keep, state[0], values), *state[1:])
    out = np.empty((steps, rows, keep.shape[1]), dtype=model.dtype)  # (T, R, H) held h_t
    for t in range(steps):  # one step at a time: the holds go in between
        run = model.cell.forward(xproj[t:t + 1], w_hh, b_hh, state, overwrite_xproj=True)
        np.copyto(out[t], np.where(keep, run.state_last[0], values))
        state = (out[t], *run.state_last[1:])
    return out


def held_states(model, inputs, keep, values, h0=None) -> list[np.ndarray]:
    """Each layer's h_t, (T, R, H), of a single stack's real parameters with the rows' holds.
    inputs (T, R) token ids or (T, R, X) floats; keep (R, L, H) bool; values (R, L, H); h0
    indexable as [part][layer] -> (R, H), or None. ``model.clamp`` is not applied: put it in ``keep``."""
    inputs = np.asarray(inputs)
    tokens = np.issubdtype(inputs.dtype, np.integer)
    if not tokens:
        inputs = inputs.astype(model.dtype, copy=False)
    rows, hid = inputs.shape[1], model.config.hidden_size
    values = np.asarray(values, dtype=model.dtype)
    layers, x = [], inputs
    for layer in range(model.config.num_layers):
        state = tuple(_initial(h0, layer, i, rows, hid, model.dtype) for i in range(len(model.cell.state_names)))
        x = held_layer(model, x, tokens and layer == 0, layer, keep[:, layer], values[:, layer], state)
        layers.append(x)
    return layers


def held_forward(model, inputs, keep, values, h0=None) -> np.ndarray:
    """Outputs (T, R, Y) of ``held_states``' top layer through the readout."""
    return readout(model, held_states(model, inputs, keep, values, h0)[-1])


def readout(model, top: np.ndarray) -> np.ndarray:
    """The model's linear readout of top (..., H) -> (..., Y)."""
    return top @ model.params["out.weight"].T + model.params["out.bias"]


def _initial(h0, layer: int, part: int, rows: int, hid: int, dtype) -> np.ndarray:
    if h0 is None:
        return np.zeros((rows, hid), dtype=dtype)
    parts = h0 if isinstance(h0, tuple) else (h0,)
    return np.asarray(parts[part][layer], dtype=dtype)  # (R, H)


def padded_lengths(model, inputs) -> np.ndarray | None:
    """(R,) each sequence's real length when the model pads its token inputs, else None."""
    inputs = np.asarray(inputs)
    pad = getattr(model.config, "pad_id", None)
    if pad is None or not np.issubdtype(inputs.dtype, np.integer):
        return None
    return sequence_lengths(inputs, pad)


def _real_mean(states: np.ndarray, lengths) -> np.ndarray:
    """(W,) mean of states (T, R, W) over the steps before each row's length (all when None)."""
    if lengths is None:
        return states.mean(axis=(0, 1))
    real = (np.arange(states.shape[0])[:, None] < lengths[None, :])[..., None]  # (T, R, 1) before the pads
    return (states * real).sum(axis=(0, 1)) / real.sum()


# ----------------------------------------------------------------------------- every shape
@dataclass(frozen=True)
class HeldPass:
    """What a forward pass with per-row holds gives the ranking."""

    outputs: np.ndarray  # (T, R, Y) every step's outputs, or (1, R, Y) each row's last, as the loss scores them
    means: np.ndarray  # (L, W) every unit's mean over its stack's real steps and the rows


def held_pass(model, inputs, keep, values, h0=None, last_step: bool = False) -> HeldPass:
    """The model run with each row's holds (see the module docstring); ``last_step``: the targets
    score the end of each sequence (its last real step when padded), else every step."""
    values = np.asarray(values, dtype=model.dtype)
    if isinstance(model, Seq2Seq):
        return _encoder_decoder(model, inputs, keep, values)
    if isinstance(model, Vec2Seq):
        return _vector_to_sequence(model, inputs, keep, values)
    if isinstance(model, BiRNN):
        return _bidirectional(model, inputs, keep, values, last_step)
    states = held_states(model, inputs, keep, values, h0)
    lengths = padded_lengths(model, inputs)
    top = states[-1]  # (T, R, H)
    if last_step:
        top = top[-1:] if lengths is None else top[lengths - 1, np.arange(top.shape[1])][None]  # (1, R, H)
    return HeldPass(outputs=readout(model, top), means=np.stack([_real_mean(layer, lengths) for layer in states]))


def _bidirectional(model, inputs, keep, values, last_step: bool) -> HeldPass:
    inputs = np.asarray(inputs)
    tokens = np.issubdtype(inputs.dtype, np.integer)
    x = inputs if tokens else inputs.astype(model.dtype, copy=False)
    steps, rows = x.shape[:2]
    hid = model.config.hidden_size
    lengths = padded_lengths(model, x)
    order = None if lengths is None else reverse_order(steps, rows, lengths)  # (T, R)
    zero = tuple(np.zeros((rows, hid), dtype=model.dtype) for _ in model.cell.state_names)
    means = []
    for layer in range(model.config.num_layers):
        halves = []
        for k, (suffix, source) in enumerate((("", x), ("_reverse", np.ascontiguousarray(gather(x, order))))):
            cols = slice(k * hid, (k + 1) * hid)  # this direction's units
            halves.append(held_layer(model, source, tokens and layer == 0, layer, keep[:, layer, cols],
                                     values[:, layer, cols], zero, suffix))  # (T, R, H) in its own order
        forward, backward = halves
        x = np.concatenate([forward, gather(backward, order)], axis=-1)  # (T, R, 2H) in input order
        means.append(_real_mean(x, lengths))
    if not last_step:
        return HeldPass(outputs=readout(model, x), means=np.stack(means))
    # PyTorch's h_n: forward at the last real step, backward after its last processed step
    last = np.full(rows, steps) if lengths is None else lengths
    cols = np.arange(rows)
    final = np.concatenate([forward[last - 1, cols], backward[last - 1, cols]], axis=-1)  # (R, 2H)
    return HeldPass(outputs=readout(model, final)[None], means=np.stack(means))


def _bridged(model, vector, layers: int, cell):
    """The decoder's initial state from the bridge, h0 = tanh(bridge.weight v + bridge.bias) in
    every layer (and c0 = 0 for an LSTM), as ``held_states`` reads it; None without a bridge."""
    if "bridge.weight" not in model.params:
        return None
    first = np.tanh(vector @ model.params["bridge.weight"].T + model.params["bridge.bias"])  # (R, Hd)
    h0 = np.repeat(first[None], layers, axis=0)  # (L, R, Hd)
    return (h0, np.zeros_like(h0)) if len(cell.state_names) > 1 else (h0,)


def _encoder_decoder(model, inputs, keep, values) -> HeldPass:
    c = model.config
    inputs = np.asarray(inputs)
    source, read = inputs[:c.source_length], inputs[c.source_length:]  # (S, R), (U, R) ids
    if c.reverse_source:
        source = np.ascontiguousarray(source[::-1])
    he = c.hidden_size
    encoder = held_states(model.encoder, source, keep[:, :, :he], values[:, :, :he])  # per layer (S, R, He)
    context = encoder[-1][-1]  # (R, He) the encoder's last top state, as held
    if c.context in ("every-step", "both"):  # [one-hot token, context] at every decoder step
        x = np.zeros((*read.shape, c.input_size + he), dtype=model.dtype)  # (U, R, V + He)
        x[np.arange(read.shape[0])[:, None], np.arange(read.shape[1])[None, :], read] = 1.0
        x[:, :, c.input_size:] = context
    else:
        x = read
    start = _bridged(model, context, c.num_layers, model.decoder.cell)
    decoder = held_states(model.decoder, x, keep[:, :, he:], values[:, :, he:], start)  # per layer (U, R, Hd)
    means = np.stack([np.concatenate([e.mean(axis=(0, 1)), d.mean(axis=(0, 1))]) for e, d in zip(encoder, decoder)])
    return HeldPass(outputs=readout(model, decoder[-1]), means=means)


def _vector_to_sequence(model, inputs, keep, values) -> HeldPass:
    inputs = np.asarray(inputs, dtype=model.dtype)
    steps, rows = inputs.shape[:2]
    vector = inputs[0]  # (R, D): v, read at the first step as the model does
    fed = model.config.context in ("every-step", "both")
    x = np.ones((steps, rows, 1 + (vector.shape[1] if fed else 0)), dtype=model.dtype)  # (U, R, 1 [+ D])
    if fed:
        x[:, :, 1:] = vector
    start = _bridged(model, vector, model.config.num_layers, model.decoder.cell)
    decoder = held_states(model.decoder, x, keep, values, start)  # per layer (U, R, H)
    return HeldPass(outputs=readout(model, decoder[-1]),
                    means=np.stack([layer.mean(axis=(0, 1)) for layer in decoder]))
