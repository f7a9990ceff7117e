"""Numeric series from CSV files, trained as next-step regression of every column.

A CSV file with an optional header row and one or more numeric columns becomes a (N, C) array.
Each column is standardised (mean 0, standard deviation 1 over the training part) so that the
squared error weighs columns alike and tanh units are not saturated by large values; the
transform is kept, and ``to_original_units`` turns predictions back into the file's units.
The network sees row t and predicts row t + 1, all columns at once; the state is carried from
window to window like a text stream. The last 10 % of the rows is held out for validation.

Every bad cell is a DataError naming the line and the column, so the person can go and fix it.
"""

from __future__ import annotations

import csv
import math
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from rnnviz.core.errors import DataError
from rnnviz.core.data.streams import StreamedSource, StreamWindows, validation_indices
from rnnviz.core.data.textfile import decoded_chunks

VALIDATION_FRACTION = 0.1  # as for text: the last 10 % of rows
MIN_ROWS = 3  # one row to read, one to predict, and one more so a window can move
DELIMITERS = "\t;,"  # tried in this order on the first line (a ';' file may use ',' for decimals)


class SeriesSource(StreamedSource):
    """A table of numbers read as parallel streams; every column predicted one row ahead."""

    carry_state = True  # one long series read window after window

    def __init__(self, values: np.ndarray, columns: list[str], *, name: str = "series",
                 seq_len: int | None = None) -> None:
        values = np.asarray(values, dtype=np.float64)  # (N, C) in the file's units
        if values.ndim != 2 or values.shape[0] < MIN_ROWS or values.shape[1] < 1:
            raise DataError(f"{name} needs at least {MIN_ROWS} rows of at least one column, "
                            f"got an array of shape {values.shape}")
        self.name = name
        self.columns = list(columns)
        self.input_size = self.output_size = values.shape[1]
        held_out = int(len(values) * VALIDATION_FRACTION)
        # Standardise through each column's largest magnitude: the mean and the standard deviation
        # of values near +-1e308 overflow, those of values / max|value| (all in [-1, 1]) cannot.
        scale = np.abs(values).max(axis=0)  # (C,) finite: parse_csv refuses NaN and Inf
        self.scale = np.where(scale > 0, scale, 1.0)  # (C,)
        scaled = values / self.scale  # (N, C) in [-1, 1]
        train = scaled[: len(values) - held_out]
        mean = train.mean(axis=0)  # (C,) in scaled units
        spread = train.std(axis=0)
        self.constant_columns = [c for c, s in zip(self.columns, spread) if not s > 0]
        spread = np.where(spread > 0, spread, 1.0)  # a constant column is only centred
        self.standard = (scaled - mean) / spread  # (N, C)
        self._scaled_mean, self._scaled_std = mean, spread
        self.mean = mean * self.scale  # (C,) in the file's units, finite
        self.std = spread * self.scale  # (C,) in the file's units, finite
        self.train = self.standard[: len(values) - held_out]  # (N_train, C)
        self.validation = self.standard[len(values) - held_out:]  # (N_val, C)
        needed = (seq_len or 1) + 1
        if len(self.train) < needed:
            raise DataError(
                f"{name} is too short: {len(values)} rows, {len(self.train)} after holding out "
                f"{VALIDATION_FRACTION:.0%}, but one training window of {needed - 1} steps needs {needed} rows")
        self._streams = StreamWindows(len(self.train), "row")
        steps = np.diff(self.train, axis=0)  # (N_train - 1, C)
        self._persistence_per_step = float((steps * steps).sum(axis=1).mean())
        self.description = self._describe()

    # ------------------------------------------------------------ Source protocol
    def train_batch(self, batch_size: int, seq_len: int, rng: np.random.Generator | None = None):
        """(inputs (T, B, C), targets (T, B, C)) standardised: row t in, row t + 1 out."""
        window = self.train[self._streams.next_indices(batch_size, seq_len)]  # (T + 1, B, C)
        return window[:-1], window[1:]

    def validation_batch(self, batch_size: int, seq_len: int):
        index = validation_indices(len(self.validation), batch_size, seq_len)
        if index is None:
            return None
        window = self.validation[index]  # (T + 1, b, C)
        return window[:-1], window[1:]

    def baseline(self, seq_len: int) -> float:
        """Predict-the-last-value baseline: the squared error, summed over columns and over the
        T steps (the model's loss units), of predicting row t + 1 to equal row t. It needs no
        memory, only the current input: seq_len x mean over training rows of ||z_{t+1} - z_t||^2,
        z standardised."""
        return float(seq_len) * self._persistence_per_step

    def mean_baseline(self, seq_len: int) -> float:
        """Predict-the-mean baseline: seq_len x the summed variance of the standardised training
        columns (= seq_len x C unless a column is constant)."""
        return float(seq_len) * float(self.train.var(axis=0).sum())

    def token_labels(self, inputs_for_one_sample) -> list[str]:
        """The first column's value at each step, in the file's units."""
        rows = np.asarray(inputs_for_one_sample, dtype=np.float64).reshape(-1, self.input_size)
        return [f"{v:.3g}" for v in self.to_original_units(rows)[:, 0]]

    # ------------------------------------------------------------ units
    def to_original_units(self, values) -> np.ndarray:
        """Standardised values (..., C) back to the file's units (a prediction beyond the float
        range, possible only for columns near it, is +-inf)."""
        with np.errstate(over="ignore"):
            return (np.asarray(values, dtype=np.float64) * self._scaled_std + self._scaled_mean) * self.scale

    def _describe(self) -> str:
        names = ", ".join(self.columns)
        constant = (f" Constant column(s) {', '.join(self.constant_columns)} are only centred."
                    if self.constant_columns else "")
        return (
            f"{self.name}: {len(self.standard):,} rows of {self.input_size} column(s) ({names}). At every "
            f"step the network sees one row and predicts the next, all columns at once; each column is "
            f"standardised to mean 0 and standard deviation 1 (plots of predictions are shown in the "
            f"file's units).{constant} The last {VALIDATION_FRACTION:.0%} of rows is held out for the "
            f"validation loss. The baseline line is the loss of predicting that the next row equals "
            f"this one ({self._persistence_per_step:.3f} per step): a network below it has learned "
            f"how the series moves, not just where it is.")


