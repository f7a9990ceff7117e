"""A bidirectional trace joins [forward, backward] only when read, and then exactly as PyTorch lays it out."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rnnviz.core import ModelConfig
from rnnviz.core.nn.shapes import make_model
from rnnviz.core.nn.shapes.joined import LAZY, JoinedTrace
from rnnviz.core.train import divergence

T, B, X, H, Y = 6, 3, 5, 4, 3
LENGTHS = np.array([6, 3, 1])


def _trace(cell="lstm", layers=2, padded=False, kind="ce_steps"):
    rng = np.random.default_rng(0)
    model = make_model(ModelConfig(input_size=X, hidden_size=H, output_size=Y, cell=cell, num_layers=layers,
                                   bidirectional=True, pad_id=0 if padded else None))
    inputs = rng.integers(1, X, (T, B))
    if padded:
        inputs[np.arange(T)[:, None] >= LENGTHS[None, :]] = 0
    targets = rng.integers(0, Y, (T, B)) if kind == "ce_steps" else rng.integers(0, Y, (B,))
    return model.loss_and_grads(inputs, targets)[2]


def _unjoined(trace) -> list[str]:
    return [name for name in LAZY if trace.__dict__.get("_" + name) is None]


@pytest.mark.parametrize("padded", [False, True], ids=["plain", "padded"])
def test_joined_arrays_are_each_direction_in_input_order(padded):
    trace = _trace(padded=padded, kind="ce_last" if padded else "ce_steps")
    assert isinstance(trace, JoinedTrace) and _unjoined(trace) == list(LAZY)  # the step joined nothing
    forward, backward = trace.parts["forward"], trace.parts["backward"]
    batch = np.arange(B)
    for name in ("hidden", "grad_hidden"):
        joined = getattr(trace, name)  # (T, L, B, 2H)
        assert joined.shape == (T, 2, B, 2 * H)
        np.testing.assert_array_equal(joined[..., :H], getattr(forward, name))
        for b, n in zip(batch, LENGTHS if padded else [T] * B):
            # the backward direction's processing step s read input step n-1-s; pads keep their place
            np.testing.assert_array_equal(joined[:n, :, b, H:], getattr(backward, name)[:n, :, b][::-1])
            np.testing.assert_array_equal(joined[n:, :, b, H:], getattr(backward, name)[n:, :, b])
    assert set(trace.extras) == set(forward.extras) and "forget_gate" in trace.extras
    np.testing.assert_array_equal(trace.extras["cell"][..., :H], forward.extras["cell"])
    assert _unjoined(trace) == []
    assert trace.hidden is trace.hidden  # joined once, then kept


def test_replace_and_assignment_keep_working():
    trace = _trace(cell="tanh", layers=1)
    cut = dataclasses.replace(trace, hidden=trace.hidden[:2], grad_hidden=trace.grad_hidden[:2], extras={})
    assert cut.hidden.shape == (2, 1, B, 2 * H) and cut.extras == {}
    cut.hidden = None  # None joins from the parts again
    assert cut.hidden.shape == (T, 1, B, 2 * H)


def test_the_divergence_checks_read_the_directions_without_joining_them():
    trace = _trace(cell="gru", layers=1)
    assert divergence.forward_problem(0.5, trace) == ""
    assert _unjoined(trace) == list(LAZY)
    trace.parts["backward"].hidden[1, 0, 2, 0] = np.nan  # processing step 1 of the backward direction
    # named where it sits in the joined [forward, backward] array: input step T-2
    assert divergence.forward_problem(0.5, trace) == f"hidden state, layer 0, t={T - 2} is NaN"
