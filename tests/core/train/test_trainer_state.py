"""The Trainer owns its state: state_dict / load_state_dict continue a run bitwise, a bad state
changes nothing, status follows from the divergence and the step, run(steps) says how many."""

import numpy as np
import pytest

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.data.tasks import make_task
from rnnviz.core.train.records import LastBatch
from rnnviz.core.train.trainer import Trainer
from tests.core.fake_sources import ExplodingSource

TRAIN = dict(batch_size=3, seq_len=6, steps=6, diag_every=2, val_every=3, checkpoint_every=2)


def fresh(cell="lstm", **train):
    return Trainer(make_task("adding", length=6), ModelConfig(hidden_size=5, cell=cell),
                   TrainConfig(**{**TRAIN, **train}, optimizer="adam"))


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
def test_a_state_loaded_into_a_fresh_trainer_continues_bitwise(cell):
    first = fresh(cell)
    first.run(4)
    second = fresh(cell)
    second.load_state_dict(first.state_dict())
    assert second.step_count == 4 and second.loss_smooth == first.loss_smooth
    first.run(3)
    second.run(3)
    for name, value in first.model.params.items():
        assert np.array_equal(value, second.model.params[name]), name
    assert first.rng.bit_generator.state == second.rng.bit_generator.state
    for key, value in first.history.to_arrays().items():
        assert np.array_equal(value, second.history.to_arrays()[key], equal_nan=True), key
    assert second.rollback() == first.rollback() == 6  # the roll-back points came along


def test_a_state_dict_is_a_copy():
    trainer = fresh()
    trainer.run(2)
    state = trainer.state_dict()
    state["params"]["weight_hh_l0"][...] = 7.0
    assert not np.any(trainer.model.params["weight_hh_l0"] == 7.0)
    assert isinstance(state["last_batch"], LastBatch) and state["last_batch"].trace is None


def test_a_bad_state_raises_and_changes_nothing():
    trainer = fresh()
    trainer.run(2)
    before = {name: value.copy() for name, value in trainer.model.params.items()}
    good = fresh()
    good.run(5)
    for broken, error in [({"weight_hh_l0": np.zeros((2, 2))}, ValueError), ({"optimizer": "sgd"}, ValueError),
                          ({"units_mode": "half"}, ValueError)]:
        state = good.state_dict()
        if "weight_hh_l0" in broken:
            state["params"] = {**state["params"], **broken}
        else:
            state.update(broken)
        with pytest.raises(error):
            trainer.load_state_dict(state)
    state = good.state_dict()
    del state["rng"]
    with pytest.raises(KeyError, match="rng"):
        trainer.load_state_dict(state)
    assert trainer.step_count == 2
    for name, value in before.items():
        assert np.array_equal(value, trainer.model.params[name])


def test_status_follows_the_divergence_and_the_planned_length():
    trainer = Trainer(ExplodingSource(6, blow_up_at_call=3), ModelConfig(hidden_size=4),
                      TrainConfig(batch_size=2, steps=4))
    assert trainer.status == "ready" and trainer.steps_left == 4
    trainer.run(5)  # the third batch overflows: the run stops there
    assert trainer.status == "diverged" and trainer.step_count == 2 and "step 3" in trainer.divergence
    trainer.update_train_config(lr=trainer.train_config.lr / 10)  # a change of settings: ready again
    assert trainer.status == "ready" and trainer.divergence == ""
    trainer.run(trainer.steps_left)
    assert trainer.step_count == 4 and trainer.status == "finished" and trainer.steps_left == 0
    trainer.run(2)  # the planned length does not stop an explicit run
    assert trainer.step_count == 6 and trainer.status == "finished"


def test_the_last_batch_is_a_record_of_the_step():
    trainer = fresh()
    assert trainer.last_batch is None
    trainer.run(1)
    last = trainer.last_batch
    assert last.inputs.shape[1] == last.targets.shape[0] == 3 and last.h0 is None
    norms = np.linalg.norm(last.trace.grad_hidden, axis=-1)  # (T, L, B)
    np.testing.assert_array_equal(last.grad_mean, norms.mean(axis=2))
    assert last.grad_norms is last.grad_norms  # computed once per traced batch
