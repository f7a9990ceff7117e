"""The training loop: determinism, divergence and roll-back, copies out, and real learning."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core import RNN
from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.train.history import SERIES
from rnnviz.core.diagnostics.summary import gradient_horizon
from rnnviz.core.train.trainer import Trainer
from tests.core.fake_sources import ExplodingSource, FakeAdding, FakeText

SMALL = ModelConfig(hidden_size=12)


def text_trainer(**train):
    settings = dict(batch_size=4, seq_len=8, steps=50, val_every=5, diag_every=3)
    settings.update(train)
    return Trainer(FakeText(), SMALL, TrainConfig(**settings))


def losses(trainer, n):
    return [trainer.step().loss for _ in range(n)]


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
def test_same_settings_give_bitwise_identical_losses(cell):
    a = Trainer(FakeText(), ModelConfig(hidden_size=12, cell=cell), TrainConfig(batch_size=4, seq_len=8))
    b = Trainer(FakeText(), ModelConfig(hidden_size=12, cell=cell), TrainConfig(batch_size=4, seq_len=8))
    watched = []
    for _ in range(15):  # snapshots in between (as the window takes them) change nothing
        watched.append(b.step().loss)
        b.view_data(1)
    assert losses(a, 15) == watched
    for name in a.model.params:
        np.testing.assert_array_equal(a.model.params[name], b.model.params[name])
    c = Trainer(FakeText(), ModelConfig(hidden_size=12, cell=cell, seed=1), TrainConfig(batch_size=4, seq_len=8))
    assert losses(c, 3) != losses(Trainer(FakeText(), ModelConfig(hidden_size=12, cell=cell),
                                          TrainConfig(batch_size=4, seq_len=8)), 3)


def test_float32_runs_stay_float32():
    trainer = Trainer(FakeText(), ModelConfig(hidden_size=8, dtype="float32"), TrainConfig(batch_size=4, seq_len=8))
    trainer.run(4)
    assert all(p.dtype == np.float32 for p in trainer.model.params.values())
    assert all(a.dtype == np.float32 for k, a in trainer.optimizer.state_arrays().items() if k != "t")
    assert math.isfinite(trainer.last_result.loss)


def test_batch_seed_matters_for_sampled_tasks():
    runs = [losses(Trainer(FakeAdding(), SMALL, TrainConfig(seed=seed, batch_size=4)), 3) for seed in (0, 0, 1)]
    assert runs[0] == runs[1] != runs[2]


def test_reset_starts_the_same_run_again():
    trainer = text_trainer()
    first = losses(trainer, 6)
    trainer.reset()
    assert trainer.step_count == 0 and len(trainer.history.series("loss")[0]) == 0
    assert losses(trainer, 6) == first


def test_carried_state_changes_the_second_window_only():
    carry, fresh = text_trainer(carry_state=True), text_trainer(carry_state=False)
    a, b = losses(carry, 2), losses(fresh, 2)
    assert a[0] == b[0] and a[1] != b[1]
    assert carry.carry_state and not fresh.carry_state
    assert Trainer(FakeAdding(), SMALL).carry_state is False  # None asks the source


def test_step_result_and_history():
    trainer = text_trainer(clip_mode="value", clip_threshold=0.01)
    result = trainer.step()
    assert result.step == 1 and trainer.step_count == 1 and not result.diverged
    top_profile = trainer.snapshot().grad_hidden_mean[:, -1]  # (T,) batch mean of the top layer
    assert trainer.history.last("horizon") == gradient_horizon(top_profile)
    assert set(result.grad_norms) == set(trainer.model.params) == set(result.param_norms)
    assert result.grad_norm == pytest.approx(math.sqrt(sum(v * v for v in result.grad_norms.values())))
    assert result.clipped_norm < result.grad_norm and 0 < result.clip_fraction <= 1
    assert 0 < result.update_ratio < 1 and result.wall_time > 0
    trainer.run(9)
    steps, values = trainer.history.series("loss")
    np.testing.assert_array_equal(steps, np.arange(1, 11))
    assert trainer.history.series("val_loss")[0].tolist() == [5, 10]
    assert trainer.history.series("horizon")[0].tolist() == [1, 3, 6, 9]
    flow_steps, flow = trainer.history.flow()
    assert flow.shape == (4, 8) and flow_steps.tolist() == [1, 3, 6, 9]


def test_run_stops_when_the_callback_says_so_and_at_the_configured_steps():
    trainer = text_trainer(steps=30)
    seen = []
    last = trainer.run(100, on_step=lambda r: seen.append(r.step) or r.step < 7)
    assert last.step == 7 and trainer.step_count == 7 and seen == list(range(1, 8))
    assert trainer.status == "ready"
    trainer.run()
    assert trainer.step_count == 30 and trainer.status == "finished"


def test_snapshot_holds_copies():
    trainer = text_trainer()
    before = trainer.snapshot(1)  # before any step: a preview batch
    assert before.step == 0 and before.hidden.shape == (8, 1, 12)
    trainer.run(3)
    snap = trainer.snapshot(sample=2)
    assert snap.hidden.shape == snap.grad_hidden.shape == (8, 1, 12)
    assert snap.grad_hidden_mean.shape == (8, 1)
    assert snap.inputs.shape == snap.targets.shape == (8,) and snap.outputs.shape == (8, trainer.model_config.output_size)
    assert len(snap.labels) == 8 and "".join(snap.labels) == "".join(
        trainer.source.vocab[i] for i in snap.inputs)
    kept = {name: p.copy() for name, p in snap.params.items()}
    trainer.run(2)  # training goes on: the snapshot must not move
    for name in kept:
        np.testing.assert_array_equal(snap.params[name], kept[name])
    snap.params["weight_hh_l0"][:] = 0  # and writing into it must not touch the model
    snap.hidden[:] = 0
    assert np.abs(trainer.model.params["weight_hh_l0"]).sum() > 0
    assert np.abs(trainer.snapshot(2).hidden).sum() > 0
    assert snap.diagnostics.profile.shape == (8, 1)
    np.testing.assert_allclose(snap.diagnostics.profile[:, 0], np.linalg.norm(snap.grad_hidden[:, 0], axis=-1))


def test_view_data_is_complete():
    trainer = text_trainer()
    trainer.run(6)
    view = trainer.view_data(0)
    assert set(view.series) == set(SERIES)
    assert view.flow.shape[1] == 8 and view.flow.shape[0] == view.flow_steps.size
    assert view.baseline == pytest.approx(8 * math.log(len(trainer.source.vocab)))
    assert view.status == "ready" and view.clip_mode == "none" and view.clip_threshold is None
    assert view.model_config["input_size"] == len(trainer.source.vocab)
    assert view.train_config["seq_len"] == 8 and view.source_name == "fake text"
    view.series["loss"][1][:] = -1
    assert trainer.history.series("loss")[1].min() > 0


def test_divergence_in_a_hidden_state_is_located_and_nothing_is_applied():
    source = ExplodingSource(length=6, blow_up_at_call=4)
    trainer = Trainer(source, ModelConfig(hidden_size=5, cell="relu"), TrainConfig(batch_size=3))
    trainer.run(3)
    weights = {name: p.copy() for name, p in trainer.model.params.items()}
    optim_state = trainer.optimizer.state_arrays()
    result = trainer.run(10)
    assert result.diverged and result.step == 4 and trainer.step_count == 3
    assert trainer.status == "diverged"
    assert trainer.divergence == "step 4: hidden state, layer 0, t=3 is Inf" == result.divergence
    for name, value in weights.items():
        np.testing.assert_array_equal(trainer.model.params[name], value)
    for name, value in optim_state.items():
        np.testing.assert_array_equal(trainer.optimizer.state_arrays()[name], value)
    assert trainer.history.series("loss")[0].tolist() == [1, 2, 3]
    assert trainer.view_data().status == "diverged"
    # the next batch is finite: training goes on from the last finite weights
    trainer.update_train_config(lr=0.001)
    assert trainer.status == "ready" and trainer.divergence == ""
    assert not trainer.step().diverged and trainer.step_count == 4


def test_a_failed_step_names_the_parameter_and_changes_nothing(monkeypatch):
    expected = losses(text_trainer(), 6)
    trainer = text_trainer()
    real = trainer.model.loss_and_grads
    calls = []

    def poisoned_once(*args, **kwargs):  # the third gradient computation returns a NaN
        loss, grads, trace = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 3:
            grads["weight_hh_l0"][1, 2] = np.nan
        return loss, grads, trace

    monkeypatch.setattr(trainer.model, "loss_and_grads", poisoned_once)
    got = losses(trainer, 2)
    result = trainer.step()
    assert result.diverged and result.divergence == "step 3: gradient of weight_hh_l0 is NaN"
    # same weights, same carried state, same data cursor: the retry is the step never taken
    got += losses(trainer, 4)
    assert got == expected


def test_a_real_explosion_is_caught_then_rolled_back_and_tamed():
    source = FakeAdding(length=30)
    model = ModelConfig(hidden_size=16, cell="relu", init="identity", recurrent_scale=1.5)
    trainer = Trainer(source, model, TrainConfig(optimizer="sgd", lr=50.0, batch_size=8, checkpoint_every=2))
    result = trainer.run(200)
    assert result.diverged and trainer.status == "diverged", "lr=50 with growing ReLU dynamics must blow up"
    assert trainer.divergence.startswith(f"step {result.step}: ")
    assert all(np.isfinite(p).all() for p in trainer.model.params.values())
    snap = trainer.snapshot()  # still drawable: the last finite step
    assert np.isfinite(snap.hidden).all()
    diverged_at = trainer.step_count
    back = trainer.rollback()
    assert back < diverged_at or back == 0
    assert trainer.status == "ready" and trainer.step_count == back
    assert trainer.history.series("loss")[0].max(initial=0) <= back
    trainer.update_train_config(lr=1e-3, clip_mode="norm", clip_threshold=1.0)
    result = trainer.run(20)
    assert not result.diverged and trainer.step_count == back + 20


def test_rollback_restores_weights_batches_and_history():
    trainer = text_trainer(checkpoint_every=5)
    at_ten = {}
    original = [r.loss for r in [trainer.step() for _ in range(13)]]
    trainer.reset()
    trainer.run(10, on_step=lambda r: at_ten.update({n: p.copy() for n, p in trainer.model.params.items()}))
    trainer.run(3)
    assert trainer.rollback() == 10
    for name, value in at_ten.items():
        np.testing.assert_array_equal(trainer.model.params[name], value)
    assert trainer.history.series("loss")[0].max() == 10
    assert losses(trainer, 3) == original[10:13]  # same batches, same carried state: same losses
    assert trainer.rollback() == 10 and trainer.rollback() == 5  # further back on request


def test_update_train_config_validates_and_applies():
    trainer = text_trainer()
    with pytest.raises(ValueError, match="^lr "):
        trainer.update_train_config(lr=-1.0)
    with pytest.raises(ValueError, match="unknown training setting"):
        trainer.update_train_config(learning_rate=0.1)
    assert trainer.train_config.lr == 0.01
    trainer.step()
    trainer.update_train_config(optimizer="sgd", lr=0.5)
    before = RNN(trainer.model_config)
    before.params = {name: p.copy() for name, p in trainer.model.params.items()}
    trainer.step()
    inputs, targets, h0 = trainer._last[:3]  # the batch of that step
    _, grads, _ = before.loss_and_grads(inputs, targets, h0)  # its gradient, at the weights before it
    for name, value in trainer.model.params.items():
        np.testing.assert_allclose(value, before.params[name] - 0.5 * grads[name], atol=1e-12)


def test_a_task_fixes_the_window_length():
    trainer = Trainer(FakeAdding(length=10), SMALL, TrainConfig(seq_len=25))
    assert trainer.train_config.seq_len == 25  # FakeAdding has no sequence_length: kept as given

    class Sized(FakeAdding):
        sequence_length = 10

    trainer = Trainer(Sized(length=10), SMALL, TrainConfig(seq_len=25))
    assert trainer.train_config.seq_len == 10
    trainer.update_train_config(seq_len=40)
    assert trainer.train_config.seq_len == 10


# ---------------------------------------------------------------------- real learning
@pytest.mark.slow
def test_char_model_learns_the_sample_text():
    data = pytest.importorskip("rnnviz.core.data.files")
    source = data.load_sample()
    seq_len = 25
    trainer = Trainer(source, ModelConfig(hidden_size=32), TrainConfig(batch_size=16, seq_len=seq_len, steps=300))
    trainer.run()
    uniform = seq_len * math.log(len(source.vocab))  # an untrained model's loss, T ln V
    assert trainer.status == "finished"
    assert trainer.loss_smooth < 0.6 * uniform
    assert trainer.history.last("val_loss") < source.baseline(seq_len)  # held out, below the unigram line


@pytest.mark.slow
def test_relu_with_identity_init_learns_the_adding_problem():
    tasks = pytest.importorskip("rnnviz.core.data.tasks")
    source = tasks.make_task("adding", length=10)
    model = ModelConfig(hidden_size=32, cell="relu", init="identity")
    trainer = Trainer(source, model, TrainConfig(batch_size=32, lr=0.003, steps=500, clip_mode="norm",
                                                 clip_threshold=1.0))
    trainer.run()
    predict_one = 1 / 6  # the variance of the sum of two U(0, 1): the loss of always answering 1
    assert source.baseline(10) == pytest.approx(predict_one)
    assert trainer.validation_loss() < 0.75 * predict_one


def test_smoothed_loss_is_the_bias_corrected_moving_average_in_log_space():
    from rnnviz.core.train.trainer import SMOOTHING, smoothed

    losses = np.random.default_rng(0).uniform(0.1, 10, 40)
    value = None
    for n, loss in enumerate(losses, start=1):
        value = smoothed(value, loss, n)
        weights = (1 - SMOOTHING) * SMOOTHING ** np.arange(n - 1, -1, -1)
        expected = np.exp(np.dot(weights, np.log(losses[:n])) / (1 - SMOOTHING ** n))
        assert value == pytest.approx(expected, rel=1e-10)
    # an exploding start: 4e10, then a loss of 0.3; 100 steps later the average must read near 0.3
    value = smoothed(None, 4e10, 1)
    for n in range(2, 102):
        value = smoothed(value, 0.3, n)
    assert value < 3.0  # an arithmetic average would still read ~1e10
    assert smoothed(smoothed(None, 0.0, 1), 0.0, 2) <= 1e-299  # exact zeros stay at the log floor


def test_data_too_short_for_one_window_is_refused_before_anything_changes():
    from rnnviz.core.data.files import text_source
    from rnnviz.core.errors import DataError

    source = text_source("abcdefghij" * 3, level="char", name="short", seq_len=None)
    state = source.get_state()
    with pytest.raises(DataError, match="need at least"):
        Trainer(source, ModelConfig(hidden_size=4), TrainConfig(batch_size=4, seq_len=25))
    assert source.get_state() == state
    trainer = Trainer(source, ModelConfig(hidden_size=4), TrainConfig(batch_size=1, seq_len=5))
    trainer.run(2)
    config, state = trainer.train_config, source.get_state()
    with pytest.raises(DataError):
        trainer.update_train_config(batch_size=8, seq_len=20)  # live change to a batch that cannot fit
    assert trainer.train_config == config and source.get_state() == state


def test_snapshot_diagnostics_describe_the_current_weights():
    """The step's trace is made before its update; the snapshot must not pair it with the new W_hh."""
    from rnnviz.core.diagnostics.summary import summarize
    from rnnviz.core.data.tasks import make_task

    trainer = Trainer(make_task("adding", length=30, seed=0),
                      ModelConfig(hidden_size=16, recurrent_scale=1.0),
                      TrainConfig(optimizer="sgd", lr=0.5, batch_size=8))
    trainer.run(3)
    inputs, targets, h0 = trainer._last[:3]
    _, _, fresh = trainer.model.loss_and_grads(inputs, targets, h0)  # the current weights
    expected = summarize(trainer.model, fresh, 0)
    snap = trainer.snapshot()
    np.testing.assert_allclose(snap.diagnostics.chain_log10, expected.chain_log10, rtol=1e-9, atol=1e-9)
    assert snap.diagnostics.regime == expected.regime
    np.testing.assert_array_equal(snap.hidden, fresh.hidden[:, :, 0])


