"""Hostile session files: every altered file either loads and resumes, or is refused with a
SessionError, never another exception; nothing large is read or allocated before it is checked.

The property tests use hypothesis with fixed seeds (``derandomize=True``), so CI runs the same
few hundred altered files every time."""

from __future__ import annotations

import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnviz.core.config import ModelConfig, TrainConfig
from rnnviz.core.errors import SessionError
from rnnviz.core.train import session, session_check
from rnnviz.core.train.trainer import Trainer

SETTINGS = settings(derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLACK = 8 << 20  # bytes: a refused load may use this much beyond three times the file's size


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    """Two small valid sessions: an LSTM on a text file (carried state, roll-back points, a data
    fingerprint) and a GRU on the adding task (no carried state)."""
    from rnnviz.core.data.files import load_path
    from rnnviz.core.data.tasks import make_task

    folder = tmp_path_factory.mktemp("hostile")
    text = folder / "notes.txt"
    text.write_text("the cat sat on the mat, the dog sat on the log. " * 12)
    spec = {"kind": "file", "path": str(text), "level": None, "encoding": "utf-8"}
    lstm = Trainer(load_path(text), ModelConfig(hidden_size=4, cell="lstm"),
                   TrainConfig(batch_size=2, seq_len=5, checkpoint_every=4, diag_every=2, val_every=4,
                               optimizer="rmsprop"),
                   source_spec=spec)
    lstm.run(7)
    task_spec = {"kind": "task", "name": "adding", "length": 6, "seed": 1}
    gru = Trainer(make_task("adding", length=6, seed=1), ModelConfig(hidden_size=3, cell="gru"),
                  TrainConfig(batch_size=3, optimizer="momentum"), source_spec=task_spec)
    gru.run(4)
    paths = {"lstm": session.save(lstm, folder / "lstm.npz"), "gru": session.save(gru, folder / "gru.npz")}
    for path in paths.values():
        assert session.load(path).run(1) is not None  # the bases are valid, and warm the imports
    return folder, {name: (path.read_bytes(), _members(path.read_bytes())) for name, path in paths.items()}


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _npz(members: dict[str, bytes], compress: int = zipfile.ZIP_STORED) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=compress) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return stream.getvalue()


def _npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array(stream, array, allow_pickle=False)
    return stream.getvalue()


def _metadata(members: dict) -> dict:
    return json.loads(str(np.lib.format.read_array(io.BytesIO(members["metadata.npy"]))))


def _with_metadata(members: dict, metadata: dict) -> dict:
    return {**members, "metadata.npy": _npy(np.array(json.dumps(metadata)))}


def check_outcome(path, data: bytes) -> str:
    """Load ``data`` from ``path``: a trainer that resumes a step, or a SessionError; the load's
    peak memory within three times the file plus SLACK, or, when accepted, within what its
    settings imply. Returns "loaded" or "refused"."""
    path.write_bytes(data)
    tracemalloc.start()
    try:
        trainer = session.load(path)
        outcome = "loaded"
    except SessionError:
        trainer, outcome = None, "refused"
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    bound = 3 * len(data) + SLACK
    if trainer is not None:
        metadata, _ = session.read(path)
        bound += session_check.load_budget(metadata, {})
        trainer.run(1)  # resumes: no exception, diverged or not
    assert peak <= bound, f"peak {peak:,} bytes for a {len(data):,}-byte file ({outcome})"
    return outcome


# ---------------------------------------------------------------------- properties
@settings(SETTINGS, max_examples=80)
@given(base=st.sampled_from(["lstm", "gru"]), data=st.data())
def test_flipped_and_cut_bytes_load_or_are_refused(bases, base, data):
    folder, files = bases
    raw = bytearray(files[base][0])
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    check_outcome(folder / "flipped.npz", bytes(raw))


