"""Fork and compare for every network shape: forks keep or reset the right state, each shape's
curves in the group are the single-run summary's own numbers, and groups of them save bitwise."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core.errors import UserError
from rnnviz.core.train.group import RunGroup
from rnnviz.core.train.group_curves import CODE_VECTOR
from rnnviz.core.train.presets import make_trainer
from tests.core.train.test_session import assert_same_run

TRAIN = {"batch_size": 4, "val_every": 3, "diag_every": 2, "checkpoint_every": 4}
SHAPES = {  # tiny networks of each shape, on data that suits them
    "bidirectional": ({"cell": "gru", "hidden_size": 5, "num_layers": 2, "bidirectional": True},
                      {"kind": "task", "name": "marker", "length": 7}),
    "seq2seq": ({"cell": "lstm", "hidden_size": 5, "arch": "seq2seq", "context": "both", "decoder_hidden_size": 4,
                 "decoder_cell": "gru"}, {"kind": "task", "name": "bottleneck", "length": 5}),
    "vec2seq": ({"cell": "tanh", "hidden_size": 5, "arch": "vec2seq"}, {"kind": "task", "name": "waveform", "length": 6}),
    "padded text": ({"cell": "tanh", "hidden_size": 5, "bidirectional": True}, {"kind": "sample", "name": "reviews.tsv"}),
}


def tiny(shape, **model):
    base, data = SHAPES[shape]
    return make_trainer({**base, **model}, TRAIN, data)


def recurrent(trainer) -> dict:
    return {n: v for n, v in trainer.model.params.items() if n.rpartition(".")[2].startswith("weight_hh_l")}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_group_draws_each_shape_with_the_single_run_summarys_numbers(shape):
    """Before any step the snapshot shows the held-out batch, which the group measures too: every
    curve of the run in the group is the snapshot's own number, bitwise."""
    trainer = tiny(shape)
    overlay = RunGroup(trainer).overlays()[0]
    snap = trainer.snapshot(0)
    top = trainer.model_config.num_layers - 1
    diag = snap.diagnostics
    assert overlay.shape == snap.shape
    assert [c.name for c in overlay.chains] == list(diag.parts)
    for curve in overlay.chains:  # each stack's chain, the first held-out sequence's
        np.testing.assert_array_equal(curve.median, diag.parts[curve.name].chain_log10[top])
    names = [c.name for c in overlay.profiles]
    steps = len(snap.labels)  # a padded sample's own steps
    if snap.parts and not snap.part_steps:  # two directions: a curve each, both in input order
        assert names == ["forward", "backward"]
        for p, curve in enumerate(overlay.profiles):
            np.testing.assert_array_equal(curve.median[:steps], snap.part_grad_mean[:, top, p])
        assert set(overlay.part_horizons) == {"forward", "backward"}
    else:
        np.testing.assert_array_equal(overlay.profiles[0].median[:steps], snap.grad_hidden_mean[:, top])
    if shape == "seq2seq":  # one time axis, source | decoder, as the gradients panel draws it
        assert names == [""] and overlay.divider == snap.part_steps[0] == 5
        assert list(overlay.part_horizons) == ["encoder", "decoder"]
    if shape == "vec2seq":  # the decoder, and how strongly each step's error reaches the code vector
        assert names == ["decoder", CODE_VECTOR]
        np.testing.assert_array_equal(overlay.profiles[1].median, snap.vector_grads)  # the first sequence's


def test_forks_of_two_stacks_rescale_both_and_keep_everything_else():
    for shape in ("bidirectional", "seq2seq"):
        trainer = tiny(shape)
        trainer.run(3)
        group = RunGroup(trainer)
        scaled = group.fork(recurrent_scale=0.5)
        assert not scaled.fresh and scaled.trainer.step_count == 3
        names = sorted(recurrent(scaled.trainer))
        assert names == {"bidirectional": ["weight_hh_l0", "weight_hh_l0_reverse", "weight_hh_l1",
                                           "weight_hh_l1_reverse"],
                         "seq2seq": ["decoder.weight_hh_l0", "encoder.weight_hh_l0"]}[shape]
        for name, value in recurrent(scaled.trainer).items():
            assert np.linalg.norm(value, 2) == pytest.approx(0.5), name
        for name, value in trainer.model.params.items():  # everything else is the run's own
            if name not in names:
                np.testing.assert_array_equal(scaled.trainer.model.params[name], value)
        kept = group.fork(lr=0.001)  # a training setting: the same weights and optimizer memory
        assert not kept.fresh and kept.trainer.train_config.lr == 0.001
        for key, value in trainer.optimizer.state_arrays().items():
            np.testing.assert_array_equal(kept.trainer.optimizer.state_arrays()[key], value)
        group.step_all(2)
        assert group.same_batches() == [True] * 3


