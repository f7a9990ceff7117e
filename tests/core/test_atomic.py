"""Writes are whole or absent: a failure part-way leaves the old file and no temporary; a
replaced file keeps its permissions; a symlink is written through; read-only files are refused;
temporaries of dead writers are cleared by the next write."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import pytest

from rnnviz.core import atomic
from rnnviz.core.errors import SessionError, UserError

fcntl = pytest.importorskip("fcntl")


def test_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    atomic.write_text(target, "new\n")
    assert target.read_text() == "new\n" and os.listdir(tmp_path) == ["out.csv"]


def test_a_write_failing_part_way_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "figure.png"
    target.write_bytes(b"the old picture")

    def full_disk(stream):
        stream.write(b"half of a new pic")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(SessionError, match=r"cannot write the session .*figure.png: No space left on device"):
        atomic.write_with(target, full_disk, what="the session", error=SessionError)
    assert target.read_bytes() == b"the old picture"
    assert os.listdir(tmp_path) == ["figure.png"]


def test_an_interrupt_part_way_leaves_no_temporary(tmp_path):
    def interrupted(stream):
        stream.write(b"x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_with(tmp_path / "new.json", interrupted)
    assert os.listdir(tmp_path) == []


def test_permissions_are_kept_and_new_files_follow_the_umask(tmp_path):
    private = tmp_path / "private.npz"
    private.write_bytes(b"1")
    private.chmod(0o600)
    atomic.write_bytes(private, b"2")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_bytes() == b"2"
    umask = os.umask(0o022)
    try:
        atomic.write_bytes(tmp_path / "fresh.txt", b"3")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh.txt").stat().st_mode) == 0o644


def test_a_symlink_is_written_through(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "run.npz"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    atomic.write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new" and stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path / "real")) == ["run.npz"]


def test_read_only_targets_folders_and_missing_folders_are_refused(tmp_path):
    locked = tmp_path / "locked.npz"
    locked.write_bytes(b"keep me")
    locked.chmod(0o444)
    with pytest.raises(UserError, match="read-only"):
        atomic.write_bytes(locked, b"overwritten")
    assert locked.read_bytes() == b"keep me"
    with pytest.raises(UserError, match="is a folder"):
        atomic.write_bytes(tmp_path, b"x")
    with pytest.raises(UserError, match="does not exist"):
        atomic.write_bytes(tmp_path / "nowhere" / "x.csv", b"x")
    assert sorted(os.listdir(tmp_path)) == ["locked.npz"]


def test_stale_temporaries_of_dead_writers_go_after_the_next_write(tmp_path):
    target = tmp_path / "run.npz"
    stale = tmp_path / ".run.npz.0a1b2c3d.tmp"  # what a SIGKILL mid-save leaves
    stale.write_bytes(b"half a session")
    other = tmp_path / ".other.npz.0a1b2c3d.tmp"  # another file's: not ours to judge
    other.write_bytes(b"x")
    live = tmp_path / ".run.npz.99999999.tmp"  # a writer still at work holds its lock
    live.write_bytes(b"being written")
    handle = os.open(live, os.O_RDWR)
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        atomic.write_bytes(target, b"whole")
    finally:
        os.close(handle)
    assert sorted(os.listdir(tmp_path)) == sorted([".other.npz.0a1b2c3d.tmp", ".run.npz.99999999.tmp", "run.npz"])


def test_a_real_write_limit_leaves_nothing_cut_short(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse writes past a size, as a full disk does (Python
    ignores SIGXFSZ, so the write fails with EFBIG)."""
    resource = pytest.importorskip("resource")
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    script = ("import sys\nfrom rnnviz.core import atomic\nfrom rnnviz.core.errors import UserError\n"
              "try:\n    atomic.write_bytes(sys.argv[1], b'x' * 200000)\n"
              "except UserError as exc:\n    print(exc)\n")

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    result = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True,
                            preexec_fn=limit, timeout=60)
    assert "cannot write" in result.stdout and "big.bin" in result.stdout, result.stderr
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["big.bin"]