# ----------------------------------------------------------------------------- parsing
def _lines(chunks: Iterable[str]) -> Iterator[str]:
    """Whole lines (with their endings) from pieces of text that may cut lines anywhere."""
    tail = ""
    for chunk in chunks:
        lines = (tail + chunk).splitlines(keepends=True)
        tail = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        yield from lines
    if tail:
        yield tail


def _number(cell: str, decimal_comma: bool = False) -> float | None:
    if decimal_comma and "," in cell and "." not in cell:
        cell = cell.replace(",", ".", 1)  # 12,5 in a ';' or tab file: a decimal comma
    try:
        return float(cell)
    except ValueError:
        return None


def parse_csv(lines: Iterable[str], name: str = "data") -> tuple[np.ndarray, list[str]]:
    """(values (N, C), column names) from CSV lines; a DataError names the line and column."""
    lines = iter(lines)
    first, skipped = "", 0  # leading blank lines, so reported line numbers match the file
    for first in lines:
        if first.strip():
            break
        skipped += 1
    if not first.strip():
        raise DataError(f"{name} has no rows")
    delimiter = next((d for d in DELIMITERS if d in first), ",")
    decimal_comma = delimiter != ","
    reader = csv.reader(_chain([first], lines), delimiter=delimiter)
    values = array("d")
    columns: list[str] = []
    width = 0
    header_line = None
    for row in reader:
        line = reader.line_num + skipped
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue  # blank lines are skipped
        if width == 0:  # the first row: a header if no cell is a number
            width = len(cells)
            numbers = [_number(cell, decimal_comma) for cell in cells]
            if all(n is None for n in numbers):
                columns = [cell or f"column {j + 1}" for j, cell in enumerate(cells)]
                header_line = line
                continue
            columns = [f"column {j + 1}" for j in range(width)]
        if len(cells) != width:
            source = f"the header (line {header_line})" if header_line else "the first row"
            raise DataError(f"{name}, line {line}: {len(cells)} cells, but {source} has {width}; "
                            f"every row needs the same number of columns")
        for j, cell in enumerate(cells):
            value = _number(cell, decimal_comma)
            if value is None or not math.isfinite(value):
                raise DataError(f"{name}, line {line}, column {j + 1} ({columns[j]}): "
                                f"{_why(cell, value, header_line is None and line == 1)}")
            values.append(value)
    rows = len(values) // width if width else 0
    if rows < MIN_ROWS:
        raise DataError(f"{name} has {rows} data row{'s' if rows != 1 else ''}; a series needs at "
                        f"least {MIN_ROWS} (rows to read, a row to predict, and room to move)")
    return np.frombuffer(values, dtype=np.float64).reshape(rows, width).copy(), columns


def _why(cell: str, value: float | None, first_row: bool) -> str:
    if cell == "":
        return "the cell is empty (a missing value); fill it in or remove the row"
    if value is not None and math.isnan(value):
        return "the value is NaN; replace it with a number or remove the row"
    if value is not None:
        return f"the value {cell!r} is infinite; replace it with a finite number or remove the row"
    hint = " (a header row needs a name, not a number, in every column)" if first_row else (
        "; rnnviz reads numeric columns only: remove date or label columns")
    return f"{cell!r} is not a number{hint}"


def _chain(head: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from head
    yield from rest


def load_csv(path, *, encoding: str = "utf-8", progress: Callable[[float], None] | None = None,
             seq_len: int | None = None, name: str | None = None) -> SeriesSource:
    """Read a CSV of numbers into a SeriesSource. Raises DataError."""
    path = Path(path)
    values, columns = parse_csv(_lines(decoded_chunks(path, encoding, progress)), name=str(path))
    return SeriesSource(values, columns, name=name or f"series: {path.name}", seq_len=seq_len)
