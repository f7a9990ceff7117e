"""Text as a stream of token ids: characters by default, words as an option.

A text is read chunk by chunk (``textfile``) and each chunk turned into ids at once: for
characters through a lookup table indexed by code point (numpy, no Python loop per character),
for words through a dict. Ids are stored in the smallest unsigned integer type that fits the
vocabulary, so a 100 MB English text costs about 100 MB of ids. The vocabulary is sorted by
code point (characters) or by string (words): the same file always gives the same ids.

The last 10 % of the text is held out for the validation loss; the rest is read as B parallel
streams (``streams``), with the hidden state carried from window to window.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from rnnviz.core.errors import DataError
from rnnviz.core.data.streams import StreamedSource, StreamWindows, validation_indices
from rnnviz.core.data.textfile import decoded_chunks, file_size

LEVELS = ("char", "word")
VALIDATION_FRACTION = 0.1  # the last 10 % is held out: enough for a steady loss, little taken from training
MIN_WINDOW = 1  # without a given seq_len, a text must give at least one input and its target
MAX_WORDS = 2000  # word vocabulary cap: the softmax over V dominates a step; rarer words become <unk>
UNKNOWN_WORD = "<unk>"
WORD_PATTERN = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]|\n")  # words, single punctuation marks, newlines
NO_SPACE_BEFORE = set(".,;:!?)]}%\u2019\u201d")  # decode() glues these to the word before
READABLE = {" ": "\u2423", "\n": "\u23ce", "\t": "\u21e5", "\r": "\u240d"}  # ␣ ⏎ ⇥ ␍
CODE_POINTS = 0x110000  # every Unicode code point: the character lookup table's length
REMAP_CHUNK = 1 << 22  # ids remapped 4 M at a time, so the int temporaries stay small
MAX_PAIR_VOCAB = 4096  # a (V, V) table of int64 counts up to 128 MiB; beyond, the unigram bound


def smallest_uint(max_value: int) -> np.dtype:
    """The smallest unsigned integer dtype that holds 0 .. max_value."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if max_value <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def readable(token: str) -> str:
    """A token as a plot label or list entry: spaces, newlines and control characters made visible."""
    if token in READABLE:
        return READABLE[token]
    if len(token) == 1 and (ord(token) < 32 or ord(token) == 127):
        return f"\\x{ord(token):02x}"
    return token


# ----------------------------------------------------------------------------- ids from text
class _CharIds:
    """Characters to ids: provisional ids in order of first appearance, sorted at the end."""

    def __init__(self, capacity: int) -> None:
        self.lut = np.full(CODE_POINTS, -1, dtype=np.int32)  # code point -> provisional id
        self.code_points: list[int] = []  # provisional id -> code point
        self.ids = np.empty(max(capacity, 1), dtype=np.uint8)  # (capacity,) grows in width if needed
        self.count = 0

    def add(self, text: str) -> None:
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # (n,)
        ids = self.lut[cps]
        fresh = ids < 0
        if fresh.any():
            new = np.unique(cps[fresh])
            self.lut[new] = np.arange(len(self.code_points), len(self.code_points) + len(new))
            self.code_points.extend(int(c) for c in new)
            ids = self.lut[cps]
        dtype = smallest_uint(len(self.code_points) - 1)
        if dtype.itemsize > self.ids.itemsize:
            self.ids = self.ids.astype(dtype)
        end = self.count + len(ids)
        if end > len(self.ids):  # only for codecs with more characters than bytes
            self.ids = np.resize(self.ids, max(end, 2 * len(self.ids)))
        self.ids[self.count:end] = ids
        self.count = end

    def finish(self) -> tuple[np.ndarray, list[str]]:
        order = np.argsort(np.array(self.code_points, dtype=np.int64), kind="stable")
        rank = np.empty(len(order), dtype=self.ids.dtype)  # provisional id -> final id
        rank[order] = np.arange(len(order))
        ids = self.ids
        for start in range(0, self.count, REMAP_CHUNK):
            stop = min(start + REMAP_CHUNK, self.count)
            ids[start:stop] = rank[ids[start:stop]]
        self.ids = None
        ids.resize(self.count, refcheck=False)  # in place: no second copy of a large corpus
        vocab = [chr(self.code_points[i]) for i in order]
        return ids, vocab