def test_turning_the_shape_starts_fresh_weights_at_the_same_data_position():
    trainer = tiny("seq2seq", context="init", decoder_hidden_size=None, decoder_cell=None)
    trainer.run(3)
    group = RunGroup(trainer)
    reversed_ = group.fork(reverse_source=True)
    assert reversed_.fresh and reversed_.label == "source reversed (fresh weights)" and reversed_.offset == 3
    assert reversed_.trainer.model_config.reverse_source and reversed_.trainer.step_count == 0
    assert group.same_batches() == [True, True]  # the same batches from here on
    fresh = make_trainer({**SHAPES["seq2seq"][0], "context": "init", "decoder_hidden_size": None,
                          "decoder_cell": None, "reverse_source": True}, TRAIN, SHAPES["seq2seq"][1])
    for name, value in fresh.model.params.items():  # the weights a reversed run starts from, same seeds
        np.testing.assert_array_equal(reversed_.trainer.model.params[name], value)
    assert group.fork(context="every-step").label == "context=every-step (fresh weights)"
    group.step_all(2)
    overlays = group.overlays()
    assert [o.divider for o in overlays] == [5, 5, 5]
    assert overlays[1].loss_steps[0] == 4  # a fresh fork's curves start where it forked
    with pytest.raises(UserError, match="set from the data"):
        group.fork(source_length=3)


def test_a_one_way_run_and_its_bidirectional_fork_are_compared_on_what_they_share():
    trainer = make_trainer({"cell": "tanh", "hidden_size": 5}, TRAIN, SHAPES["bidirectional"][1])
    trainer.run(2)
    group = RunGroup(trainer)
    both = group.fork(bidirectional=True)
    assert both.fresh and both.label == "bidirectional (fresh weights)"
    group.step_all(2)
    one, two = group.overlays()
    assert (one.shape, two.shape) == ("unidirectional", "bidirectional")
    assert [c.name for c in one.profiles] == [""] and [c.name for c in two.profiles] == ["forward", "backward"]
    assert {c.median.shape for c in (*one.profiles, *two.profiles)} == {(7,)}  # one input time axis
    with pytest.raises(UserError, match="encoder-decoder needs a source"):
        group.fork(arch="seq2seq")


def test_a_bidirectional_fork_of_next_token_text_is_refused_with_the_reason():
    trainer = make_trainer({"hidden_size": 5}, {**TRAIN, "seq_len": 8}, {"kind": "sample", "name": "fables.txt"})
    with pytest.raises(UserError, match="would see the answer"):
        RunGroup(trainer).fork(bidirectional=True)


def test_groups_of_every_shape_save_and_reopen_bitwise(tmp_path):
    for shape in SHAPES:
        trainer = tiny(shape)
        trainer.run(2)
        group = RunGroup(trainer)
        group.fork(recurrent_scale=0.8)
        group.fork(cell="tanh" if trainer.model_config.cell != "tanh" else "gru")
        group.step_all(2)
        folder = tmp_path / shape.replace(" ", "_")
        group.save(folder)
        again = RunGroup.load(folder)
        assert [m.label for m in again.members] == [m.label for m in group.members]
        assert [m.offset for m in again.members] == [m.offset for m in group.members]
        for ours, theirs in zip(group.trainers, again.trainers):
            assert theirs.model_config == ours.model_config
            assert_same_run(ours, theirs)
        for ours, theirs in zip(group.overlays(), again.overlays()):  # the same curves, stack by stack
            for a, b in zip((*ours.profiles, *ours.chains), (*theirs.profiles, *theirs.chains)):
                assert a.name == b.name
                np.testing.assert_array_equal(a.median, b.median)
            np.testing.assert_array_equal(ours.loss, theirs.loss)
        group.step_all(2)
        again.step_all(2)
        for ours, theirs in zip(group.trainers, again.trainers):  # and they go on as if never stopped
            assert_same_run(ours, theirs)


@pytest.mark.parametrize("shape, units", [("bidirectional", [(0, 1), (1, 7)]), ("seq2seq", [(0, 2), (0, 6)])])
def test_with_units_held_the_group_draws_the_network_that_runs(shape, units):
    """Units switched off (held at 0): each stack's chain in the group is the held network's, as the
    single-run snapshot's; a fork and seed companions keep the same curves per stack."""
    trainer = tiny(shape)
    trainer.switch_units_off(units)
    snap = trainer.snapshot(0)
    overlay = RunGroup(trainer).overlays()[0]
    top = trainer.model_config.num_layers - 1
    for curve in overlay.chains:
        np.testing.assert_array_equal(curve.median, snap.diagnostics.parts[curve.name].chain_log10[top])
    group = RunGroup(trainer)
    group.fork(lr=0.001)
    group.with_seeds(2)
    group.step_all(1)
    for o in group.overlays():
        assert [c.name for c in o.chains] == list(snap.diagnostics.parts)
        assert all(len(v) == 2 for v in o.part_horizons.values())  # a horizon per seed and stack
        assert all((c.low <= c.median).all() and (c.median <= c.high).all() for c in o.chains)
