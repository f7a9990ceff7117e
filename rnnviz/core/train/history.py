"""Training history in bounded memory: curves that keep their spikes, however long the run.

A run may last a million steps; the window may stay open for days. Each curve is a fixed
buffer: while it has room, every point is kept; when it is full, each group of four stored
points is merged into two, that group's minimum and maximum in time order, and from then on
incoming points are gathered into bins of the new width before being stored the same way.
A loss spike or a gradient explosion therefore survives any amount of downsampling.

The gradient-flow heatmap (one profile ||dL/dh_t|| over t per recorded step) is bounded the
same way: pairs of rows merge by their element-wise maximum, so a burst stays visible.
"""

from __future__ import annotations

import math

import numpy as np

from rnnviz.core.train.binned import BinnedRows

SERIES = ("loss", "loss_smooth", "val_loss", "grad_norm", "clipped_norm", "clip_fraction",
          "update_ratio", "param_norm", "horizon")


class Series:
    """One curve: (step, value) pairs in at most ``capacity`` stored points plus one open bin."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(8, capacity // 4 * 4)  # groups of four merge into two
        self.steps = np.empty(self.capacity, dtype=np.float64)
        self.values = np.empty(self.capacity, dtype=np.float64)
        self.n = 0
        self.bin = 1  # raw points per bin; 1 = every point stored as it comes
        self._clear_pending()

    def _clear_pending(self) -> None:
        self.p_count = 0  # raw points in the open bin
        self.p_min = self.p_max = self.p_last = (0.0, 0.0)  # (step, value)

    # ------------------------------------------------------------------ adding points
    def append(self, step: float, value: float) -> None:
        """Add one point; non-finite values are skipped (they would poison min and max)."""
        if not math.isfinite(value):
            return
        if self.bin == 1:
            if self.n < self.capacity:
                self.steps[self.n] = step
                self.values[self.n] = value
                self.n += 1
                return
            self._compress()
        if self.p_count == 0:  # a new bin opens: make room for its two points first
            if self.n + 2 > self.capacity:
                self._compress()
            self.p_min = self.p_max = (step, value)
        elif value < self.p_min[1]:
            self.p_min = (step, value)
        elif value > self.p_max[1]:
            self.p_max = (step, value)
        self.p_last = (step, value)
        self.p_count += 1
        if self.p_count == self.bin:
            self._flush()

    def extend(self, steps, values) -> None:
        """Add many points at once; gives exactly what repeated ``append`` gives, much faster."""
        steps = np.asarray(steps, dtype=np.float64).reshape(-1)
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        keep = np.isfinite(values)
        if not keep.all():
            steps, values = steps[keep], values[keep]
        i, total = 0, values.size
        while i < total:
            if self.bin == 1:
                take = min(self.capacity - self.n, total - i)
                self.steps[self.n:self.n + take] = steps[i:i + take]
                self.values[self.n:self.n + take] = values[i:i + take]
                self.n += take
                i += take
                if i < total:
                    self._compress()
                continue
            while self.p_count and i < total:  # finish the open bin point by point
                self.append(steps[i], values[i])
                i += 1
            free_bins = (self.capacity - self.n) // 2
            whole = min(free_bins, (total - i) // self.bin)
            if whole == 0:
                if free_bins == 0 and total - i >= self.bin:
                    self._compress()
                    continue
                for j in range(i, total):  # fewer than a bin left: they open the next bin
                    self.append(steps[j], values[j])
                break
            block_v = values[i:i + whole * self.bin].reshape(whole, self.bin)
            block_s = steps[i:i + whole * self.bin].reshape(whole, self.bin)
            self._store_pairs(block_s, block_v)
            i += whole * self.bin

    def _store_pairs(self, block_s: np.ndarray, block_v: np.ndarray) -> None:
        """Store each row's min and max (first occurrences, in time order). rows (G, k)."""
        width = block_v.shape[1]
        lo = block_v.argmin(axis=1)
        hi = block_v.argmax(axis=1)
        flat = lo == hi  # only when the whole row is equal: keep its first and last point
        hi = np.where(flat, width - 1, hi)
        first, second = np.minimum(lo, hi), np.maximum(lo, hi)
        rows = np.arange(block_v.shape[0])
        count = 2 * block_v.shape[0]
        self.steps[self.n:self.n + count:2] = block_s[rows, first]
        self.steps[self.n + 1:self.n + count:2] = block_s[rows, second]
        self.values[self.n:self.n + count:2] = block_v[rows, first]
        self.values[self.n + 1:self.n + count:2] = block_v[rows, second]
        self.n += count

    def _pending_points(self) -> list[tuple[float, float]]:
        if self.p_count == 0:
            return []
        low, high = self.p_min, self.p_max
        if low[0] == high[0]:  # all values equal so far: first and last point
            high = self.p_last
        if low[0] == high[0]:
            return [low]
        return sorted([low, high])

    def _flush(self) -> None:
        for step, value in self._pending_points():
            self.steps[self.n] = step
            self.values[self.n] = value
            self.n += 1
        self._clear_pending()

    def _compress(self) -> None:
        """Merge each four stored points into two (min and max); bins double in width."""
        groups = self.n // 4
        rest = self.n - groups * 4
        tail_s = self.steps[groups * 4:self.n].copy()
        tail_v = self.values[groups * 4:self.n].copy()
        block_s = self.steps[:groups * 4].reshape(groups, 4).copy()
        block_v = self.values[:groups * 4].reshape(groups, 4).copy()
        self.n = 0
        self._store_pairs(block_s, block_v)
        self.steps[self.n:self.n + rest] = tail_s
        self.values[self.n:self.n + rest] = tail_v
        self.n += rest
        self.bin = 4 if self.bin == 1 else self.bin * 2

    # ------------------------------------------------------------------ reading
    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies (steps (N,), values (N,)), the open bin's min and max included."""
        pending = self._pending_points()
        steps = np.concatenate([self.steps[:self.n], [p[0] for p in pending]])
        values = np.concatenate([self.values[:self.n], [p[1] for p in pending]])
        return steps, values

    def last(self) -> float | None:
        if self.p_count:
            return self.p_last[1]
        return float(self.values[self.n - 1]) if self.n else None

    def truncate(self, step: float) -> None:
        """Forget every point after ``step`` (used by roll-back); the open bin is stored."""
        steps, values = self.points()
        keep = steps <= step
        kept_s, kept_v = steps[keep], values[keep]
        self.n = min(kept_s.size, self.capacity)
        self.steps[:self.n] = kept_s[-self.n:] if self.n else kept_s[:0]
        self.values[:self.n] = kept_v[-self.n:] if self.n else kept_v[:0]
        self._clear_pending()

    # ------------------------------------------------------------------ saving
    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        meta = [self.bin, self.p_count, *self.p_min, *self.p_max, *self.p_last]
        return {f"{prefix}/steps": self.steps[:self.n].copy(), f"{prefix}/values": self.values[:self.n].copy(),
                f"{prefix}/meta": np.array(meta, dtype=np.float64)}

    def load_arrays(self, arrays: dict, prefix: str) -> None:
        steps, values = arrays[f"{prefix}/steps"], arrays[f"{prefix}/values"]
        meta = np.asarray(arrays[f"{prefix}/meta"], dtype=np.float64)
        if steps.shape != values.shape or steps.ndim != 1 or steps.size > self.capacity or meta.shape != (8,):
            raise ValueError(f"history {prefix!r} does not fit a buffer of {self.capacity} points")
        self.n = steps.size
        self.steps[:self.n] = steps
        self.values[:self.n] = values
        self.bin, self.p_count = int(meta[0]), int(meta[1])
        self.p_min, self.p_max, self.p_last = (meta[2], meta[3]), (meta[4], meta[5]), (meta[6], meta[7])


