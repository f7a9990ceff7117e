"""Distributions over training, in bounded memory, with NaN and Inf kept in sight.

For every parameter, its gradient and each layer's hidden states (of the first eight
sequences of the batch), a recorded step keeps the
percentiles TensorBoard draws as bands (0, 7, 16, 31, 50, 69, 84, 93, 100) of the finite
values, and beside them how many values were NaN, +Inf and -Inf. Non-finite values are
counted, never dropped and never mixed into the percentiles, so one exploding step cannot
turn the earlier bands into NaN and a step that blew up still shows as a mark of its own.

Memory is bounded like the rest of the history (``history.py``): each quantity is a buffer of
at most ``capacity`` rows; when full, pairs of rows merge into one that keeps the outer
envelope (the lower percentiles the minimum of the two, the upper ones the maximum, the median
their mean; the non-finite counts the maximum), so a burst survives any amount of merging.

``symlog`` is the axis the bands are drawn on: sign(v) log10(1 + |v| / c), linear within c of
zero and logarithmic outside, so 1e-30 and 1e10 fit on one axis.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.train.binned import BinnedRows

PERCENTILES = (0, 7, 16, 31, 50, 69, 84, 93, 100)
COUNTS = ("nan", "posinf", "neginf", "size")  # after the percentiles in each row
WIDTH = len(PERCENTILES) + len(COUNTS)
NAN, POSINF, NEGINF, SIZE = range(len(PERCENTILES), WIDTH)
HIDDEN_SAMPLES = 8  # sequences of a batch whose hidden states make the "hidden/l<layer>" bands
_LOWER = slice(0, 4)  # 0, 7, 16, 31: merged by minimum
_MEDIAN = 4
_UPPER = slice(5, 9)  # 69, 84, 93, 100: merged by maximum


def summarize_values(values) -> np.ndarray:
    """One row (WIDTH,): the percentiles of the finite values (NaN when there are none), then the
    counts of NaN, +Inf, -Inf and of all values."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    row = np.empty(WIDTH)
    finite = np.isfinite(values)
    if finite.all():
        kept = values
    else:
        kept = values[finite]
    row[:len(PERCENTILES)] = percentiles(kept) if kept.size else np.nan
    if finite.all():
        row[NAN] = row[POSINF] = row[NEGINF] = 0
    else:
        bad = values[~finite]
        row[NAN] = np.isnan(bad).sum()
        row[POSINF] = (bad == np.inf).sum()
        row[NEGINF] = (bad == -np.inf).sum()
    row[SIZE] = values.size
    return row


_FRACTIONS = np.array(PERCENTILES) / 100.0


def percentiles(values: np.ndarray) -> np.ndarray:
    """``numpy.percentile(values, PERCENTILES)`` (its default "linear" method) for a 1-D array with
    at least one value, by one partition: numpy.percentile's own overhead is most of its cost on
    the small arrays recorded here (a bias, a 64 x 64 weight)."""
    n = values.size
    virtual = (n - 1) * _FRACTIONS  # (9,)
    below = np.floor(virtual).astype(np.int64)
    above = np.minimum(below + 1, n - 1)
    gamma = virtual - below
    part = np.partition(values, np.unique(np.concatenate([below, above])))
    a, b = part[below], part[above]
    diff = b - a
    out = a + diff * gamma
    upper = gamma >= 0.5  # numpy's lerp, from the nearer end (exact at gamma = 1)
    out[upper] = b[upper] - diff[upper] * (1 - gamma[upper])
    return out


def merge_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The envelope of two rows (..., WIDTH): see the module docstring."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    with np.errstate(invalid="ignore"):
        out[..., _LOWER] = np.fmin(a[..., _LOWER], b[..., _LOWER])
        out[..., _UPPER] = np.fmax(a[..., _UPPER], b[..., _UPPER])
        both = np.isfinite(a[..., _MEDIAN]) & np.isfinite(b[..., _MEDIAN])
        out[..., _MEDIAN] = np.where(both, 0.5 * (a[..., _MEDIAN] + b[..., _MEDIAN]),
                                     np.fmax(a[..., _MEDIAN], b[..., _MEDIAN]))
    out[..., NAN:] = np.maximum(a[..., NAN:], b[..., NAN:])
    return out


class BandBuffer(BinnedRows):
    """Rows (step, WIDTH values) of one quantity: at most ``capacity`` stored plus one open bin."""

    merge = staticmethod(merge_rows)

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity, WIDTH)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}/steps": self.steps[:self.n].copy(), f"{prefix}/rows": self.rows[:self.n].copy(),
                f"{prefix}/pending": self.p_row.copy(),
                f"{prefix}/meta": np.array([self.bin, self.p_count, self.p_step], dtype=np.float64)}

    def load_arrays(self, arrays: dict, prefix: str) -> None:
        """Raises ValueError when the arrays do not fit this buffer."""
        steps, rows = np.asarray(arrays[f"{prefix}/steps"]), np.asarray(arrays[f"{prefix}/rows"])
        pending, meta = np.asarray(arrays[f"{prefix}/pending"]), np.asarray(arrays[f"{prefix}/meta"])
        if (steps.ndim != 1 or rows.shape != (steps.size, WIDTH) or steps.size > self.capacity
                or pending.shape != (WIDTH,) or meta.shape != (3,)
                or not all(np.issubdtype(a.dtype, np.floating) for a in (steps, rows, pending, meta))):
            raise ValueError(f"distribution history {prefix!r} does not fit a buffer of {self.capacity} rows")
        if not (np.isfinite(steps).all() and np.isfinite(meta).all()):
            raise ValueError(f"distribution history {prefix!r} has steps that are not numbers")
        bin_, count = int(meta[0]), int(meta[1])
        if bin_ < 1 or bin_ & (bin_ - 1) or not 0 <= count < bin_ or bin_ != meta[0] or count != meta[1]:
            raise ValueError(f"distribution history {prefix!r} has a damaged bin size")
        self.n = steps.size
        self.steps[:self.n], self.rows[:self.n] = steps, rows
        self.p_row = pending.astype(np.float64)
        self.bin, self.p_count, self.p_step = bin_, count, float(meta[2])


