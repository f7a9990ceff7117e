"""Writes that are whole or absent: a file rnnviz writes is either the old one or the new one.

A full disk, a killed process or a pulled plug in the middle of a write must never leave a
file that looks whole but is cut short (a PNG without its end, a session missing its last
array). So every file is written to a temporary file beside its target (same folder, so the
same filesystem), flushed and fsync'ed, then moved over the target with ``os.replace``, which
is atomic on POSIX and Windows. On any failure the temporary file is removed and the error
names the target.

What a careful user expects of "save over" is kept too:

- the replaced file keeps its permission bits (a private 0600 session stays private);
- a symlink is written through: its target is replaced, the link stays a link;
- a read-only target is refused, not silently replaced;
- a temporary file left by an earlier crash (``.NAME.XXXXXXXX.tmp``) is removed after the next
  successful write of NAME; a live writer holds a lock on its temporary file, so only files
  whose writer is gone are removed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from rnnviz.core.errors import UserError

try:  # POSIX: a temporary file being written is locked, so a cleaner can tell it from a stale one
    import fcntl
except ImportError:  # pragma: no cover - Windows: stale files are then never removed
    fcntl = None

TEMP_SUFFIX = ".tmp"


def write_bytes(path, data: bytes, *, what: str = "", error: type[UserError] = UserError) -> Path:
    """Write ``data`` to ``path`` whole or not at all; returns the path."""
    return write_with(path, lambda stream: stream.write(data), what=what, error=error)


def write_text(path, text: str, *, what: str = "", error: type[UserError] = UserError) -> Path:
    return write_bytes(path, text.encode("utf-8"), what=what, error=error)


def write_with(path, writer: Callable[[BinaryIO], object], *, what: str = "",
               error: type[UserError] = UserError) -> Path:
    """Call ``writer(stream)`` on a binary stream whose bytes become ``path`` only if it returns.

    An OSError (disk full, permission, ...) raises ``error`` naming ``path``; any other exception
    (KeyboardInterrupt included) propagates unchanged. In both cases the target is untouched and
    no temporary file remains."""
    path = Path(path)
    label = f"{what} {path}" if what else str(path)
    target = _target(path, label, error)
    try:
        with _temporary(target) as (lock, temporary):
            with os.fdopen(os.dup(lock), "wb") as stream:  # the duplicate shares the lock
                writer(stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)  # closed and synced first: a late error cannot reach it
    except OSError as exc:
        raise error(f"cannot write {label}: {_reason(exc)}") from None
    _sync_folder(target.parent)
    remove_stale_temporaries(target)
    return path


def _target(path: Path, label: str, error: type[UserError]) -> Path:
    """The file to replace: ``path`` itself, or what its symlink points to. Refuses folders,
    devices and read-only files before anything is written."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        info = target.stat()
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise error(f"cannot write {label}: the folder {target.parent} does not exist") from None
        return target
    except OSError as exc:
        raise error(f"cannot write {label}: {_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"cannot write {label}: it is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"cannot write {label}: it exists and is not a regular file")
    if not os.access(target, os.W_OK) or not info.st_mode & 0o222:  # no write bit: read-only, even for root
        raise error(f"cannot write {label}: the file is read-only; choose another name or make it writable")
    return target


@contextmanager
def _temporary(target: Path) -> Iterator[tuple[int, str]]:
    """(descriptor, name) of a new locked file ``.NAME.XXXXXXXX.tmp`` beside ``target``, with the
    target's permission bits (or the umask's default for a new file). The lock lasts until the
    block ends; the file is removed unless the block moved it into place."""
    folder = target.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = folder / f".{target.name}.{os.urandom(4).hex()}{TEMP_SUFFIX}"
        try:
            handle = os.open(name, flags, 0o666)  # 0o666 minus the umask, as any new document
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(f"no free temporary name beside {target}")
    temporary = str(name)
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if target.exists():
            os.fchmod(handle, stat.S_IMODE(target.stat().st_mode))
        yield handle, temporary
    except BaseException:
        _remove_quietly(temporary)
        raise
    finally:
        os.close(handle)


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove ``.NAME.*.tmp`` beside ``target`` left by writers that died; returns them."""
    if fcntl is None:  # pragma: no cover
        return []
    removed = []
    try:
        candidates = list(target.parent.glob(f".{_glob_escape(target.name)}.*{TEMP_SUFFIX}"))
    except OSError:
        return []
    for candidate in candidates:
        middle = candidate.name[len(target.name) + 2:-len(TEMP_SUFFIX)]
        if "." in middle or not middle:
            continue  # another file's temporary (NAME.x.*.tmp), not ours
        try:
            handle = os.open(candidate, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while its writer is alive
            if stat.S_ISREG(os.fstat(handle).st_mode):
                os.unlink(candidate)
                removed.append(candidate)
        except OSError:
            pass
        finally:
            os.close(handle)
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a folder that cannot be opened is not an error."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
