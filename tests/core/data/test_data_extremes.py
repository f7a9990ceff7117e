"""Data files at the edges: CSV values near the float range, UTF-16 text, paths that are not files."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from rnnviz.core.data.files import load_path
from rnnviz.core.data.series import SeriesSource
from rnnviz.core.errors import DataError


def test_columns_near_the_float_range_are_standardised_without_overflow(tmp_path):
    path = tmp_path / "extreme.csv"
    rows = [f"{a:.17g},{b}" for a, b in zip(1.7e308 * np.linspace(-1.0, 1.0, 40), range(40))]
    path.write_text("huge,small\n" + "\n".join(rows) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the old standard deviation overflowed with two RuntimeWarnings
        source = load_path(path)
        back = source.to_original_units(source.standard)
    assert np.isfinite(source.standard).all() and np.isfinite(source.std).all()
    train = source.standard[: len(source.train)]
    np.testing.assert_allclose(train.std(axis=0), 1.0, rtol=1e-12)  # standardised, not zeros
    np.testing.assert_allclose(back, np.loadtxt(path, delimiter=",", skiprows=1), rtol=1e-12)


def test_tiny_and_ordinary_columns_keep_their_values():
    values = np.stack([np.linspace(1e-310, 5e-310, 30), np.linspace(-3.0, 7.0, 30)], axis=1)  # subnormals
    source = SeriesSource(values, ["tiny", "plain"])
    np.testing.assert_allclose(source.to_original_units(source.standard), values, rtol=1e-9, atol=0)
    assert not source.constant_columns


def test_a_utf16_file_is_named_as_such(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_text("some text worth learning from. " * 10, encoding="utf-16")
    with pytest.raises(DataError, match=r"is UTF-16 text .*--encoding utf-16"):
        load_path(path)
    assert load_path(path, encoding="utf-16").input_size > 5


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_a_device_is_named_not_read(tmp_path, kind):
    path = "/dev/zero" if kind == "device" else tmp_path / "pipe.txt"
    if kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(DataError, match="named pipe" if kind == "fifo" else "is a device"):
        load_path(path)  # must not block on the FIFO nor read /dev/zero forever
