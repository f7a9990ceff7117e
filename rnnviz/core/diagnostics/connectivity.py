"""Connectivity: how far back each prediction looks (Madsen, "Visualizing memorization in RNNs",
Distill 2019), exact, for one sample of the current network.

The map C[t, s] = ||∂ŷ_t/∂x_s|| for output step t and input step s (0 for s > t: causality).

What is differentiated:
- x_s is the input *vector* at step s: the float channels of a series or task, or, for tokens,
  the one-hot vector of the token, treated as continuous. Its gradient is W_ih^T (∂ŷ/∂xproj_s),
  a vector over the vocabulary; its norm says how much the prediction moves when the input at
  s moves, in any direction. (The same number for a one-hot x fed as floats: the tests do.)
- ŷ_t is read in one direction per row, fixed at the forward pass:
  * classification (cross-entropy targets): the logit of the class predicted at t, k_t =
    argmax ŷ_t: C[t, s] = ||∂ŷ_{t,k_t}/∂x_s||_2. One backward pass per t.
  * regression (squared-error targets): the whole Jacobian, C[t, s] = ||∂ŷ_t/∂x_s||_F, the
    Frobenius norm over the Y outputs and X inputs: one backward pass per (t, output unit),
    squared norms summed over the outputs.
  The readout is applied at every t, also where only the last step is scored (adding problem):
  the map then shows what the network would predict at each step.

How: a forward pass of the one sample, then ONE backward pass in which the batch dimension
holds the R = T (or T·Y) readout directions: row r is seeded with W_out[k] at its output step
only, and the cells' own backward sweeps carry all rows at once (in eight groups of output
steps, each swept back only from its last step). So the whole map costs about one batched
BPTT step (``rnnviz bench``, views). Held units (``model.clamp``) are held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.nn.cells.base import CellRun
from rnnviz.core.nn.clamp import effective_model

GROUPS = 8  # output steps are swept back in this many groups, each only as far as it needs
STEPS_PER_GROUP = 12  # fewer groups for short windows (T = 25: 2)


@dataclass(frozen=True)
class Connectivity:
    """The connectivity map of one sample, and what the view reads off it."""

    matrix: np.ndarray  # (T, T) C[t, s] = ||∂ŷ_t/∂x_s||; 0 above the diagonal (s > t)
    by_distance: np.ndarray  # (T,) mean of C[t, t-d] over t >= d, for d = 0..T-1
    share: np.ndarray  # (T, T) C[t, s] / sum_s C[t, s]: each input's share in prediction t (NaN if all 0)
    readout: str  # "predicted logit" (classification) or "Frobenius" (regression)
    predicted: np.ndarray  # (T,) k_t, the class whose logit is differentiated; -1 for regression
    # the other shapes (rnnviz.core.diagnostics.connectivity_shapes): a map that is not causal (a
    # bidirectional net reads the whole sequence) or not square (an encoder-decoder's outputs x
    # source), what its axes are, and how its distance is counted
    causal: bool = True  # C[t, s] = 0 for s > t, drawn blank
    input_axis: str = "input token at s"
    output_axis: str = "output step t"
    distance_axis: str = "distance t \u2212 s"  # in steps; short: the curve is a narrow column
    note: str = ""  # what the shape's map means, for people
    distance: np.ndarray | None = None  # (T_out, T_in) the distance of each cell; None: t - s

    def distance_at(self, t: int, s: int) -> int:
        return int(t - s) if self.distance is None else int(self.distance[t, s])


def _run_sample(model, inputs, state0):
    """Forward one sample through every layer: the cells' runs with batch 1."""
    inputs = np.asarray(inputs)
    tokens = np.issubdtype(inputs.dtype, np.integer)
    x = inputs[:, None] if tokens else inputs[:, None, :].astype(model.dtype)  # (T, 1) or (T, 1, X)
    runs = []
    for layer in range(model.config.num_layers):
        xproj, w_hh, b_hh = model.cell_inputs(x, tokens and layer == 0, layer)  # (T, 1, G*H)
        runs.append(model.cell.forward(xproj, w_hh, b_hh, _layer_state(model, state0, layer), overwrite_xproj=True))
        x = runs[-1].hidden  # (T, 1, H)
    return runs


def _layer_state(model, state0, layer: int) -> tuple:
    """One layer's initial state with batch 1: a tuple of (1, H) arrays (zeros when None)."""
    hid = model.config.hidden_size
    names = model.cell.state_names
    if state0 is None:
        return tuple(np.zeros((1, hid), dtype=model.dtype) for _ in names)
    parts = state0 if isinstance(state0, tuple) else (state0,)
    return tuple(np.asarray(part, dtype=model.dtype).reshape(-1, hid)[layer][None] for part in parts)


