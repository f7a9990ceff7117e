"""rnnviz: watch vanishing and exploding gradients inside a recurrent network as it trains.

The package root stays free of Qt so that ``rnnviz.core`` (plain numpy) can be used, and
tested, on a machine without a display or without PyQt6 installed.
"""

__version__ = "0.1.0"
