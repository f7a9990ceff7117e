"""The benchmark's straightforward BPTT computes what the model computes, so the race is fair."""

import numpy as np

from rnnviz.core import RNN, ModelConfig
from rnnviz.bench import reference


def test_reference_matches_the_model():
    model = RNN(ModelConfig(input_size=7, hidden_size=6, output_size=7, init_scale=1.3))
    rng = np.random.default_rng(2)
    model.params["bias_ih_l0"][...] = rng.normal(0, 0.2, 6)
    inputs, targets = rng.integers(0, 7, (9, 4)), rng.integers(0, 7, (9, 4))
    loss, grads, _ = model.loss_and_grads(inputs, targets)
    ref_loss, ref_grads = reference.loss_and_grads(model.params, inputs, targets)
    assert np.isclose(loss, ref_loss, rtol=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-12, err_msg=name)
