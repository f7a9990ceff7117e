"""Labelled text for many-to-one classification: one example per line, classified at its end.

Two layouts are read: ``label<TAB>text`` lines (any suffix, no header), or a CSV/TSV whose
header names a ``text`` and a ``label`` column. Each text becomes a sequence of word ids; sequences of different
lengths share a batch by padding after their end with the ``<pad>`` token (id 0), and the
model reads each one at its own last real word (``ModelConfig.pad_id``). Every batch is padded
to the longest example of the file, so the window T is fixed and the gradient plots of
successive steps line up.

The file is hostile until checked: its size is bounded before reading, and a line with no
label, an empty label or text, a line longer than MAX_WORDS words, a missing column or a file
with a single class is refused with its line number (DataError), nothing half-loaded.

The baseline is the majority-class baseline of a classifier without input: always answering
with the training labels' frequencies, whose cross-entropy is their entropy (the best any
input-blind guess can do; the accuracy of always answering the majority class is in the
description). 10 % of the examples, chosen by a fixed shuffle, are held out.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np

from rnnviz.core.errors import DataError
from rnnviz.core.data.textfile import decoded_chunks, file_size

PAD, UNKNOWN = "<pad>", "<unk>"  # ids 0 and 1
PAD_ID, UNKNOWN_ID = 0, 1
MAX_WORDS = 100  # words per example: a longer one would make every padded batch that long
MAX_VOCAB = 2000  # the most frequent words; rarer ones become <unk>
MAX_BYTES = 20 << 20  # 20 MiB of labelled text is ~200 000 reviews: far beyond an interactive run
MIN_EXAMPLES = 10  # fewer cannot give both a training set and a held-out batch
MAX_LABEL_CHARS = 40  # a label is a short name ("positive"); longer first fields are text
HOLD_OUT = 0.1
SPLIT_SEED = 20140901  # the fixed shuffle that picks the held-out examples
WORDS = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
LABELLED_LINE = re.compile(r"^[^\t\s]{1,%d}\t\S" % MAX_LABEL_CHARS)
CSV_SUFFIXES = (".csv", ".tsv")


def words(text: str) -> list[str]:
    """Lower-cased words and single punctuation marks."""
    return WORDS.findall(text.lower())


def _first_line(path: Path, encoding: str) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return ""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode(encoding, errors="replace").split("\n", 1)[0].rstrip("\r")


def _header_fields(line: str, suffix: str) -> list[str]:
    delimiter = "\t" if suffix == ".tsv" or ("\t" in line and "," not in line) else ","
    return [field.strip().strip('"').lower() for field in line.split(delimiter)]


def is_labelled(path, encoding: str = "utf-8") -> bool:
    """Whether a file is labelled text: a CSV/TSV with a ``text`` or ``label`` column in its
    header, or any other file whose first line is ``label<TAB>text``."""
    path = Path(path)
    line = _first_line(path, encoding)
    if path.suffix.lower() in CSV_SUFFIXES:
        fields = _header_fields(line, path.suffix.lower())
        if "text" in fields or "label" in fields:
            return True
    return bool(LABELLED_LINE.match(line))


def _examples_from_tabs(text: str, name: str):
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if "\t" not in line:
            raise DataError(f"{name}, line {number}: no label (expected label<TAB>text): {line[:60]!r}")
        label, body = line.split("\t", 1)
        yield number, label, body


def _examples_from_csv(text: str, name: str, suffix: str):
    header = text.split("\n", 1)[0]
    delimiter = "\t" if suffix == ".tsv" or ("\t" in header and "," not in header) else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        fields = [field.strip().lower() for field in next(reader)]
    except StopIteration:
        raise DataError(f"{name} is empty: there is nothing to learn from") from None
    for column in ("text", "label"):
        if column not in fields:
            raise DataError(f"{name}, line 1: the header has no {column!r} column "
                            f"(it has {', '.join(repr(f) for f in fields)})")
    text_at, label_at = fields.index("text"), fields.index("label")
    try:
        for row in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(text_at, label_at):
                raise DataError(f"{name}, line {number}: {len(row)} fields, but the header names "
                                f"{len(fields)} (the text or the label is missing)")
            yield number, row[label_at], row[text_at]
    except csv.Error as exc:
        raise DataError(f"{name}, line {reader.line_num}: unreadable CSV ({exc})") from None


def parse(text: str, name: str, suffix: str = "") -> list[tuple[int, str, list[str]]]:
    """(line number, label, words) of every example; DataError naming the line of the first problem."""
    header = _header_fields(text.split("\n", 1)[0], suffix)
    with_header = suffix in CSV_SUFFIXES and ("text" in header or "label" in header)
    rows = _examples_from_csv(text, name, suffix) if with_header else _examples_from_tabs(text, name)
    examples = []
    for number, label, body in rows:
        label = label.strip()
        if not label:
            raise DataError(f"{name}, line {number}: the label is empty")
        if len(label) > MAX_LABEL_CHARS:
            raise DataError(f"{name}, line {number}: a label of {len(label)} characters; labels are "
                            f"short class names (at most {MAX_LABEL_CHARS})")
        tokens = words(body)
        if not tokens:
            raise DataError(f"{name}, line {number}: the text is empty")
        if len(tokens) > MAX_WORDS:
            raise DataError(f"{name}, line {number}: {len(tokens)} words, too long for the window "
                            f"(at most {MAX_WORDS} words per example)")
        examples.append((number, label, tokens))
    if len(examples) < MIN_EXAMPLES:
        raise DataError(f"{name} has {len(examples)} labelled examples; at least {MIN_EXAMPLES} are needed")
    classes = sorted({label for _, label, _ in examples})
    if len(classes) < 2:
        raise DataError(f"{name}: every example has the label {classes[0]!r}; a classifier needs "
                        f"at least two classes")
    return examples


class LabelledSource:
    """Word sequences with one class each, padded batches, the majority-class baseline."""

    carry_state = False  # every example is a sequence of its own
    predicts_next = False  # the target is a label, not the next token: both directions may read
    pad_id = PAD_ID

    def __init__(self, examples, *, name: str = "labelled text") -> None:
        self.name = name
        self.classes = sorted({label for _, label, _ in examples})
        counts = Counter(word for _, _, tokens in examples for word in tokens)
        kept = sorted(word for word, _ in counts.most_common(MAX_VOCAB))
        self.vocab = [PAD, UNKNOWN] + kept
        self._ids = {word: i for i, word in enumerate(self.vocab)}
        self.length = max(len(tokens) for _, _, tokens in examples)  # T: the longest example
        ids = np.full((len(examples), self.length), PAD_ID, dtype=np.int64)  # (N, T)
        for row, (_, _, tokens) in enumerate(examples):
            ids[row, :len(tokens)] = self.encode_words(tokens)
        labels = np.array([self.classes.index(label) for _, label, _ in examples], dtype=np.int64)  # (N,)
        order = np.random.default_rng(SPLIT_SEED).permutation(len(examples))
        held = max(1, int(round(HOLD_OUT * len(examples))))
        self._train, self._valid = order[held:], order[:held]
        self._ids_all, self._labels = ids, labels
        self.lines = np.array([number for number, _, _ in examples])  # file line of each example
        self.input_size = len(self.vocab)
        self.output_size = len(self.classes)

    # ----------------------------------------------------------------- the Source protocol
    @property
    def sequence_length(self) -> int:
        return self.length

    def _batch(self, rows: np.ndarray):
        return self._ids_all[rows].T.copy(), self._labels[rows].copy()  # (T, B), (B,)

    def train_batch(self, batch_size: int, seq_len: int | None = None, rng: np.random.Generator | None = None):
        rng = np.random.default_rng() if rng is None else rng
        return self._batch(self._train[rng.integers(0, len(self._train), size=int(batch_size))])

    def validation_batch(self, batch_size: int, seq_len: int | None = None):
        rows = self._valid[:int(batch_size)]
        return self._batch(rows)

    def class_frequencies(self) -> np.ndarray:
        return np.bincount(self._labels[self._train], minlength=len(self.classes)) / len(self._train)

    def baseline(self, seq_len: int | None = None) -> float:
        """Cross-entropy of answering with the training labels' frequencies, whatever the text."""
        p = self.class_frequencies()
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    def majority_accuracy(self) -> float:
        return float(self.class_frequencies().max())

    def token_labels(self, inputs_for_one_sample) -> list[str]:
        return [self.vocab[int(i)] for i in np.asarray(inputs_for_one_sample).reshape(-1)]

    def get_state(self) -> dict:
        return {}

    def set_state(self, state: dict) -> None:
        pass

    # ----------------------------------------------------------------- text
    def encode_words(self, tokens: list[str]) -> np.ndarray:
        return np.array([self._ids.get(word, UNKNOWN_ID) for word in tokens], dtype=np.int64)

    def encode(self, text: str) -> np.ndarray:
        """A typed sentence as word ids (T,); unknown words become <unk>. DataError if it has no
        words or more than the window holds."""
        tokens = words(text)
        if not tokens:
            raise DataError("type a sentence: it has no words yet")
        if len(tokens) > self.length:
            raise DataError(f"{len(tokens)} words; this model's window holds {self.length}")
        return self.encode_words(tokens)

    @property
    def description(self) -> str:
        counts = np.bincount(self._labels, minlength=len(self.classes))
        shares = ", ".join(f"{c} {n}" for c, n in zip(self.classes, counts))
        majority = self.classes[int(self.class_frequencies().argmax())]
        return (
            f"Many-to-one classification of {len(self._labels)} labelled texts ({shares}); "
            f"{len(self.vocab) - 2} words, the longest example {self.length} words. The network reads "
            f"each text word by word and is scored once, at the text's own last word: the gradient "
            f"reaching each word shows how far back the answer can still learn from. Without reading "
            f"the text, the best guess costs {self.baseline():.3f} nats (the baseline line), and "
            f"always answering {majority!r} (the majority class) is right "
            f"{self.majority_accuracy():.0%} of the time.")


def load_labelled(path, *, encoding: str = "utf-8", progress=None, name: str | None = None) -> LabelledSource:
    """Read a labelled file (see the module docstring); DataError naming the line of any problem."""
    path = Path(path)
    size = file_size(path)
    if size > MAX_BYTES:
        raise DataError(f"{path} is {size / 2**20:.0f} MiB of labelled text; at most "
                        f"{MAX_BYTES >> 20} MiB are read (take a sample of the examples)")
    text = "".join(decoded_chunks(path, encoding, progress))
    examples = parse(text, path.name, path.suffix.lower())
    return LabelledSource(examples, name=name or f"labelled: {path.name}")


def labelled_source(text: str, *, name: str = "labelled text", suffix: str = "") -> LabelledSource:
    """A LabelledSource from text in memory (tests, examples)."""
    return LabelledSource(parse(text, name, suffix), name=name)