class ProfileBuffer(BinnedRows):
    """Gradient profiles (S, T) at recorded steps, at most ``capacity`` rows plus one open bin;
    pairs of rows merge by their element-wise maximum."""

    merge = staticmethod(np.fmax)

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity, 0)
        self.width = 0

    def _resize(self, width: int) -> None:
        """The window length changed: keep old rows, padded with NaN or cut to the new width."""
        rows = np.full((self.capacity, width), np.nan)
        keep = min(width, self.width)
        rows[:self.n, :keep] = self.rows[:self.n, :keep]
        pending = np.full(width, np.nan)
        pending[:keep] = self.p_row[:keep]
        self.rows, self.p_row, self.width = rows, pending, width

    def append(self, step: float, profile) -> None:
        profile = np.asarray(profile, dtype=np.float64).reshape(-1)  # (T,)
        if profile.size != self.width:
            self._resize(profile.size)
        super().append(step, profile)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"flow/steps": self.steps[:self.n].copy(), "flow/rows": self.rows[:self.n].copy(),
                "flow/pending": self.p_row.copy(),
                "flow/meta": np.array([self.bin, self.p_count, self.p_step, self.width], dtype=np.float64)}

    def load_arrays(self, arrays: dict) -> None:
        steps, rows = arrays["flow/steps"], arrays["flow/rows"]
        meta = np.asarray(arrays["flow/meta"], dtype=np.float64)
        width = int(meta[3]) if meta.shape == (4,) else -1
        if (steps.ndim != 1 or rows.ndim != 2 or rows.shape != (steps.size, width)
                or steps.size > self.capacity or arrays["flow/pending"].shape != (width,)):
            raise ValueError(f"gradient-flow history does not fit a buffer of {self.capacity} rows")
        self.width = 0
        self.n = 0
        self._resize(width)
        self.n = steps.size
        self.steps[:self.n] = steps
        self.rows[:self.n] = rows
        self.p_row = np.array(arrays["flow/pending"], dtype=np.float64)
        self.bin, self.p_count, self.p_step = int(meta[0]), int(meta[1]), float(meta[2])


