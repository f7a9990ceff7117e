"""What every cell shares: the forward run and gradient records, the logistic function, the bias,
the chunks of the backward sweep.

Recurrent cells: each one's forward sweep over time, and right below it, its backward sweep.

A cell sees one layer. The model has already projected the layer's input for every step at
once (``xproj = x W_ih^T + b_ih``, shape (T, B, G·H) with G gates), so the only Python loop
here is the one over time that a recurrence cannot avoid. States are tuples so that cells
with more than one state (the LSTM's (h, c)) fit the same interface.

Ownership: with ``overwrite_xproj=True``, ``forward`` turns ``xproj`` itself into the hidden
states or the gates (saving a (T, B, G·H) copy); the vanilla ``backward`` with
``overwrite_dhidden=True`` turns ``dhidden`` into dL/da_t. The model passes True because it
allocates both anew in every call; so everything a cell returns is new memory that no later
call touches, and a Trace stays valid for as long as anyone keeps it. The defaults (False)
leave the caller's arrays alone.

Shapes: T steps, B batch, H hidden units, G gates (1 for the vanilla cells, 4 for the LSTM,
3 for the GRU). The gated cells live in their own files (lstm.py, gru.py) and share the two
records, the sigmoid from a halved tanh and the chunking of the backward sweeps below.

Every cell has: ``name``, ``gates``, ``state_names``, ``gamma`` (the constant of the bound
(gamma * sigma_max(W_hh))^k, or None where no such bound holds), ``forward``, ``backward``,
``step_jacobians`` over its full recurrent state (S = H, or 2H for the LSTM's (h, c)), and
``recurrent_grads`` (dL/d(W_hh h_{t-1} + b_hh) per step, from a trace).
"""


from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class CellRun:
    """What a cell's forward sweep keeps for its backward sweep and for the plots."""

    hidden: np.ndarray  # (T, B, H) h_1 .. h_T
    state0: tuple  # each (B, H): the state before step 1
    state_last: tuple  # each (B, H): the state after step T, to carry into the next window
    extras: dict = field(default_factory=dict)  # per-cell arrays for plots (gates, cell state)
    cache: dict = field(default_factory=dict)  # private arrays the backward sweep needs


@dataclass
class CellGrads:
    dxproj: np.ndarray  # (T, B, G*H)  dL/d(x W_ih^T + b_ih)
    dw_hh: np.ndarray  # (G*H, H)
    db_hh: np.ndarray  # (G*H,)
    dstate0: tuple  # each (B, H)
    grad_hidden: np.ndarray  # (T, B, H) total dL/dh_t: from above at t and from step t+1
    extras: dict = field(default_factory=dict)  # e.g. the LSTM's dL/dc_t


def sigmoid_from_half_tanh(u: np.ndarray) -> np.ndarray:
    """sigmoid(a) in place from u = tanh(a / 2): (1 + u) / 2. Returns ``u``.

    The gated cells halve the sigmoid gates' pre-activations on the way in (exact: a power of
    two), so that one ``tanh`` call covers every gate of a step, sigmoid and tanh gates alike.
    """
    u += 1
    u *= 0.5
    return u


# bytes of one chunk of the backward sweeps' factors: a fraction of a typical L2 cache, so that
# the chunk is still there when the loop over time reads it
CHUNK_BYTES = 512 << 10


def steps_per_chunk(row_bytes: int) -> int:
    """How many time steps of ``row_bytes`` each fit in CHUNK_BYTES (at least one).

    The backward sweeps compute their element-wise factors a chunk of steps at a time, just
    before the loop over time reaches them: one call for many small steps, and for large
    steps data still in the cache when the loop reads it.
    """
    return max(1, CHUNK_BYTES // max(1, row_bytes))


def add_bias(xproj: np.ndarray, b_hh, overwrite: bool) -> np.ndarray:
    """xproj + b_hh (b_hh None: already added), in place when ``overwrite``, else a new array."""
    if b_hh is None:
        return xproj if overwrite else xproj.copy()
    return np.add(xproj, b_hh, out=xproj if overwrite else None)
