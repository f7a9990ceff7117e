"""Sessions of the new shapes: a bidirectional net on labelled text resumes bitwise from its file."""

from __future__ import annotations

from rnnviz.core.train import session
from rnnviz.core.train.presets import make_trainer
from tests.core.train.test_session import assert_same_run


def test_bidirectional_labelled_run_resumes_bitwise(tmp_path):
    model = {"cell": "gru", "hidden_size": 6, "num_layers": 2, "bidirectional": True}
    train = {"batch_size": 8, "val_every": 3, "diag_every": 2, "checkpoint_every": 4}
    straight = make_trainer(model, train, {"kind": "sample", "name": "reviews.tsv"})
    straight.run(5)
    session.save(straight, tmp_path / "run.npz")
    expected = [straight.step().loss for _ in range(5)]
    resumed = session.load(tmp_path / "run.npz")
    assert resumed.model_config.bidirectional and resumed.model_config.pad_id == 0
    assert "weight_hh_l1_reverse" in resumed.model.params
    assert [resumed.step().loss for _ in range(5)] == expected
    assert_same_run(straight, resumed)
    snap = resumed.snapshot(2)
    assert snap.parts == ("forward", "backward") and "<pad>" not in snap.labels


def test_encoder_decoder_and_vector_to_sequence_runs_resume_bitwise(tmp_path):
    for name, model, data in (
        ("s2s", {"cell": "lstm", "hidden_size": 5, "arch": "seq2seq", "context": "both", "reverse_source": True,
                 "decoder_hidden_size": 4, "decoder_cell": "gru"}, {"kind": "task", "name": "bottleneck", "length": 5}),
        ("v2s", {"cell": "gru", "hidden_size": 5, "num_layers": 2, "arch": "vec2seq", "context": "both"},
         {"kind": "task", "name": "waveform", "length": 6}),
    ):
        straight = make_trainer(model, {"batch_size": 4, "val_every": 3, "diag_every": 2, "checkpoint_every": 4},
                                data)
        straight.run(5)
        session.save(straight, tmp_path / f"{name}.npz")
        expected = [straight.step().loss for _ in range(5)]
        resumed = session.load(tmp_path / f"{name}.npz")
        assert resumed.model_config == straight.model_config
        assert [resumed.step().loss for _ in range(5)] == expected
        assert_same_run(straight, resumed)