def test_a_saved_run_shows_the_same_diagnostics_after_loading(tmp_path):
    from rnnviz.core.train import session
    from rnnviz.core.data.tasks import make_task

    trainer = Trainer(make_task("adding", length=20, seed=0), ModelConfig(hidden_size=8),
                      TrainConfig(optimizer="sgd", lr=0.5, batch_size=4),
                      source_spec={"kind": "task", "name": "adding", "length": 20, "seed": 0})
    trainer.run(5)
    before = trainer.snapshot().diagnostics
    path = session.save(trainer, tmp_path / "run.npz")
    after = session.load(path).snapshot().diagnostics
    np.testing.assert_array_equal(after.chain_log10, before.chain_log10)
    assert after.growth == before.growth and after.regime == before.regime


def test_rollback_target_says_where_rollback_goes():
    trainer = text_trainer()
    trainer.update_train_config(checkpoint_every=5)
    trainer.run(12)
    assert trainer.rollback_target() == 10
    assert trainer.rollback() == 10 and trainer.rollback_target() == 5


def test_sample_count_is_the_last_batch_size():
    trainer = text_trainer()
    assert trainer.sample_count == trainer.train_config.batch_size  # the preview before any step
    trainer.run(1)
    assert trainer.sample_count == trainer._last[0].shape[1] == trainer.train_config.batch_size