def _paths(value, prefix=()):
    """Every place in a JSON tree: (path of keys/indices, value)."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, prefix + (i,))


def _replace(tree, path, value):
    if not path:
        return value
    tree = json.loads(json.dumps(tree))
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return tree


JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.sampled_from([-1, 0, 1, 2, 3, 4096, 4097, 2**31, 2**64, -2**63, 10**30]),
    st.integers(-10, 10**7), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.sampled_from(["lstm", "word", "char", "sgd", "adam", "file", "task", "sample", "diverged", "PCG64"]),
    st.lists(st.integers(-3, 3), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(SETTINGS, max_examples=100)
@given(base=st.sampled_from(["lstm", "gru"]), data=st.data())
def test_altered_metadata_fields_load_or_are_refused(bases, base, data):
    folder, files = bases
    members = files[base][1]
    metadata = _metadata(members)
    places = [path for path, _ in _paths(metadata) if path]
    for _ in range(data.draw(st.integers(1, 2))):
        place = data.draw(st.sampled_from(places))
        if data.draw(st.integers(0, 5)) == 0 and isinstance(place[-1], str):  # drop the field
            parent = json.loads(json.dumps(metadata))
            node = parent
            for key in place[:-1]:
                node = node[key]
            node.pop(place[-1], None)
            metadata = parent
        else:
            try:
                metadata = _replace(metadata, place, data.draw(JSON_VALUES))
            except (KeyError, IndexError, TypeError):
                pass  # the place vanished under an earlier change
        places = [path for path, _ in _paths(metadata) if path]
    check_outcome(folder / "fields.npz", _npz(_with_metadata(members, metadata)))


def _reshaped(array: np.ndarray, choice: int) -> np.ndarray:
    """Another shape or dtype for an array, by ``choice``."""
    if choice == 0:
        return array.astype(np.float32)
    if choice == 1:
        return array.astype(np.int64) if array.dtype.kind == "f" else array.astype(np.float64)
    if choice == 2:
        return array[..., None]
    if choice == 3:
        return array.reshape(-1)[:-1] if array.size else np.zeros(1)
    if choice == 4:
        return np.zeros(array.shape + (2,))[..., 0].T.copy() if array.ndim > 1 else np.zeros((2,) + array.shape)
    if choice == 5:
        return np.zeros(1, dtype=[("a", "<f8"), ("b", "<i4")])  # a structured dtype
    return np.full(array.shape, np.nan if array.dtype.kind == "f" else -5, dtype=array.dtype)


@settings(SETTINGS, max_examples=80)
@given(base=st.sampled_from(["lstm", "gru"]), data=st.data())
def test_altered_members_and_headers_load_or_are_refused(bases, base, data):
    folder, files = bases
    members = dict(files[base][1])
    names = sorted(name for name in members if name != "metadata.npy")
    action = data.draw(st.sampled_from(["drop", "extra", "rename", "reshape", "header"]))
    name = data.draw(st.sampled_from(names))
    if action == "drop":
        del members[name]
    elif action == "extra":
        members[data.draw(st.sampled_from(["extra.npy", "param/weight_hh_l9.npy", "carry/5.npy", "notes.txt"]))] = \
            _npy(np.zeros(data.draw(st.integers(0, 64))))
    elif action == "rename":
        members[name.replace("/", "//", 1)] = members.pop(name)
    elif action == "reshape":
        array = np.lib.format.read_array(io.BytesIO(members[name]))
        members[name] = _npy(_reshaped(array, data.draw(st.integers(0, 6))))
    else:  # a header declaring another shape over the same bytes
        raw = members[name]
        header_end = raw.index(b"\n") + 1
        header = raw[:header_end].replace(b"'shape': (", b"'shape': (" + str(data.draw(
            st.sampled_from([0, 1, 7, 4096, 10**9]))).encode() + b", ")
        members[name] = header + raw[header_end:]
    check_outcome(folder / "members.npz", _npz(members))


# ---------------------------------------------------------------------- the attacks of record
def test_a_zip_bomb_member_is_refused_before_it_is_read(bases, tmp_path):
    """2 GiB of zeros in an extra member once loaded with exit 0 and a 2.1 GB peak."""
    _, files = bases
    members = dict(files["gru"][1])
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        info = zipfile.ZipInfo("bomb.npy")  # 64 MiB of zeros in about 64 kB
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(_npy(np.zeros(8 << 20)))
    assert check_outcome(tmp_path / "bomb.npz", stream.getvalue()) == "refused"
    with pytest.raises(SessionError, match="would expand"):
        session.load(tmp_path / "bomb.npz")


def test_a_small_file_declaring_a_huge_network_is_refused_before_building_it(bases, tmp_path):
    """A 62 kB file whose metadata declares hidden_size=4096, num_layers=8, cell='lstm' once
    allocated 3.7 GB before a MemoryError."""
    _, files = bases
    members = dict(files["gru"][1])
    metadata = _metadata(members)
    metadata["model_config"].update(hidden_size=4096, num_layers=8, cell="lstm")
    path = tmp_path / "huge.npz"
    assert check_outcome(path, _npz(_with_metadata(members, metadata))) == "refused"
    with pytest.raises(SessionError, match=r"'param/.*need \(16384"):
        session.load(path)


@pytest.mark.parametrize("change, message", [
    (lambda m: m["source"]["spec"].pop("name"), "source.spec.name must be a task name"),
    (lambda m: m["source"]["spec"].update(name=[1]), "source.spec.name must be a task name"),
    (lambda m: m["source"]["spec"].update(options="abc"), "source.spec.options must be a table"),
    (lambda m: m["source"]["spec"].update(kind="file", path=5), "source.spec"),
    (lambda m: m["rng"]["state"].update(state=-1), r"rng.state.state must be a whole number from 0"),
    (lambda m: m.update(step="12"), "step must be a whole number"),
    (lambda m: m.update(carry_parts=1.0), "carry_parts"),
])
def test_each_damaged_field_is_named(bases, tmp_path, change, message):
    _, files = bases
    members = dict(files["gru"][1])
    metadata = _metadata(members)
    change(metadata)
    path = tmp_path / "field.npz"
    path.write_bytes(_npz(_with_metadata(members, metadata)))
    with pytest.raises(SessionError, match=message):
        session.load(path)


def test_a_carried_state_of_the_wrong_shape_is_refused(bases, tmp_path):
    _, files = bases
    members = dict(files["lstm"][1])
    members["carry/0.npy"] = _npy(np.zeros((1, 3, 4)))
    path = tmp_path / "carry.npz"
    path.write_bytes(_npz(members))
    with pytest.raises(SessionError, match=r"'carry/0' has shape \(1, 3, 4\).*need \(1, 2, 4\)"):
        session.load(path)


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_what_is_not_a_file_is_named(tmp_path, kind):
    path = {"folder": tmp_path, "device": "/dev/zero"}.get(kind)
    if kind == "fifo":
        path = tmp_path / "pipe.npz"
        os.mkfifo(path)
    expected = {"folder": "is a folder", "fifo": "is a named pipe", "device": "is a device"}[kind]
    with pytest.raises(SessionError, match=expected):
        session.load(path)


def test_an_unreadable_session_says_permission_denied(bases, tmp_path, monkeypatch):
    folder, files = bases
    path = tmp_path / "secret.npz"
    path.write_bytes(files["gru"][0])

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(session_check, "open", denied, raising=False)  # as root, chmod 000 still reads
    with pytest.raises(SessionError, match="cannot read the session .*permission denied"):
        session.load(path)


def test_refused_load_memory_stays_near_the_file_size(bases, tmp_path):
    _, files = bases
    members = dict(files["lstm"][1])
    members["history/series/loss/steps.npy"] = _npy(np.zeros(5_000_000))  # 40 MB, beyond the buffer's 4000
    data = _npz(members)
    assert check_outcome(tmp_path / "long.npz", data) == "refused"


def test_other_shapes_declaring_a_huge_network_are_refused_before_building_it(tmp_path):
    """An encoder-decoder's parameters are known only by building it: it is built only when an
    upper bound of its size fits what the file could hold."""
    from rnnviz.core.train.presets import make_trainer

    trainer = make_trainer({"cell": "lstm", "hidden_size": 5, "arch": "seq2seq", "decoder_cell": "gru"},
                           {"batch_size": 4}, {"kind": "task", "name": "bottleneck", "length": 5})
    trainer.run(2)
    members = _members(session.save(trainer, tmp_path / "s2s.npz").read_bytes())
    metadata = _metadata(members)
    metadata["model_config"].update(hidden_size=4096, num_layers=8, decoder_hidden_size=4096)
    assert check_outcome(tmp_path / "huge.npz", _npz(_with_metadata(members, metadata))) == "refused"
    with pytest.raises(SessionError, match="far more than its"):
        session.load(tmp_path / "huge.npz")
    assert check_outcome(tmp_path / "fine.npz", _npz(members)) == "loaded"
