"""``rnnviz run --units-off`` takes the units as the panels and units.csv name them, for every shape."""

from __future__ import annotations

import argparse

import pytest

from rnnviz.cli import units
from rnnviz.core.errors import UserError
from rnnviz.core.train import presets


def test_names_are_read_for_the_network_they_belong_to():
    run = presets.make_trainer({"hidden_size": 4, "bidirectional": True, "num_layers": 2}, {"batch_size": 2},
                               {"kind": "task", "name": "marker", "length": 5})
    assert units.parse("fwd 1, 1:bwd 0,0:7", run.model_config) == [(0, 1), (1, 4), (0, 7)]
    units.apply(run, argparse.Namespace(units_off="bwd 3,1:fwd 0", hold="zero"))
    assert run.units_off.units == ((0, 7), (1, 0))
    with pytest.raises(UserError, match="layer:unit pairs or unit names.*'enc 1' is not a unit"):
        units.parse("enc 1", run.model_config)
    with pytest.raises(UserError, match="--units-off: unit 9 of layer 0 does not exist"):
        units.apply(run, argparse.Namespace(units_off="0:9", hold=None))


def test_an_encoder_decoder_names_its_two_stacks():
    run = presets.make_trainer({"hidden_size": 4, "decoder_hidden_size": 3, "arch": "seq2seq"}, {"batch_size": 2},
                               {"kind": "task", "name": "reverse", "length": 4})
    assert units.parse("enc 3,dec 0,dec 2", run.model_config) == [(0, 3), (0, 4), (0, 6)]
    with pytest.raises(UserError, match="the decoder stack has 3 units per layer"):
        units.parse("dec 3", run.model_config)


def test_the_run_says_which_units_it_holds():
    run = presets.make_trainer({"hidden_size": 4, "bidirectional": True}, {"batch_size": 2},
                               {"kind": "task", "name": "marker", "length": 5})
    assert units.apply(run, argparse.Namespace(units_off=None, hold=None)) == ""
    assert units.apply(run, argparse.Namespace(units_off="bwd 3,fwd 0", hold=None)) == \
        "units held off (zero): fwd 0 at 0, bwd 3 at 0"
    assert units.apply(run, argparse.Namespace(units_off=None, hold=None)) == \
        "units held off (zero): fwd 0 at 0, bwd 3 at 0"  # a resumed session's, without the flags
