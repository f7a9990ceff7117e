"""One build_source: presets, sessions, sweeps and the command line build the same data from a spec."""

import pytest

from rnnviz.core.data.build import build_source
from rnnviz.core.errors import DataError, SessionError, UserError
from rnnviz.core.train import presets, session


def test_unknown_kinds_and_unreadable_specs_are_refused_with_a_user_error():
    with pytest.raises(UserError, match="unknown kind of data 'url'"):
        build_source({"kind": "url", "path": "http://example.org"})
    with pytest.raises(DataError, match="unreadable data description"):
        build_source(["sample"])


def test_the_level_of_a_sample_is_kept_by_presets_and_by_sessions(tmp_path):
    spec = {"kind": "sample", "name": None, "level": "word"}
    assert build_source(spec).level == "word"
    trainer = presets.make_trainer({"hidden_size": 4}, {"batch_size": 2, "seq_len": 5}, spec)
    assert trainer.source.level == "word" and trainer.source_spec == spec
    again = session.load(session.save(trainer, tmp_path / "word.npz"))
    assert again.source.level == "word"
    assert again.source.input_size == trainer.source.input_size > build_source({"kind": "sample"}).input_size


def test_a_task_keeps_its_options_whoever_builds_it():
    spec = {"kind": "task", "name": "marker", "length": 12, "seed": 3, "options": {"rate": 0.25}}
    assert build_source(spec).rate == 0.25
    trainer = presets.make_trainer({"hidden_size": 4}, {"batch_size": 2}, spec)
    assert trainer.source.rate == 0.25 and trainer.source.sequence_length == build_source(spec).sequence_length
    with pytest.raises(DataError, match="marker rate"):
        build_source({**spec, "options": {"rate": 2}})


def test_a_session_whose_data_kind_is_unknown_is_refused_as_a_session_error(tmp_path):
    spec = {"kind": "task", "name": "adding", "length": 6, "seed": 0}
    trainer = presets.make_trainer({"hidden_size": 4}, {"batch_size": 2}, spec)
    path = session.save(trainer, tmp_path / "run.npz")
    trainer.source_spec = {"kind": "url", "path": "x"}
    with pytest.raises(SessionError):
        session.load(session.save(trainer, tmp_path / "url.npz"))
    assert session.load(path).source.name == trainer.source.name
