"""The one place the app and the command line load data from: files by suffix, and the samples.

Texts (``text_data``) and CSV series (``series_data``) live in their own modules; this module is
their public face, and knows the sample texts shipped in ``rnnviz/assets``. Every failure is a
``DataError`` with a message a person can act on, and a failed load writes and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from rnnviz.core.errors import DataError
from rnnviz.core.data.labelled import LabelledSource, is_labelled, load_labelled
from rnnviz.core.data.series import SeriesSource, load_csv
from rnnviz.core.data.text import TextSource, load_text, readable, text_source

__all__ = ["DEFAULT_SAMPLE", "SAMPLE_LABELLED", "SAMPLE_SERIES", "DataError", "LabelledSource", "SeriesSource", "TextSource", "load_csv",
           "load_path", "load_sample", "load_text", "readable", "sample_names", "sample_path",
           "text_source"]

DEFAULT_SAMPLE = "fables.txt"  # the longest, most varied sample: what `rnnviz` opens with
SAMPLE_SERIES = "temperature.csv"  # three years of synthetic daily temperature and humidity, for regression
SAMPLE_LABELLED = "reviews.tsv"  # short product reviews labelled positive / negative, for classification
SERIES_SUFFIXES = (".csv", ".tsv")


def load_path(path, *, level: str | None = None, encoding: str = "utf-8",
              progress: Callable[[float], None] | None = None, seq_len: int | None = None,
              **options) -> TextSource | SeriesSource:
    """Load by suffix: .csv / .tsv as a numeric series, anything else as text (a binary file is
    refused by its NUL bytes). ``level`` and ``options`` (max_words, name) apply to text; asking
    for words from a CSV is an error."""
    path = Path(path)
    if is_labelled(path, encoding):  # label<TAB>text lines, or a CSV with text and label columns
        if level not in (None, "word"):
            raise DataError(f"{path.name} is labelled text, read by words; the {level!r} level does not apply")
        return load_labelled(path, encoding=encoding, progress=progress)
    if path.suffix.lower() in SERIES_SUFFIXES:
        if level not in (None, "char"):
            raise DataError(f"{path.name} is a CSV series; the {level!r} level applies to text files only")
        return load_csv(path, encoding=encoding, progress=progress, seq_len=seq_len)
    return load_text(path, level=level or "char", encoding=encoding, progress=progress,
                     seq_len=seq_len, **options)


def _assets():
    return resources.files("rnnviz") / "assets"


def sample_names() -> list[str]:
    """The sample texts shipped with rnnviz, the default first."""
    names = sorted(entry.name for entry in _assets().iterdir() if entry.name.endswith(".txt"))
    if DEFAULT_SAMPLE in names:
        names.remove(DEFAULT_SAMPLE)
        names.insert(0, DEFAULT_SAMPLE)
    return names


def sample_path(name: str | None = None) -> Path:
    """The file of a sample (text, or the sample series) by name; None = the default text."""
    name = DEFAULT_SAMPLE if name is None else name
    known = sample_names() + [SAMPLE_SERIES, SAMPLE_LABELLED]
    if name not in known:
        raise DataError(f"no sample named {name!r}; the samples are {', '.join(known)}")
    return Path(str(_assets() / name))


def load_sample(name: str | None = None, *, level: str = "char",
                progress: Callable[[float], None] | None = None, seq_len: int | None = None):
    """Load a shipped sample: a TextSource (or the sample series for SAMPLE_SERIES)."""
    path = sample_path(name)
    label = f"sample: {path.name}"
    if path.name == SAMPLE_LABELLED:
        return load_labelled(path, progress=progress, name=label)
    if path.name == SAMPLE_SERIES:
        return load_csv(path, progress=progress, seq_len=seq_len, name=label)
    return load_text(path, level=level, progress=progress, seq_len=seq_len, name=label)
