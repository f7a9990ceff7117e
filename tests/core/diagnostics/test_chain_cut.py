"""A ReLU chain cut to exactly 0 (every unit off at one step) is read up to the cut: a chain
that holds at 1 and is then cut is "stable" with the cut named, not "vanishing ×0"."""

import numpy as np

from rnnviz.core.diagnostics import summary
from rnnviz.core.nn.model import RNN
from rnnviz.core import ModelConfig
from rnnviz.core.train import lessons


def test_the_growth_of_a_cut_chain_is_read_up_to_the_cut():
    with np.errstate(divide="ignore"):
        held = np.log(np.array([1.0, 1.05, 1.1, 1.2, 0.0, 0.0]))  # (T+1,) logs; cut at lag 4
    assert summary.chain_cut(held) == 4
    np.testing.assert_allclose(summary.chain_growth(held), 1.2 ** (1 / 3))
    assert summary.regime(summary.chain_growth(held)) == "stable"
    with np.errstate(divide="ignore"):
        at_once = np.log(np.array([1.0, 0.0, 0.0]))
    assert summary.chain_cut(at_once) == 1 and summary.chain_growth(at_once) == 0.0
    whole = np.log(np.array([1.0, 0.5, 0.25]))
    assert summary.chain_cut(whole) is None
    np.testing.assert_allclose(summary.chain_growth(whole), 0.5)


def test_a_relu_network_with_every_unit_off_at_the_first_step_is_cut_there():
    """Identity W_hh, ReLU, and an input that switches every unit off at step 1 only: h_T does
    not depend on h_0 at all, while from step 2 on the chain holds at exactly 1."""
    config = ModelConfig(input_size=1, hidden_size=3, output_size=1, cell="relu", init="identity",
                         init_scale=1.0, seed=0)
    model = RNN(config)
    model.params["weight_ih_l0"][:] = 1.0
    for name in ("bias_ih_l0", "bias_hh_l0"):
        model.params[name][:] = 0.0
    x = np.ones((6, 1, 1))
    x[0] = -5.0  # step 1: every pre-activation negative, every unit off
    _, _, trace = model.loss_and_grads(x, np.zeros((1, 1)))
    log_chain = summary.chain_log_norms(model, trace, layer=0, sample=0)[0]  # (T+1,)
    assert summary.chain_cut(log_chain) == 6
    np.testing.assert_allclose(log_chain[1:6], 0.0, atol=1e-6)  # identity through active units (float32 products)
    assert summary.regime(summary.chain_growth(log_chain)) == "stable"


def test_the_badge_note_names_the_cut():
    note = lessons.badge_note("stable", 16, 30, 1, cut_at=17)
    assert "17 steps back" in note
    assert lessons.badge_note("stable", 29, 30, 1, cut_at=None) == ""
    assert lessons.badge_note("vanishing", 49, 50, 50).endswith("the horizon spans the window")
