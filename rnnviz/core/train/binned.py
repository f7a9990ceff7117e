"""Rows recorded over training in bounded memory: the buffer behind the gradient-flow heatmap and
the distribution bands.

While it has room, every row is stored with its step. When it is full, neighbouring pairs of
stored rows merge into one (kept at the first row's step) and the bin width doubles; from then on
incoming rows gather in one open bin of that width before being stored. How two rows merge is the
subclass's choice (``merge``): an element-wise maximum keeps a burst in sight, an envelope keeps a
band's outer percentiles. Memory is ``capacity`` rows plus the open bin, however long the run.
"""

from __future__ import annotations

import numpy as np


class BinnedRows:
    """At most ``capacity`` rows (steps (N,), rows (N, width)) plus one open bin."""

    def __init__(self, capacity: int, width: int) -> None:
        self.capacity = max(4, capacity // 2 * 2)  # rows merge in pairs
        self.steps = np.empty(self.capacity)  # (capacity,)
        self.rows = np.empty((self.capacity, width))  # (capacity, width)
        self.n = 0  # stored rows
        self.bin = 1  # recorded rows per stored row
        self.p_count = 0  # rows in the open bin
        self.p_step = 0.0  # the open bin's first step
        self.p_row = np.full(width, np.nan)  # (width,) the open bin's merged row

    @staticmethod
    def merge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Two rows (..., width) as one, a new array."""
        raise NotImplementedError

    def append(self, step: float, row: np.ndarray) -> None:
        if self.bin == 1 and self.n < self.capacity:
            self.steps[self.n], self.rows[self.n] = step, row
            self.n += 1
            return
        if self.bin == 1:
            self._compress()
        if self.p_count == 0:
            self.p_row, self.p_step = np.array(row, dtype=np.float64), step
        else:
            self.p_row = self.merge(self.p_row, row)
        self.p_count += 1
        if self.p_count == self.bin:
            if self.n == self.capacity:
                self._compress()
            self.steps[self.n], self.rows[self.n] = self.p_step, self.p_row
            self.n += 1
            self.p_count = 0

    def _compress(self) -> None:
        """Merge stored rows in pairs, halving them; the bin width doubles."""
        half = self.n // 2
        merged = self.merge(self.rows[0:2 * half:2], self.rows[1:2 * half:2])
        steps = self.steps[0:2 * half:2].copy()
        rest = self.n - 2 * half
        self.rows[:half], self.steps[:half] = merged, steps
        if rest:
            self.rows[half], self.steps[half] = self.rows[self.n - 1], self.steps[self.n - 1]
        self.n = half + rest
        self.bin *= 2

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies (steps (N,), rows (N, width)), the open bin included."""
        if self.p_count:
            return np.append(self.steps[:self.n], self.p_step), np.vstack([self.rows[:self.n], self.p_row[None]])
        return self.steps[:self.n].copy(), self.rows[:self.n].copy()

    def truncate(self, step: float) -> None:
        """Forget every row after ``step`` (a roll back); the open bin closes."""
        steps, rows = self.data()
        keep = steps <= step
        self.n = min(int(keep.sum()), self.capacity)
        self.steps[:self.n] = steps[keep][-self.n:] if self.n else steps[:0]
        self.rows[:self.n] = rows[keep][-self.n:] if self.n else rows[:0]
        self.p_count = 0