class History:
    """Every per-step curve of a run, and its gradient-flow profiles, in bounded memory."""

    def __init__(self, size: int = 4000, flow_size: int = 400) -> None:
        self.size = size
        self.flow_size = flow_size
        self._series = {name: Series(size) for name in SERIES}
        self._flow = ProfileBuffer(flow_size)

    def record(self, step: int, **values) -> None:
        """``record(12, loss=3.1, grad_norm=0.4)``: one point on each named curve."""
        for name, value in values.items():
            self._series[name].append(step, value)

    def append(self, name: str, step: int, value: float) -> None:
        self._series[name].append(step, value)

    def extend(self, name: str, steps, values) -> None:
        self._series[name].extend(steps, values)

    def record_profile(self, step: int, profile) -> None:
        """One gradient profile ||dL/dh_t|| over the window, (T,)."""
        self._flow.append(step, profile)

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Copies (steps (N,), values (N,)) of one curve."""
        if name not in self._series:
            raise KeyError(f"no history series {name!r}; known: {', '.join(SERIES)}")
        return self._series[name].points()

    def last(self, name: str) -> float | None:
        return self._series[name].last()

    def flow(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies (steps (S,), profiles (S, T))."""
        return self._flow.data()

    def truncate(self, step: int) -> None:
        for s in self._series.values():
            s.truncate(step)
        self._flow.truncate(step)

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {}
        for name, s in self._series.items():
            arrays.update(s.to_arrays(f"series/{name}"))
        arrays.update(self._flow.to_arrays())
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict, size: int = 4000, flow_size: int = 400) -> "History":
        """Rebuild from ``to_arrays()``; raises ValueError when the arrays do not fit."""
        history = cls(size, flow_size)
        try:
            for name, s in history._series.items():
                s.load_arrays(arrays, f"series/{name}")
            history._flow.load_arrays(arrays)
        except KeyError as exc:
            raise ValueError(f"history array {exc.args[0]!r} is missing") from None
        return history