class _WordIds:
    """Words to ids through a dict; the rarest words fold into <unk> beyond ``max_words``."""

    def __init__(self, max_words: int) -> None:
        self.max_words = max_words
        self.index: dict[str, int] = {}
        self.parts: list[np.ndarray] = []
        self.tail = ""  # a word possibly cut by the chunk boundary, kept for the next chunk

    def add(self, text: str, final: bool = False) -> None:
        text = self.tail + text
        cut = len(text) if final else max(text.rfind(" "), text.rfind("\n")) + 1
        if cut <= 0:  # one enormous word: take it as it is
            cut = len(text)
        self.tail = text[cut:]
        tokens = WORD_PATTERN.findall(text, 0, cut)
        index = self.index
        for word in set(tokens).difference(index):  # new words get the next provisional ids
            index[word] = len(index)
        self.parts.append(np.fromiter(map(index.__getitem__, tokens), dtype=np.uint32, count=len(tokens)))

    def finish(self) -> tuple[np.ndarray, list[str]]:
        self.add("", final=True)
        words = list(self.index)
        provisional = np.concatenate(self.parts) if self.parts else np.empty(0, np.uint32)
        self.parts = []
        counts = np.zeros(len(words), dtype=np.int64)
        for start in range(0, len(provisional), REMAP_CHUNK):
            counts += np.bincount(provisional[start:start + REMAP_CHUNK], minlength=len(words))
        keep = sorted(range(len(words)), key=lambda i: (-counts[i], words[i]))
        if len(words) > self.max_words:
            keep = keep[: self.max_words - 1]
            vocab = sorted([words[i] for i in keep] + [UNKNOWN_WORD])
        else:
            vocab = sorted(words)
        final_id = {word: i for i, word in enumerate(vocab)}
        unknown = final_id.get(UNKNOWN_WORD, 0)
        dtype = smallest_uint(max(len(vocab) - 1, 0))
        rank = np.array([final_id.get(w, unknown) for w in words], dtype=dtype)
        ids = np.empty(len(provisional), dtype=dtype)
        for start in range(0, len(provisional), REMAP_CHUNK):
            ids[start:start + REMAP_CHUNK] = rank[provisional[start:start + REMAP_CHUNK]]
        return ids, vocab


def tokenize(chunks: Iterable[str], level: str, capacity: int, max_words: int = MAX_WORDS):
    """Ids (N,) in the smallest unsigned dtype, and the vocabulary, from pieces of text."""
    check_level(level)
    if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 2:
        raise DataError(f"the word vocabulary limit must be a whole number of at least 2, got {max_words!r}")
    builder = _CharIds(capacity) if level == "char" else _WordIds(max_words)
    for chunk in chunks:
        builder.add(chunk)
    return builder.finish()


def check_level(level: str) -> None:
    if level not in LEVELS:
        raise DataError(f"unknown text level {level!r}; use 'char' (characters) or 'word' (words)")


