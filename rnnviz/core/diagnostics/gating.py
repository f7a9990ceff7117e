"""The gated cells' own gradient path: the product of the "keep" gates over a lag.

In an LSTM, dc_t/dc_{t-1} = diag(f_t) along the constant error carousel, so the direct cell
path over k steps is dc_T/dc_{T-k} = diag(∏_{j=T-k+1}^{T} f_j): no W_hh and no tanh' in it.
Drawn beside the full chain ||ds_T/ds_{T-k}||, it shows how much of the gradient the forget
gates alone let through. The GRU's analogue is its update gate z (h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
gives dh_t/dh_{t-1} a diag(z_t) term), offered the same way.

Lags follow the chain's convention: entry k is for lag k, entry 0 is the empty product (1).
"""

from __future__ import annotations

import numpy as np

# The gate whose value near 1 keeps the old state, per cell: the one a gate panel shows first
KEEP_GATE = {"lstm": "forget_gate", "gru": "update_gate"}


def path_products(keep_gate: np.ndarray) -> np.ndarray:
    """Per-unit products of the keep gate over the last k steps: (T+1, H).

    keep_gate (T, H) for one sample of one layer. Entry [k, u] = ∏_{j=T-k+1}^{T} gate_j[u]
    (steps counted from 1), i.e. the diagonal of dc_T/dc_{T-k} along the direct path.
    """
    keep_gate = np.asarray(keep_gate)
    if keep_gate.ndim != 2:
        raise ValueError(f"keep_gate must have shape (T, H), got {keep_gate.shape}")
    steps, hid = keep_gate.shape
    out = np.ones((steps + 1, hid), dtype=np.result_type(keep_gate.dtype, np.float32))
    np.cumprod(keep_gate[::-1], axis=0, out=out[1:])  # gates multiplied backwards from step T
    return out


def keep_paths(keep_gate: np.ndarray, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(largest unit's product (T+1,), median unit's product (T+1,)) of one layer's (T, H) gate in
    input order; NaN where a gate was not finite. ``reverse``: the gate of a backward direction,
    which processes the input from its end, so its last k steps are input steps 0..k-1."""
    gate = np.asarray(keep_gate, dtype=float)
    gate = gate[::-1] if reverse else gate  # processing order
    products = path_products(np.where(np.isfinite(gate), gate, np.nan))  # (T+1, H)
    good = np.isfinite(products).all(axis=1)  # a lag that crossed a NaN gate is unknown for every unit
    best, median = np.full(products.shape[0], np.nan), np.full(products.shape[0], np.nan)
    if products.shape[1]:
        best[good], median[good] = products[good].max(axis=1), np.median(products[good], axis=1)
    return best, median


def direction_gates(gate: np.ndarray, parts: tuple, part_steps: tuple = (),
                    reversed_source: bool = False) -> list[tuple[str, np.ndarray, bool]]:
    """One layer's gate split by the network's parts: [(name, gate, reverse)], each gate in input
    order and ``reverse`` when its stack processed that order backwards.

    - side by side in the units (a bidirectional net's forward then backward): (T, 2H) -> two (T, H);
    - one after the other in time (an encoder-decoder: ``part_steps`` (S, U)) -> (S, H) and (U, H),
      the encoder's reversed when it read the source reversed; a stack's missing units (NaN,
      two sizes) are dropped;
    - one stack: [("", gate, False)].
    """
    gate = np.asarray(gate)
    parts = tuple(parts)
    if parts == ("forward", "backward") and gate.shape[-1] % 2 == 0:
        half = gate.shape[-1] // 2
        return [("forward", gate[:, :half], False), ("backward", gate[:, half:], True)]
    if len(part_steps) == len(parts) == 2 and sum(part_steps) == gate.shape[0]:
        split = []
        for k, (name, rows) in enumerate(zip(parts, np.split(gate, [part_steps[0]]))):
            units = ~np.isnan(rows).all(axis=0)  # (H,) the units this stack has
            split.append((name, rows[:, units], reversed_source and k == 0))
        return split
    return [("", gate, False)]


def path_norms(keep_gate: np.ndarray) -> np.ndarray:
    """||dc_T/dc_{T-k}|| along the direct path for k = 0..T: (T+1,).

    The 2-norm of a diagonal matrix is its largest entry, so this is the best-kept unit's product.
    """
    return path_products(keep_gate).max(axis=1)


def direct_path(trace, layer: int = 0, sample: int = 0) -> np.ndarray | None:
    """The direct-path curve (T+1,) of one sample and layer of a model Trace, or None.

    Uses ``trace.extras["forget_gate"]`` (LSTM) or ``trace.extras["update_gate"]`` (GRU);
    returns None for cells without a keep gate (tanh, relu, linear), so callers can draw
    the curve only when it exists.
    """
    for gate in KEEP_GATE.values():
        if gate in trace.extras:
            values = trace.extras[gate]  # (T, L, B, H)
            if not (0 <= layer < values.shape[1] and 0 <= sample < values.shape[2]):
                raise ValueError(f"layer {layer} / sample {sample} outside the trace "
                                 f"({values.shape[1]} layers, {values.shape[2]} samples)")
            return path_norms(values[:, layer, sample])
    return None
