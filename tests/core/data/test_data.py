"""Text and CSV loading: vocabularies, batching, baselines, samples, and every bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from collections import Counter

import numpy as np
import pytest

from rnnviz.core.data import textfile
from rnnviz.core.data.files import (DEFAULT_SAMPLE, SAMPLE_SERIES, DataError, SeriesSource, TextSource,
                              load_csv, load_path, load_sample, load_text, sample_names, text_source)
from rnnviz.core.data.text import UNKNOWN_WORD

TEXT = "The heron stood by the mill.\nThe clock struck nine, and the heron lifted a foot.\n" * 20


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def listing(folder):
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir())


# ----------------------------------------------------------------------------- text
def test_char_vocabulary_is_sorted_and_ids_round_trip(tmp_path):
    source = load_text(write(tmp_path, "a.txt", TEXT))
    assert source.vocab == sorted(set(TEXT))
    assert source.ids.dtype == np.uint8
    assert source.decode(source.ids) == TEXT
    assert source.input_size == source.output_size == len(set(TEXT))
    assert list(source.encode("heron")) == [source.vocab.index(c) for c in "heron"]
    assert source.carry_state is True
    assert source.name == "text: a.txt" and "next character" in source.description


def test_vocabulary_does_not_depend_on_order_of_appearance():
    assert text_source("abcabc").vocab == text_source("cbacba").vocab == ["a", "b", "c"]


def test_ids_use_the_smallest_unsigned_type():
    wide = "".join(chr(0x100 + i) for i in range(300)) * 2  # 300 distinct characters
    source = text_source(wide)
    assert source.ids.dtype == np.uint16
    assert source.decode(source.ids) == wide
    assert text_source("ab" * 10).ids.dtype == np.uint8


def test_word_level_and_unknown_words(tmp_path):
    source = load_text(write(tmp_path, "w.txt", TEXT), level="word")
    assert source.vocab == sorted(source.vocab)
    assert "heron" in source.vocab and "\n" in source.vocab and "." in source.vocab
    assert source.decode(source.encode("The heron stood.")) == "The heron stood."
    capped = text_source("a b c d e f a b a", level="word", max_words=3)
    counts = Counter("a b c d e f a b a".split())
    kept = sorted(sorted(counts, key=lambda w: (-counts[w], w))[:2] + [UNKNOWN_WORD])
    assert capped.vocab == kept
    assert capped.decode(capped.encode("a zebra")) == f"a {UNKNOWN_WORD}"
    with pytest.raises(DataError, match="at least 2"):
        text_source("a b", level="word", max_words=1)


def test_streams_advance_and_carry_between_batches():
    source = text_source(TEXT)
    batch, steps = 4, 10
    train = source.train_ids.astype(np.int64)
    per_stream = (len(train) - 1) // batch
    first_inputs, first_targets = source.train_batch(batch, steps, np.random.default_rng(0))
    assert first_inputs.shape == first_targets.shape == (steps, batch)
    for b in range(batch):
        np.testing.assert_array_equal(first_inputs[:, b], train[b * per_stream: b * per_stream + steps])
    np.testing.assert_array_equal(first_targets[:-1], first_inputs[1:])
    second_inputs, _ = source.train_batch(batch, steps, np.random.default_rng(0))
    np.testing.assert_array_equal(second_inputs[0], first_targets[-1])  # each stream continues


def test_state_resumes_on_the_same_batch():
    source = text_source(TEXT)
    source.train_batch(3, 7)
    state = json.loads(json.dumps(source.get_state()))
    expected = source.train_batch(3, 7)
    source.train_batch(3, 7)
    source.set_state(state)
    np.testing.assert_array_equal(source.train_batch(3, 7)[0], expected[0])
    with pytest.raises(DataError):
        source.set_state({"cursor": -4})


def test_validation_is_the_held_out_tail_and_fixed():
    source = text_source(TEXT)
    held_out = int(len(TEXT) * 0.1)
    assert len(source.validation_ids) == held_out
    inputs, targets = source.validation_batch(4, 10)
    tail = source.validation_ids.astype(np.int64)
    np.testing.assert_array_equal(inputs[:, 0], tail[:10])
    np.testing.assert_array_equal(targets[:, 1], tail[11:21])
    np.testing.assert_array_equal(source.validation_batch(4, 10)[0], inputs)
    assert source.validation_batch(4, held_out) is None  # no window of T + 1 fits


def test_text_baselines_follow_their_formulas():
    source = text_source(TEXT)
    train_text = TEXT[: len(TEXT) - int(len(TEXT) * 0.1)]
    counts = np.array(list(Counter(train_text).values()), dtype=float)
    p = counts / counts.sum()
    entropy = -(p * np.log(p)).sum()
    assert source.unigram_baseline(25) == pytest.approx(25 * entropy)
    assert source.uniform_baseline(25) == pytest.approx(25 * math.log(len(set(TEXT))))
    # the memoryless line: the best prediction of the next character from the current one alone
    pairs = Counter(zip(train_text, train_text[1:]))
    firsts = Counter(a for a, _ in pairs.elements())
    conditional = -sum(n * math.log(n / firsts[a]) for (a, _), n in pairs.items()) / sum(pairs.values())
    assert source.baseline(25) == pytest.approx(25 * conditional, rel=1e-12)
    assert source.baseline(25) < source.unigram_baseline(25)  # knowing the current token helps


def test_token_labels_are_readable():
    source = text_source("a b\nc\t")
    assert source.token_labels(source.encode("a b\nc\t")) == ["a", "\u2423", "b", "\u23ce", "c", "\u21e5"]


def test_a_batch_larger_than_the_text_names_what_is_needed():
    source = text_source("abcdefghij" * 3)
    with pytest.raises(DataError, match=r"at least 1,001 \(B x T \+ 1\)"):
        source.train_batch(10, 100)


# ----------------------------------------------------------------------------- bad text files
@pytest.mark.parametrize("content, pattern", [
    (b"", "is empty"),
    (b"hello\x00world", "binary file .a NUL byte at offset 5"),
    (b"a", r"too short: it has 1 characters.*needs 2"),
])
def test_bad_text_files_are_refused(tmp_path, content, pattern):
    path = write(tmp_path, "bad.txt", content)
    before = listing(tmp_path)
    with pytest.raises(DataError, match=pattern):
        load_text(path)
    assert listing(tmp_path) == before  # a failed load writes and changes nothing


def test_too_short_for_the_requested_window(tmp_path):
    path = write(tmp_path, "short.txt", "x" * 50)
    with pytest.raises(DataError, match=r"has 50 characters, 45 after .* window of 100 steps needs 101"):
        load_text(path, seq_len=100)


def test_invalid_byte_offset_is_exact_across_chunks(tmp_path):
    # multi-byte characters straddle every 7-byte chunk boundary; the bad byte is far in
    good = ("é€a" * 400).encode("utf-8")
    path = write(tmp_path, "bad.txt", good + b"\xff" + b"tail")
    with pytest.raises(DataError, match=f"byte 0xFF at offset {len(good)} is not valid utf-8.*--encoding"):
        list(textfile.decoded_chunks(path, chunk_bytes=7))
    with pytest.raises(DataError, match=f"offset {len(good)} "):
        load_text(path)
    truncated = write(tmp_path, "cut.txt", good + "€".encode("utf-8")[:2])
    with pytest.raises(DataError, match=f"offset {len(good)} "):
        list(textfile.decoded_chunks(truncated, chunk_bytes=5))


def test_other_encodings_and_bom(tmp_path):
    latin = write(tmp_path, "latin.txt", "café au lait " .encode("latin-1") * 5)
    with pytest.raises(DataError, match="--encoding"):
        load_text(latin)
    assert "é" in load_text(latin, encoding="latin-1").vocab
    utf16 = write(tmp_path, "u16.txt", ("wide text " * 5).encode("utf-16"))
    assert load_text(utf16, encoding="utf-16").decode(load_text(utf16, encoding="utf-16").ids) == "wide text " * 5
    bom = write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + b"plain text here")
    assert "\ufeff" not in load_text(bom).vocab
    for name in ("no-such-codec", "hex", "rot13"):
        with pytest.raises(DataError, match="unknown encoding"):
            load_text(latin, encoding=name)


def test_missing_folder_and_unreadable_files(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="no such file"):
        load_path(tmp_path / "missing.txt")
    with pytest.raises(DataError, match="is a folder"):
        load_path(tmp_path)
    path = write(tmp_path, "locked.txt", TEXT)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(textfile, "open", refuse, raising=False)
    with pytest.raises(DataError, match="permission denied"):
        load_text(path)


def test_unknown_level_and_load_path_by_suffix(tmp_path):
    with pytest.raises(DataError, match="unknown text level"):
        load_text(write(tmp_path, "a.txt", TEXT), level="syllable")
    csv_path = write(tmp_path, "s.csv", "1\n2\n3\n4\n")
    assert isinstance(load_path(csv_path), SeriesSource)
    assert isinstance(load_path(write(tmp_path, "notes.md", TEXT)), TextSource)
    with pytest.raises(DataError, match="text files only"):
        load_path(csv_path, level="word")


# ----------------------------------------------------------------------------- CSV series
def test_csv_with_header_is_standardised_and_reversible(tmp_path):
    rows = np.column_stack([np.linspace(0, 30, 40), np.sin(np.arange(40)) * 5 + 100])
    text = "temp,pressure\n" + "".join(f"{a},{b}\n" for a, b in rows)
    source = load_csv(write(tmp_path, "s.csv", text))
    assert source.columns == ["temp", "pressure"]
    assert source.input_size == source.output_size == 2
    train = rows[:36]  # 40 rows, 4 held out
    np.testing.assert_allclose(source.mean, train.mean(axis=0))
    np.testing.assert_allclose(source.train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(source.train.std(axis=0), 1)
    np.testing.assert_allclose(source.to_original_units(source.standard), rows)
    inputs, targets = source.train_batch(2, 5, np.random.default_rng(0))
    assert inputs.shape == targets.shape == (5, 2, 2)
    np.testing.assert_array_equal(targets[:-1], inputs[1:])
    assert source.token_labels(inputs[:, 0]) == [f"{v:.3g}" for v in rows[:5, 0]]


@pytest.mark.parametrize("text, columns", [
    ("1;2\n3;4\n5;6\n", ["column 1", "column 2"]),
    ("\n\n7\n8\n\n9\n", ["column 1"]),
    ("a\tb\n1\t2\n3\t4\n5\t6\n", ["a", "b"]),
    ("x;y\r\n1,5;2\r\n3;4,25\r\n5;6\r\n", ["x", "y"]),
    ('"x","y"\n"1","2"\n3,4\n5,6\n', ["x", "y"]),
])
def test_csv_layouts(tmp_path, text, columns):
    assert load_csv(write(tmp_path, "s.csv", text)).columns == columns


def test_semicolon_files_may_use_decimal_commas(tmp_path):
    source = load_csv(write(tmp_path, "s.csv", "x;y\r\n1,5;2\r\n3;4,25\r\n5;6\r\n"))
    np.testing.assert_allclose(source.to_original_units(source.standard), [[1.5, 2], [3, 4.25], [5, 6]])


def test_series_baselines_follow_their_formulas(tmp_path):
    source = load_sample(SAMPLE_SERIES)
    z = source.train
    expected = 10 * np.mean(np.sum(np.diff(z, axis=0) ** 2, axis=1))
    assert source.baseline(10) == pytest.approx(expected)
    assert source.mean_baseline(10) == pytest.approx(10 * z.shape[1])
    losses = []  # predicting "next = this" on the batches of one epoch
    for _ in range(20):
        inputs, targets = source.train_batch(4, 10)
        losses.append(((targets - inputs) ** 2).sum() / 4)
    assert np.mean(losses) == pytest.approx(source.baseline(10), rel=0.15)


@pytest.mark.parametrize("text, pattern", [
    ("a,b\n1,2\n3,x\n5,6\n", r"line 3, column 2 \(b\): 'x' is not a number"),
    ("a,b\n1,2\n3,\n5,6\n", r"line 3, column 2 \(b\): the cell is empty"),
    ("a,b\n1,2\nnan,4\n5,6\n", r"line 3, column 1 \(a\): the value is NaN"),
    ("1,2\n3,4\n5,-inf\n", r"line 3, column 2 \(column 2\): the value '-inf' is infinite"),
    ("a,b\n1,2\n3,4,5\n5,6\n", r"line 3: 3 cells, but the header \(line 1\) has 2"),
    ("a,b\n1,2\n3,4\n", r"has 2 data rows; a series needs at least 3"),
    ("day,temp\n2024-01-01,3\n", r"line 2, column 1 \(day\): '2024-01-01' is not a number.*numeric columns only"),
    ("1,x\n2,3\n", r"line 1, column 2 .*header row needs a name"),
    ("\n\na,b\n1,2\n\n3,oops\n", r"line 6, column 2"),
    ("\n\n", "has no rows"),
])
def test_bad_csv_names_line_and_column(tmp_path, text, pattern):
    path = write(tmp_path, "bad.csv", text)
    before = listing(tmp_path)
    with pytest.raises(DataError, match=pattern):
        load_csv(path)
    assert listing(tmp_path) == before


def test_constant_column_is_centred_not_divided_by_zero():
    source = SeriesSource(np.column_stack([np.arange(10.0), np.full(10, 3.0)]), ["x", "k"])
    assert np.isfinite(source.standard).all() and source.constant_columns == ["k"]


# ----------------------------------------------------------------------------- samples
def test_samples_ship_and_load():
    names = sample_names()
    assert names[0] == DEFAULT_SAMPLE and len(names) >= 3
    sizes = {name: len(load_sample(name).ids) for name in names}
    assert sum(sizes.values()) > 20_000
    default = load_sample()
    assert default.name == f"sample: {DEFAULT_SAMPLE}" and default.level == "char"
    assert isinstance(load_sample(SAMPLE_SERIES), SeriesSource)
    with pytest.raises(DataError, match="no sample named"):
        load_sample("nope.txt")


# ----------------------------------------------------------------------------- a large file
LARGE_SCRIPT = textwrap.dedent("""
    import json, sys, tracemalloc
    from rnnviz.core.data.files import load_text
    path, size = sys.argv[1], int(sys.argv[2])
    calls = []
    tracemalloc.start()
    source = load_text(path, progress=calls.append)
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"peak": peak, "calls": calls, "n": len(source.ids), "dtype": str(source.ids.dtype),
                      "vocab": len(source.vocab)}))
""")


TAIL = "naïve — ☂\n"


def test_large_file_memory_and_progress(tmp_path):
    rng = np.random.default_rng(0)
    alphabet = np.frombuffer(b"etaoinshrdlu cmwfgypbvkETAOIN.,\n", dtype=np.uint8)
    size = 24 * 2 ** 20
    body = alphabet[rng.integers(0, len(alphabet), size)]
    path = tmp_path / "large.txt"
    with open(path, "wb") as handle:
        handle.write(body.tobytes())
        handle.write(TAIL.encode("utf-8"))  # a few multi-byte characters at the very end
    size = path.stat().st_size
    result = subprocess.run([sys.executable, "-c", LARGE_SCRIPT, str(path), str(size)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["peak"] < 4 * size, f"peak {report['peak'] / size:.2f}x the file size"
    assert report["dtype"] == "uint8" and report["vocab"] == len(set(alphabet.tobytes().decode()) | set(TAIL))
    assert report["n"] == size - len(TAIL.encode("utf-8")) + len(TAIL)
    calls = report["calls"]
    assert 10 <= len(calls) <= 101 and calls[-1] == 1.0
    assert all(a < b for a, b in zip(calls, calls[1:]))