# ----------------------------------------------------------------------------- the source
class TextSource(StreamedSource):
    """A text read as B parallel streams of token ids, predicting the next token at every step."""

    carry_state = True  # one long stream read window after window: carry h between batches

    def __init__(self, ids: np.ndarray, vocab: list[str], *, level: str = "char",
                 name: str = "text", seq_len: int | None = None) -> None:
        check_level(level)
        self.ids = ids  # (N,) smallest unsigned dtype
        self.vocab = list(vocab)
        self.level = level
        self.unit = "character" if level == "char" else "word"
        self.name = name
        self.input_size = self.output_size = len(self.vocab)
        self._index = {token: i for i, token in enumerate(self.vocab)}
        held_out = int(len(ids) * VALIDATION_FRACTION)
        self.train_ids = ids[: len(ids) - held_out]  # (N_train,) views, no copies
        self.validation_ids = ids[len(ids) - held_out:]  # (N_val,)
        needed = (seq_len or MIN_WINDOW) + 1
        if len(self.train_ids) < needed:
            raise DataError(
                f"{name} is too short: it has {len(ids):,} {self.unit}s, {len(self.train_ids):,} after "
                f"holding out {VALIDATION_FRACTION:.0%} for validation, but one training window of "
                f"{needed - 1} steps needs {needed:,} (the inputs plus the next {self.unit} as target)")
        self._streams = StreamWindows(len(self.train_ids), self.unit)
        self._counts = None
        self._conditional: float | None = None  # cached H(next | current)
        self.description = self._describe()

    # ------------------------------------------------------------ Source protocol
    def train_batch(self, batch_size: int, seq_len: int, rng: np.random.Generator | None = None):
        """(inputs (T, B) int64, targets (T, B) int64): the next window of every stream. ``rng``
        is unused: a stream is read in order."""
        window = self.train_ids[self._streams.next_indices(batch_size, seq_len)].astype(np.int64)
        return window[:-1], window[1:]

    def validation_batch(self, batch_size: int, seq_len: int):
        """Up to B fixed windows from the held-out tail, or None when it is shorter than T + 1."""
        index = validation_indices(len(self.validation_ids), batch_size, seq_len)
        if index is None:
            return None
        window = self.validation_ids[index].astype(np.int64)  # (T + 1, b)
        return window[:-1], window[1:]

    def baseline(self, seq_len: int) -> float:
        """Memoryless baseline: seq_len x H(next token | current token) of the training part, in
        nats — the best loss of a predictor that sees only the current token (what a network
        with no recurrence can reach), summed over the T scored steps as the model's loss is.
        A model below this line remembers something about earlier tokens."""
        return float(seq_len) * self.conditional_entropy()

    def unigram_baseline(self, seq_len: int) -> float:
        """seq_len x the entropy of the token frequencies: the loss of ignoring the input entirely."""
        return float(seq_len) * self.unigram_entropy()

    def uniform_baseline(self, seq_len: int) -> float:
        """seq_len x ln V: the loss of an untrained model that spreads probability evenly."""
        return float(seq_len) * math.log(len(self.vocab))

    def token_labels(self, inputs_for_one_sample) -> list[str]:
        return [readable(self.vocab[int(i)]) for i in np.asarray(inputs_for_one_sample).reshape(-1)]

    # ------------------------------------------------------------ text helpers
    def counts(self) -> np.ndarray:
        """(V,) how often each token occurs in the training part (counted in chunks)."""
        if self._counts is None:
            counts = np.zeros(len(self.vocab), dtype=np.int64)
            for start in range(0, len(self.train_ids), REMAP_CHUNK):
                counts += np.bincount(self.train_ids[start:start + REMAP_CHUNK], minlength=len(self.vocab))
            self._counts = counts
        return self._counts

    def unigram_probabilities(self) -> np.ndarray:
        counts = self.counts()
        return counts / counts.sum()

    def conditional_entropy(self) -> float:
        """H(next | current) of the training part, nats per token, from exact pair counts.

        For vocabularies above MAX_PAIR_VOCAB the (V, V) table would not fit comfortably and the
        unigram entropy (an upper bound) is returned instead."""
        if self._conditional is None:
            vocab = len(self.vocab)
            if vocab > MAX_PAIR_VOCAB or len(self.train_ids) < 2:
                self._conditional = self.unigram_entropy()
            else:
                pairs = np.zeros(vocab * vocab, dtype=np.int64)  # (V*V,) count of current*V + next
                ids = self.train_ids
                for start in range(0, len(ids) - 1, REMAP_CHUNK):
                    current = ids[start:start + REMAP_CHUNK].astype(np.int64)
                    following = ids[start + 1:start + 1 + REMAP_CHUNK].astype(np.int64)
                    current = current[:len(following)]
                    pairs += np.bincount(current * vocab + following, minlength=vocab * vocab)
                table = pairs.reshape(vocab, vocab)  # (current, next)
                rows = table.sum(axis=1, keepdims=True)  # (V, 1)
                seen = table > 0
                with np.errstate(divide="ignore", invalid="ignore"):
                    logs = np.where(seen, np.log(np.where(seen, table, 1) / np.maximum(rows, 1)), 0.0)
                self._conditional = float(-(table * logs).sum() / table.sum())
        return self._conditional

    def unigram_entropy(self) -> float:
        """Entropy of the training part's token frequencies, nats per token."""
        p = self.unigram_probabilities()
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    def tokens(self, text: str) -> list[str]:
        return list(text) if self.level == "char" else WORD_PATTERN.findall(text)

    def encode(self, text: str) -> np.ndarray:
        """Ids for ``text``. Unknown words become <unk> when the vocabulary has it; otherwise
        unknown tokens raise a DataError naming them."""
        tokens = self.tokens(text)
        unknown = sorted({t for t in tokens if t not in self._index})
        if unknown and UNKNOWN_WORD in self._index:
            fallback = self._index[UNKNOWN_WORD]
            ids = [self._index.get(t, fallback) for t in tokens]
        elif unknown:
            shown = ", ".join(repr(t) for t in unknown[:8]) + (" ..." if len(unknown) > 8 else "")
            raise DataError(f"{shown} {'is' if len(unknown) == 1 else 'are'} not in the vocabulary of "
                            f"{self.name} ({len(self.vocab)} {self.unit}s); remove or replace "
                            f"{'it' if len(unknown) == 1 else 'them'}")
        else:
            ids = [self._index[t] for t in tokens]
        return np.array(ids, dtype=self.ids.dtype)

    def decode(self, ids) -> str:
        tokens = [self.vocab[int(i)] for i in np.asarray(ids).reshape(-1)]
        if self.level == "char":
            return "".join(tokens)
        out: list[str] = []
        for token in tokens:
            if out and token != "\n" and out[-1] != "\n" and token[0] not in NO_SPACE_BEFORE:
                out.append(" ")
            out.append(token)
        return "".join(out)

    def _describe(self) -> str:
        unit = self.unit
        return (
            f"{self.name}: {len(self.ids):,} {unit}s, {len(self.vocab)} distinct"
            f"{f' (rarer words folded into {UNKNOWN_WORD})' if UNKNOWN_WORD in self._index else ''}. "
            f"The network reads "
            f"the text as parallel streams, one {unit} per step, and is scored on predicting the "
            f"next {unit}. The hidden state is carried from one window to the next, but gradients "
            f"flow back through one window only (truncated backpropagation through time). The last "
            f"{VALIDATION_FRACTION:.0%} is held out for the validation loss. The baseline line is the "
            f"loss of guessing from {unit} frequencies alone, with no memory at all "
            f"({self.unigram_entropy():.2f} nats per {unit}); a network below it has learned to use "
            f"what came before.")


def load_text(path, *, level: str = "char", encoding: str = "utf-8",
              progress: Callable[[float], None] | None = None, seq_len: int | None = None,
              max_words: int = MAX_WORDS, name: str | None = None) -> TextSource:
    """Read a text file into a TextSource. ``seq_len``, when given, is checked against the
    length of the training part; otherwise one step is the minimum. Raises DataError."""
    check_level(level)
    path = Path(path)
    capacity = file_size(path)  # no more characters than bytes, for every codec we meet
    ids, vocab = tokenize(decoded_chunks(path, encoding, progress), level, capacity, max_words)
    return TextSource(ids, vocab, level=level, name=name or f"text: {path.name}", seq_len=seq_len)


def text_source(text: str, *, level: str = "char", name: str = "text",
                seq_len: int | None = None, max_words: int = MAX_WORDS) -> TextSource:
    """A TextSource from a string in memory (tests, pasted text)."""
    if not text:
        raise DataError(f"{name} is empty: there is nothing to learn from")
    ids, vocab = tokenize([text], level, len(text), max_words)
    return TextSource(ids, vocab, level=level, name=name, seq_len=seq_len)
