"""A session names its held units ("fwd 1", "1:bwd 0", "enc 2"), still reads the [layer, unit]
numbers older files hold, and refuses a held-units field that is damaged or does not fit the
network, naming what is wrong, without changing anything."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from rnnviz.core.errors import SessionError
from rnnviz.core.train import presets, session

BIDIRECTIONAL = ({"hidden_size": 3, "bidirectional": True, "num_layers": 2}, {"batch_size": 2},
                 {"kind": "task", "name": "marker", "length": 5})


def _held_run(units=((0, 1), (1, 3)), mode="zero", shape=BIDIRECTIONAL):
    run = presets.make_trainer(*shape)
    run.run(1)
    run.switch_units_off(list(units), mode)
    return run


def _metadata(path) -> dict:
    with np.load(path, allow_pickle=False) as npz:
        return json.loads(str(npz["metadata"]))


def _rewrite_units(path, units_off, version=None) -> None:
    """The session at ``path`` with its held units replaced by ``units_off`` (as JSON holds them),
    and its format version by ``version`` when one is given."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    metadata = json.loads(str(arrays["metadata"]))
    metadata["units_off"] = units_off
    metadata["version"] = metadata["version"] if version is None else version
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(path, **arrays)


def test_held_units_are_saved_by_name_and_read_back(tmp_path):
    run = _held_run(mode="mean")
    path = session.save(run, tmp_path / "held.npz")
    saved = _metadata(path)["units_off"]
    assert saved["units"] == ["0:fwd 1", "1:bwd 0"] and saved["mode"] == "mean"
    assert saved["values"] == list(run.units_off.values)
    loaded = session.load(path)
    assert loaded.units_off == run.units_off


def test_an_encoder_decoder_saves_enc_and_dec_names(tmp_path):
    shape = ({"hidden_size": 3, "decoder_hidden_size": 2, "arch": "seq2seq"}, {"batch_size": 2},
             {"kind": "task", "name": "reverse", "length": 3})
    run = _held_run([(0, 2), (0, 4)], shape=shape)
    path = session.save(run, tmp_path / "held.npz")
    assert _metadata(path)["units_off"]["units"] == ["enc 2", "dec 1"]
    assert session.load(path).units_off.units == ((0, 2), (0, 4))


def test_a_session_holding_units_as_numbers_still_loads(tmp_path):
    """Sessions of format 1, written before names were saved, hold [layer, unit] pairs."""
    run = _held_run(mode="mean")
    path = session.save(run, tmp_path / "old.npz")
    assert _metadata(path)["version"] == 2  # names: an older rnnviz says "newer", not "damaged"
    assert _metadata(session.save(presets.make_trainer(*BIDIRECTIONAL), tmp_path / "free.npz"))["version"] == 1
    clamp = run.units_off
    _rewrite_units(path, {"units": [[0, 1], [1, 3]], "values": list(clamp.values), "mode": "mean"}, version=1)
    loaded = session.load(path)
    assert loaded.units_off == clamp
    assert [loaded.step().loss for _ in range(2)] == [run.step().loss for _ in range(2)]


GOOD_VALUES = [0.0, 0.0]


@pytest.fixture(scope="module")
def saved_once(tmp_path_factory):
    """A run holding two units and its session, saved once for every damaged copy below."""
    run = _held_run()
    return run, session.save(run, tmp_path_factory.mktemp("held") / "held.npz")


@pytest.mark.parametrize("units_off, message", [
    ({"units": ["enc 1", "fwd 0"], "values": GOOD_VALUES, "mode": "zero"}, "'enc 1' is not a unit"),
    ({"units": ["fwd 3", "fwd 0"], "values": GOOD_VALUES, "mode": "zero"}, "the forward stack has 3 units"),
    ({"units": ["2:fwd 0", "fwd 0"], "values": GOOD_VALUES, "mode": "zero"}, "unit 0 of layer 2 does not exist"),
    ({"units": [[0, 6], [0, 1]], "values": GOOD_VALUES, "mode": "zero"}, "unit 6 of layer 0 does not exist"),
    ({"units": [[-1, 0], [0, 1]], "values": GOOD_VALUES, "mode": "zero"}, "unit 0 of layer -1 does not exist"),
    ({"units": ["0:fwd 1", "0:1"], "values": GOOD_VALUES, "mode": "zero"}, "unit 0:fwd 1 is switched off twice"),
    ({"units": [[0, 1], [0, 1]], "values": GOOD_VALUES, "mode": "zero"}, "switched off twice"),
    ({"units": [[0, 1.0], [0, 2]], "values": GOOD_VALUES, "mode": "zero"}, "neither a unit's name nor"),
    ({"units": [[True, 1], [0, 2]], "values": GOOD_VALUES, "mode": "zero"}, "neither a unit's name nor"),
    ({"units": [7, [0, 2]], "values": GOOD_VALUES, "mode": "zero"}, "neither a unit's name nor"),
    ({"units": ["", [0, 2]], "values": GOOD_VALUES, "mode": "zero"}, "neither a unit's name nor"),
    ({"units": ["fwd " + "1" * 60, [0, 2]], "values": GOOD_VALUES, "mode": "zero"}, "neither a unit's name nor"),
    ({"units": ["fwd 1"], "values": GOOD_VALUES, "mode": "zero"}, "as many values"),
    ({"units": "fwd 1", "values": [0.0], "mode": "zero"}, "a list of units"),
    ({"units": ["fwd 1"], "values": ["x"], "mode": "zero"}, "finite number, not 'x'"),
    ({"units": ["fwd 1"], "values": [float("nan")], "mode": "zero"}, "finite number"),
    ({"units": ["fwd 1"], "values": [float("inf")], "mode": "zero"}, "finite number"),
    ({"units": ["fwd 1"], "values": [10 ** 400], "mode": "zero"}, "finite number"),
    ({"units": ["fwd 1"], "values": [True], "mode": "zero"}, "finite number"),
    ({"units": ["fwd 1"], "values": [0.0], "mode": "half"}, "clamp mode must be one of zero, mean"),
    ({"units": ["fwd 1"], "values": [0.0], "mode": ["zero"]}, "mode must be 'zero' or 'mean'"),
    ({"units": ["fwd 1"], "values": [0.0]}, "expected units, values and mode"),
    ({"units": ["fwd 1"], "values": [0.0], "mode": "zero", "extra": 1}, "expected units, values and mode"),
    ([["fwd", 1]], "expected units, values and mode"),
    ({"units": [[0, i % 6] for i in range(13)], "values": [0.0] * 13, "mode": "zero"}, "13 units held, but the "
                                                                                       "network has 12"),
])
def test_a_damaged_or_foreign_held_units_field_is_refused(saved_once, tmp_path, units_off, message):
    run, saved = saved_once
    path = tmp_path / "held.npz"
    shutil.copyfile(saved, path)
    _rewrite_units(path, units_off)
    before = {name: value.copy() for name, value in run.model.params.items()}
    with pytest.raises(SessionError) as refused:
        session.load(path)
    text = str(refused.value)
    assert text.startswith("held.npz is damaged: the units switched off: ") and message in text, text
    assert "\n" not in text and len(text) < 300
    assert all(np.array_equal(before[name], value) for name, value in run.model.params.items())