def widened(run: CellRun, rows: int, steps: int) -> CellRun:
    """The first ``steps`` steps of a batch-1 run, repeated ``rows`` times along the batch, as
    contiguous arrays the backward sweep may read (it never writes into a run)."""
    def widen(a):
        a = np.asarray(a)
        if a.ndim == 3:  # (T, 1, ·)
            return np.repeat(a[:steps], rows, axis=1)
        return np.repeat(a, rows, axis=0)  # (1, ·)

    return CellRun(hidden=widen(run.hidden), state0=tuple(widen(s) for s in run.state0),
                   state_last=tuple(widen(s) for s in run.state_last),
                   extras=_Widening(run.extras, widen), cache=_Widening(run.cache, widen))


class _Widening(dict):
    """A run's extras or cache, each array widened when the backward sweep first reads it (the
    LSTM's four gate views in its extras are never read: widening them all was copying for nothing)."""

    def __init__(self, source: dict, widen) -> None:
        super().__init__()
        self._source = source
        self._widen = widen

    def __missing__(self, key):
        value = self[key] = self._widen(self._source[key])
        return value


def input_gradients(model, inputs, state0=None, classify: bool = True):
    """∂(ŷ_t · u_r)/∂x_s for every readout row r: ((T_s, R, X) gradients, out_step (R,), direction (R,)).

    inputs (T,) token ids or (T, X) floats, one sample; state0 the sample's initial state as
    (L, H) (or a pair for the LSTM), or None for zeros. Row r reads output step out_step[r]
    along class/output direction[r] (see the module docstring).
    """
    net = effective_model(model)
    runs = _run_sample(net, inputs, state0)
    w_out = net.params["out.weight"]  # (Y, H)
    top = runs[-1].hidden[:, 0]  # (T, H)
    steps = top.shape[0]
    if classify:
        logits = top @ w_out.T + net.params["out.bias"]  # (T, Y)
        direction = np.argmax(np.where(np.isfinite(logits), logits, -np.inf), axis=1)  # (T,) k_t
        out_step = np.arange(steps)
    else:
        outputs = w_out.shape[0]
        direction = np.tile(np.arange(outputs), steps)  # (T*Y,)
        out_step = np.repeat(np.arange(steps), outputs)
    grads = np.zeros((steps, out_step.size, net.config.input_size), dtype=net.dtype)  # (T_s, R, X)
    # rows grouped by output step: a row of output t needs the sweep over steps 0..t only, so
    # the group of outputs [a, b) runs b steps (about 0.56 of the full square with 8 groups)
    groups = min(GROUPS, max(1, steps // STEPS_PER_GROUP))  # short windows: a sweep's overhead dominates
    bounds = np.unique(np.linspace(0, steps, groups + 1).astype(np.int64))
    for a, b in zip(bounds[:-1], bounds[1:]):
        group = np.flatnonzero((out_step >= a) & (out_step < b))  # (R_g,) rows of this group
        dabove = np.zeros((b, group.size, top.shape[1]), dtype=net.dtype)  # (b, R_g, H) from the readout
        dabove[out_step[group], np.arange(group.size)] = w_out[direction[group]]
        for layer in range(net.config.num_layers - 1, -1, -1):
            w_ih, w_hh, _, _ = net.layer_params(layer)
            g = net.cell.backward(widened(runs[layer], group.size, b), dabove, w_hh, overwrite_dhidden=True)
            dabove = g.dxproj @ w_ih  # (b, R_g, H) into the layer below, or (b, R_g, X) at the input
        grads[:b, group] = dabove
    return grads, out_step, direction


def connectivity(model, inputs, state0=None, classify: bool = True) -> Connectivity:
    """The connectivity map of one sample (see the module docstring)."""
    with np.errstate(all="ignore"):
        grads, out_step, direction = input_gradients(model, inputs, state0, classify)
        steps = grads.shape[0]
        squared = np.einsum("srx,srx->rs", grads, grads)  # (R, T_s) ||∂(ŷ·u_r)/∂x_s||^2
        per_step = np.zeros((steps, steps))  # (T_t, T_s)
        np.add.at(per_step, out_step, squared)  # regression: the Y rows of each t summed (Frobenius)
        matrix = np.sqrt(per_step)
        matrix[np.triu_indices(steps, 1)] = 0.0  # exactly 0 already; rounding cannot leak
        totals = matrix.sum(axis=1, keepdims=True)  # (T, 1)
        share = np.where(totals > 0, matrix / np.where(totals > 0, totals, 1.0), np.nan)
    return Connectivity(matrix=matrix, by_distance=mean_by_distance(matrix), share=share,
                        readout="predicted logit" if classify else "Frobenius",
                        predicted=direction.astype(np.int64) if classify else np.full(steps, -1, dtype=np.int64))


def mean_by_distance(matrix: np.ndarray) -> np.ndarray:
    """(T,) the mean of C[t, t-d] over the T-d pairs at distance d = t - s (NaN ignored)."""
    steps = matrix.shape[0]
    out = np.full(steps, np.nan)
    for d in range(steps):
        diagonal = np.diagonal(matrix, offset=-d)  # (T-d,) C[t, t-d]
        finite = diagonal[np.isfinite(diagonal)]
        if finite.size:
            out[d] = finite.mean()
    return out
