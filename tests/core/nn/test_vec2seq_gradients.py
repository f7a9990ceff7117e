"""Vector-to-sequence: every gradient, and ‖∂L_t/∂v‖ per step, against finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import ModelConfig
from rnnviz.core.nn.shapes.vec2seq import Vec2Seq
from tests.core.gradcheck import check_model_gradients, numerical_grad

U, B, D, H, Y = 5, 2, 3, 4, 2
TOLERANCE = 1e-6


def _case(context, cell="tanh", layers=1, seed=0):
    rng = np.random.default_rng(seed)
    model = Vec2Seq(ModelConfig(input_size=D, hidden_size=H, output_size=Y, cell=cell, num_layers=layers,
                                init_scale=1.5, arch="vec2seq", context=context, seed=seed))
    for name, value in model.params.items():
        if "bias" in name:
            value[...] = rng.normal(0, 0.3, value.shape)
    vector = rng.normal(0, 1, (B, D))
    inputs = np.repeat(vector[None], U, axis=0)
    return model, inputs, rng.normal(0, 1, (U, B, Y))


@pytest.mark.parametrize("context, cell, layers", [("init", "tanh", 1), ("every-step", "gru", 2),
                                                   ("both", "lstm", 2), ("both", "relu", 1)])
def test_vector_to_sequence_gradients(context, cell, layers):
    model, inputs, targets = _case(context, cell, layers)
    check_model_gradients(model, inputs, targets, TOLERANCE)
    # ‖∂L_t/∂v‖: step t's loss alone, v moved at every step where it is read
    norms = model.vector_gradients(inputs, targets)  # (U, B)
    vector = inputs[0].copy()
    for t in range(U):
        def step_loss(t=t):
            held = np.repeat(vector[None], U, axis=0)
            outputs, _ = model.forward(held)
            return float(((outputs[t] - targets[t]) ** 2).sum() / B)

        numeric = numerical_grad(step_loss, vector)  # (B, D)
        np.testing.assert_allclose(norms[t], np.linalg.norm(numeric, axis=-1), rtol=1e-6, atol=1e-12)


def test_the_code_fades_when_it_only_starts_the_generator_and_not_when_fed_at_every_step():
    from rnnviz.core.train.presets import preset_trainer

    start, every = preset_trainer("Vec2seq, code as the start"), preset_trainer("Vec2seq, code at every step")
    faded, kept = start.snapshot().vector_grads, every.snapshot().vector_grads  # (U,) at the first step
    assert faded.shape == kept.shape == (30,)
    assert faded[20] < 1e-3 * faded[0]  # orders of magnitude lost along the sequence
    assert kept[20] > 1e3 * faded[20]
    baseline = start.source.baseline()
    start.run(200)
    assert start.validation_loss() < 0.5 * baseline  # it learns to generate from the code
    assert start.snapshot().shape == "vector-to-sequence"


def test_the_waveform_task_and_its_baseline():
    from rnnviz.core.data.tasks import make_task

    task = make_task("waveform", length=12)
    inputs, targets = task.train_batch(5000, None, np.random.default_rng(0))
    assert inputs.shape == (12, 5000, 4) and targets.shape == (12, 5000, 1)
    assert np.all(inputs == inputs[0])  # the code at every step
    assert (targets ** 2).sum(axis=(0, 2)).mean() == pytest.approx(task.baseline(), rel=0.03)
