"""Reading a user's file safely: chunk by chunk, decoded incrementally, every failure a DataError.

Why chunks: a 100 MB corpus must load in a few times its size, so the file is never held as
one bytes object plus one str. Why an incremental decoder: a multi-byte character can straddle
two chunks, and the offset of an invalid byte must still be exact in the whole file, so the
person can find it. Both the text loader and the CSV loader read through here, so a missing
file, a folder, a binary file or a wrong encoding get the same clear message everywhere.
Nothing here writes anything.
"""

from __future__ import annotations

import codecs
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from rnnviz.core.errors import DataError, EncodingError

CHUNK_BYTES = 1 << 20  # 1 MiB: per-chunk temporaries stay ~20 MB even at 4 bytes a character
PROGRESS_STEP = 0.01  # report at most ~100 times per file: enough for a bar, never a flood
UTF8_BOM = codecs.BOM_UTF8
# byte-order marks of the wide Unicode encodings, longest first (UTF-32 LE starts like UTF-16 LE)
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
             (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class Progress:
    """Calls ``callback(fraction)`` only when the fraction has moved by ``step``, and 1.0 once."""

    def __init__(self, callback: Callable[[float], None] | None, step: float = PROGRESS_STEP) -> None:
        self.callback = callback
        self.step = step
        self.last = 0.0
        self.finished = False

    def __call__(self, fraction: float) -> None:
        if self.callback is None or self.finished:
            return
        fraction = min(max(float(fraction), 0.0), 1.0)
        if fraction >= 1.0:
            self.done()
        elif fraction - self.last >= self.step * 0.99:  # 0.99: equal chunks may fall a hair short
            self.last = fraction
            self.callback(fraction)

    def done(self) -> None:
        if self.callback is not None and not self.finished:
            self.finished = True
            self.callback(1.0)


def check_encoding(encoding: str) -> str:
    """The codec's canonical name, or a DataError for a name Python does not know."""
    try:
        name = codecs.lookup(encoding).name
        "a".encode(name)  # 'hex', 'rot13' and friends are codecs, but not text encodings
    except (LookupError, TypeError, UnicodeError):
        raise DataError(f"unknown encoding {encoding!r}; try utf-8, latin-1 or cp1252") from None
    return name


def special_kind(mode: int) -> str:
    """What a path that is not a regular file is, in words: for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def file_size(path: Path) -> int:
    """The size of a readable regular file, or a DataError saying why it cannot be read."""
    try:
        if path.is_dir():
            raise DataError(f"{path} is a folder, not a file; choose a .txt or .csv file inside it")
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block, /dev/zero never end
            raise DataError(f"{path} is {special_kind(info.st_mode)}, not a file; rnnviz reads plain text "
                            f"(.txt) and comma-separated numbers (.csv) from regular files")
        size = info.st_size
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except PermissionError:
        raise DataError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise DataError(f"{path} is empty: there is nothing to learn from")
    return size


def decoded_chunks(path, encoding: str = "utf-8", progress: Callable[[float], None] | None = None,
                   chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """Yield the file's text in pieces of about ``chunk_bytes`` bytes, strictly decoded.

    Raises DataError for a missing file, a folder, no permission, an empty file, a NUL byte
    (binary) or a byte sequence invalid in ``encoding`` (naming its offset in the file).
    A UTF-8 byte-order mark at the start is skipped. ``progress(fraction)`` is called at most
    ~1/PROGRESS_STEP times, ending with 1.0 once the whole file has been read.
    """
    path = Path(path)
    codec = check_encoding(encoding)
    size = file_size(path)
    report = Progress(progress)
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    # ASCII-compatible codecs never put NUL in text, so a raw NUL byte means binary; for
    # UTF-16/32 NUL bytes are normal and the decoded text is checked instead.
    ascii_compatible = "\x00a".encode(codec) == b"\x00a"
    offset = 0  # bytes of the file read before the current chunk
    try:
        handle = open(path, "rb")
    except PermissionError:
        raise DataError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        while True:
            try:
                chunk = handle.read(chunk_bytes)
            except OSError as exc:
                raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
            final = not chunk
            if offset == 0 and ascii_compatible:
                _refuse_wide_unicode(path, chunk, encoding)
            if offset == 0 and codec == "utf-8" and chunk.startswith(UTF8_BOM):
                chunk = chunk[len(UTF8_BOM):]
                offset = len(UTF8_BOM)
            if ascii_compatible and b"\x00" in chunk:
                _refuse_binary(path, offset + chunk.index(b"\x00"))
            pending = len(decoder.getstate()[0])  # bytes held back from earlier chunks
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad_at = offset - pending + exc.start
                bad = exc.object[exc.start:exc.start + 1]
                raise EncodingError(
                    f"{path}: byte 0x{bad.hex().upper()} at offset {bad_at} is not valid {encoding}; "
                    f"if the file uses another encoding, pass it with --encoding "
                    f"(for example --encoding latin-1)", encoding, bad_at) from None
            if not ascii_compatible and "\x00" in text:
                _refuse_binary(path, None)
            offset += len(chunk)
            if text:
                yield text
            if final:
                break
            report(offset / size)
    report.done()


def _refuse_wide_unicode(path: Path, head: bytes, encoding: str) -> None:
    """A UTF-16/32 byte-order mark read as a one-byte encoding: say which encoding it is."""
    for bom, wide in WIDE_BOMS:
        if head.startswith(bom):
            raise DataError(f"{path} is {wide.upper()} text (it starts with a {wide.upper()} byte-order mark), "
                            f"not {encoding}; open it with --encoding {wide}")


def _refuse_binary(path: Path, offset: int | None) -> None:
    where = f" (a NUL byte at offset {offset})" if offset is not None else " (it contains NUL characters)"
    raise DataError(f"{path} looks like a binary file{where}; rnnviz reads plain text (.txt) "
                    f"and comma-separated numbers (.csv)")
