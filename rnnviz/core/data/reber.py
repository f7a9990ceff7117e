"""The embedded Reber grammar: strings to generate, and its exact symbol frequencies.

The Reber grammar (Reber 1967) is a small finite automaton; each node picks one of its two
edges with probability 1/2. The embedded form (Hochreiter & Schmidhuber 1997) wraps a Reber
string as B, T|P, <string>, the same T|P, E: predicting that second T or P needs the first
one remembered across the whole inner string. Kept apart from ``tasks`` because the grammar
and its Markov-chain arithmetic are one idea of their own.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

REBER_SYMBOLS = "BTPSXVE"  # token id = index here
END = 7  # the node after the final E
# node -> ((symbol, next node), ...): the standard Reber automaton
GRAPH = {
    0: (("B", 1),),
    1: (("T", 2), ("P", 3)),
    2: (("S", 2), ("X", 4)),
    3: (("T", 3), ("V", 5)),
    4: (("X", 3), ("S", 6)),
    5: (("P", 4), ("V", 6)),
    6: (("E", END),),
}
_ID = {symbol: i for i, symbol in enumerate(REBER_SYMBOLS)}


def reber_string(rng: np.random.Generator) -> list[int]:
    """One Reber string as token ids, from B to E."""
    node, out = 0, []
    while node != END:
        edges = GRAPH[node]
        symbol, node = edges[int(rng.integers(len(edges)))] if len(edges) > 1 else edges[0]
        out.append(_ID[symbol])
    return out


def embedded_reber_string(rng: np.random.Generator) -> list[int]:
    """B, T or P, a Reber string, the same T or P, E."""
    wrap = _ID["T"] if rng.integers(2) == 0 else _ID["P"]
    return [_ID["B"], wrap, *reber_string(rng), wrap, _ID["E"]]


def embedded_reber_stream(length: int, rng: np.random.Generator) -> np.ndarray:
    """(length,) int64 ids: embedded Reber strings back to back, cut to ``length``."""
    out: list[int] = []
    while len(out) < length:
        out.extend(embedded_reber_string(rng))
    return np.array(out[:length], dtype=np.int64)


@lru_cache(maxsize=1)
def reber_expected_counts() -> np.ndarray:
    """(7,) expected number of each symbol in one Reber string: visits = e_0 (I - Q)^-1."""
    nodes = len(GRAPH)
    q = np.zeros((nodes, nodes))  # (7, 7) transitions between nodes before the end
    emits = np.zeros((nodes, len(REBER_SYMBOLS)))  # (7, 7) P(symbol | node)
    for node, edges in GRAPH.items():
        for symbol, target in edges:
            emits[node, _ID[symbol]] += 1 / len(edges)
            if target != END:
                q[node, target] += 1 / len(edges)
    visits = np.linalg.solve((np.eye(nodes) - q).T, np.eye(nodes)[0])  # (7,) expected visits from node 0
    return visits @ emits


def embedded_reber_unigram() -> np.ndarray:
    """(7,) long-run symbol frequencies in a stream of embedded strings: expected counts per
    embedded string over its expected length (the renewal-reward theorem)."""
    counts = reber_expected_counts().copy()
    counts[_ID["B"]] += 1
    counts[_ID["E"]] += 1
    counts[_ID["T"]] += 1  # the wrapping T|P appears twice, T or P with probability 1/2 each
    counts[_ID["P"]] += 1
    return counts / counts.sum()


BIGRAM_SAMPLE = 200_000  # symbols drawn to estimate H(next | current): about 0.005 nats of noise


@lru_cache(maxsize=1)
def embedded_reber_conditional_entropy() -> float:
    """H(next symbol | current symbol) of the embedded Reber stream, nats per symbol: what a
    predictor without memory can reach. Estimated from a fixed, seeded stream of BIGRAM_SAMPLE
    symbols (the pair statistics of the embedded grammar have no short closed form)."""
    stream = embedded_reber_stream(BIGRAM_SAMPLE, np.random.default_rng(0))
    symbols = len(REBER_SYMBOLS)
    table = np.bincount(stream[:-1] * symbols + stream[1:], minlength=symbols * symbols)
    table = table.reshape(symbols, symbols).astype(np.float64)  # (current, next) counts
    rows = table.sum(axis=1, keepdims=True)
    seen = table > 0
    logs = np.log(np.where(seen, table, 1.0) / np.maximum(rows, 1.0))
    return float(-(table * logs).sum() / table.sum())
