"""argparse ``type=`` converters shared by the commands: argparse names the flag in the error,
and the commands' parser turns it into one line ``rnnviz: error: ...`` with exit code 2."""

from __future__ import annotations

import argparse
import math


def whole(text: str) -> int:
    """A whole number (any sign: the settings check their own ranges)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def number(text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_whole(text: str) -> int:
    """A whole number of at least 1."""
    value = whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value}")
    return value
