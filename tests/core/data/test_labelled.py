"""Labelled text: both layouts, the shipped reviews, padded batches, and every bad file refused by line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnviz.core.data.files import SAMPLE_LABELLED, load_path, load_sample
from rnnviz.core.data.labelled import MAX_WORDS, PAD_ID, LabelledSource
from rnnviz.core.errors import DataError

GOOD = "".join(f"{'pos' if i % 2 else 'neg'}\t{'fine' if i % 2 else 'bad'} item number {i}\n" for i in range(12))


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_reviews_are_labelled_and_balanced():
    source = load_sample(SAMPLE_LABELLED)
    assert isinstance(source, LabelledSource)
    assert source.classes == ["negative", "positive"]
    assert 300 <= len(source.lines) <= 1000
    assert source.baseline() == pytest.approx(math.log(2), abs=0.01)  # two nearly equal classes
    inputs, targets = source.train_batch(8, None, np.random.default_rng(0))
    assert inputs.shape == (source.length, 8) and targets.shape == (8,)
    # padded after each review's end, never inside it
    real = inputs != PAD_ID
    assert np.array_equal(real, np.arange(source.length)[:, None] < real.sum(axis=0)[None, :])
    # the review whose label turns on its late words
    words = source.token_labels(source.encode("It is a good product but it stopped working in few days"))
    assert words[:4] == ["it", "is", "a", "good"]


def test_tab_and_csv_layouts_read_the_same_examples(tmp_path):
    tabs = load_path(write(tmp_path, "a.txt", GOOD))
    rows = "".join(f'"{t}",{lab}\n' for lab, t in (line.split("\t") for line in GOOD.strip().split("\n")))
    table = load_path(write(tmp_path, "a.csv", "text,label\n" + rows))
    assert tabs.classes == table.classes == ["neg", "pos"]
    assert tabs.vocab == table.vocab
    np.testing.assert_array_equal(tabs.validation_batch(4)[0], table.validation_batch(4)[0])


@pytest.mark.parametrize("name, text, message", [
    ("missing.txt", GOOD.replace("pos\tfine item number 3", "fine item number 3"), "line 4: no label"),
    ("empty.txt", GOOD.replace("fine item number 5", "   "), "line 6: the text is empty"),
    ("one.txt", GOOD.replace("pos\t", "neg\t"), "at least two classes"),
    ("long.txt", GOOD.replace("fine item number 7", "word " * (MAX_WORDS + 1)), "line 8: 101 words"),
    ("nolabel.csv", "text,stars\n" + "good,5\n" * 12, "line 1: the header has no 'label' column"),
    ("short.csv", "text,label\n" + "good,pos\n" * 5 + "bad\n" + "bad,neg\n" * 6, "line 7: 1 fields"),
])
def test_bad_labelled_files_are_refused_with_their_line(tmp_path, name, text, message):
    with pytest.raises(DataError, match=message):
        load_path(write(tmp_path, name, text))


def test_a_numeric_csv_is_still_a_series(tmp_path):
    source = load_path(write(tmp_path, "s.csv", "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(50))))
    assert not isinstance(source, LabelledSource)