class Distributions:
    """Every quantity's bands: parameters by name, "grad/<name>", and "hidden/l<layer>"."""

    MAX_QUANTITIES = 256  # a session naming more than this is refused as damaged

    def __init__(self, capacity: int = 400) -> None:
        self.capacity = capacity
        self._buffers: dict[str, BandBuffer] = {}

    def _add(self, name: str, step: int, values) -> None:
        buffer = self._buffers.get(name)
        if buffer is None:
            buffer = self._buffers[name] = BandBuffer(self.capacity)
        row = summarize_values(values)
        last = buffer.n - 1
        if (buffer.bin == 1 and buffer.p_count == 0 and last >= 0 and buffer.steps[last] == step
                and np.array_equal(buffer.rows[last], row, equal_nan=True)):
            return  # the same step tried again on the same weights (training on after a divergence): once
        buffer.append(float(step), row)

    def record(self, step: int, params: dict, grads: dict, hidden: np.ndarray) -> None:
        """One row for each parameter, each gradient and each layer's hidden states (T, L, B, H),
        of the first HIDDEN_SAMPLES sequences of the batch (a partition of all T*B*H values was
        most of the recording's cost, ~10 % of training at B = 32)."""
        for name, value in params.items():
            self._add(name, step, value)
        for name, value in grads.items():
            self._add(f"grad/{name}", step, value)
        for layer in range(hidden.shape[1]):
            self._add(f"hidden/l{layer}", step, hidden[:, layer, :HIDDEN_SAMPLES])

    def names(self) -> list[str]:
        return list(self._buffers)

    def data(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{name: (steps (N,), rows (N, WIDTH))}, copies."""
        return {name: buffer.data() for name, buffer in self._buffers.items()}

    def rebinned(self, capacity: int) -> "Distributions":
        """The same rows in buffers of another capacity (merged further when it is smaller)."""
        out = Distributions(capacity)
        for name, (steps, rows) in self.data().items():
            buffer = out._buffers[name] = BandBuffer(capacity)
            for step, row in zip(steps, rows):
                buffer.append(float(step), row)
        return out

    def truncate(self, step: int) -> None:
        for buffer in self._buffers.values():
            buffer.truncate(step)

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {"names": np.array(self.names(), dtype=str)}
        for i, buffer in enumerate(self._buffers.values()):
            arrays.update(buffer.to_arrays(str(i)))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict, capacity: int = 400) -> "Distributions":
        """Rebuild from ``to_arrays()``; raises ValueError when anything does not fit."""
        out = cls(capacity)
        if not arrays:
            return out
        names = arrays.get("names")
        if names is None or names.ndim != 1 or names.dtype.kind != "U" or names.size > cls.MAX_QUANTITIES:
            raise ValueError("the distribution history's names are missing or damaged")
        if len(set(names.tolist())) != names.size:
            raise ValueError("the distribution history names a quantity twice")
        try:
            for i, name in enumerate(names.tolist()):
                buffer = BandBuffer(capacity)
                buffer.load_arrays(arrays, str(i))
                out._buffers[name] = buffer
        except KeyError as exc:
            raise ValueError(f"distribution history array {exc.args[0]!r} is missing") from None
        return out


# ----------------------------------------------------------------------------- the symmetric-log axis
def symlog(values, threshold: float) -> np.ndarray:
    """sign(v) log10(1 + |v| / threshold): linear near 0, log10 beyond ``threshold``; NaN stays NaN."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.sign(values) * np.log10(1.0 + np.abs(values) / threshold)


def symlog_inverse(y, threshold: float) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.sign(y) * threshold * (10.0 ** np.abs(y) - 1.0)


def symlog_threshold(rows: np.ndarray) -> float:
    """The linear range of the axis for a quantity: a decade below the smallest typical size,
    min over the rows of |p16| and |p84| (the one-sigma edges), rounded down to a power of ten;
    so the bands of every recorded step span decades, while the median's wobble around 0 of a
    zero-centred gradient stays in the linear part. Falls back to the smallest non-zero
    |percentile|, then to 1."""
    rows = np.asarray(rows, dtype=np.float64)
    for columns in ([2, 6], slice(0, len(PERCENTILES))):
        sizes = np.abs(rows[..., columns])
        positive = sizes[np.isfinite(sizes) & (sizes > 0)]
        if positive.size:
            scale = positive.min() / (10.0 if isinstance(columns, list) else 1.0)
            return float(10.0 ** np.floor(np.log10(max(scale, 1e-300))))
    return 1.0
