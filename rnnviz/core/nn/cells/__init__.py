"""The cell registry: each cell name of ``ModelConfig.cell`` and the object that runs it.

The shared records live in ``base``; each cell in its own file, its backward below its forward.
"""

from __future__ import annotations

from rnnviz.core.nn.cells.base import CellGrads, CellRun, add_bias
from rnnviz.core.nn.cells.gru import GRUCell
from rnnviz.core.nn.cells.lstm import LSTMCell
from rnnviz.core.nn.cells.vanilla import VanillaCell

__all__ = ["CellGrads", "CellRun", "GRUCell", "LSTMCell", "VanillaCell", "add_bias", "make_cell"]


def make_cell(name: str):
    """The cell object for a ``ModelConfig.cell`` name."""
    if name in VanillaCell.GAMMA:
        return VanillaCell(name)
    if name == "lstm":
        return LSTMCell()
    if name == "gru":
        return GRUCell()
    raise ValueError(f"cell must be one of tanh, relu, linear, lstm, gru, got {name!r}")
