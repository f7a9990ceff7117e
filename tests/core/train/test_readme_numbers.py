"""The numbers the README quotes about data and defaults, measured from the current code."""

from __future__ import annotations

import pytest

from rnnviz.core.data import files
from rnnviz.core.train.presets import DEFAULT_MODEL, DEFAULT_TASK_LENGTH, DEFAULT_TRAIN


def test_default_sample_baselines_per_50_character_window():
    source = files.load_sample(None)
    window = DEFAULT_TRAIN["seq_len"]
    assert window == 50
    assert source.baseline(window) == pytest.approx(111.5, abs=0.05)
    assert source.unigram_baseline(window) == pytest.approx(154.5, abs=0.05)
    assert source.uniform_baseline(window) == pytest.approx(203.9, abs=0.05)


def test_the_start_settings_the_readme_states():
    assert (DEFAULT_MODEL["cell"], DEFAULT_MODEL["hidden_size"]) == ("tanh", 64)
    assert (DEFAULT_TRAIN["optimizer"], DEFAULT_TRAIN["lr"], DEFAULT_TRAIN["batch_size"]) == ("adam", 3e-3, 16)
    assert DEFAULT_TRAIN["clip_mode"] == "none" and DEFAULT_TASK_LENGTH == 50
