"""The error contract of every command, as a user meets it: exit code 2 and exactly one line
``rnnviz: error: ...`` on stderr for anything the user can fix, whoever detects it (argparse,
the settings, the memory allocator); real bugs keep their traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from rnnviz.cli import main as cli

MEMORY_LIMIT = 4 << 30  # bytes of address space for the child: far above a tiny run, far below 625 GiB


def rnnviz(*args, cwd=None, memory_limit=None):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")

    def limit_memory():  # runs in the child before exec: any allocation past the limit fails there
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    return subprocess.run([sys.executable, "-m", "rnnviz", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env, preexec_fn=limit_memory if memory_limit else None)


def assert_one_error_line(done, *fragments):
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.startswith("rnnviz: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "usage:" not in done.stderr and "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("args, command, message", [
    (["run", "--bogus"], "run", "unrecognized arguments: --bogus"),
    (["run", "--hidden"], "run", "argument --hidden: expected one argument"),
    (["export"], "export", "the following arguments are required: SESSION"),
    (["bench", "--repeats", "x"], "bench", "argument --repeats: invalid int value: 'x'"),
    (["export", "s.npz", "--out", "d", "--sample", "abc"], "export", "argument --sample: invalid int value: 'abc'"),
    (["frob"], None, "invalid choice: 'frob'"),
    (["--bogus"], None, "unrecognized arguments: --bogus"),
])
def test_argparse_errors_are_one_line_naming_the_commands_help(args, command, message, tmp_path):
    done = rnnviz(*args, cwd=tmp_path)
    see = f"(see rnnviz {command} --help)" if command else "(see rnnviz --help)"
    assert_one_error_line(done, message, see)
    assert done.stderr.startswith("rnnviz: error: ") and f"rnnviz {command}: error" not in done.stderr
    assert os.listdir(tmp_path) == []  # nothing was created on the way out


def test_help_still_works_and_exits_0():
    done = rnnviz("run", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: rnnviz run") and done.stderr == ""


def test_a_run_too_big_for_memory_is_a_one_line_error_naming_the_sizes(tmp_path):
    # the full (T, B, H) hidden-state array alone is 625 GiB; the child's address space is capped
    # so the allocation fails the same way on any machine, whatever its memory and overcommit policy
    done = rnnviz("run", "--task", "adding", "--hidden", 4096, "--batch", 4096, "--length", 5000, "--steps", 1,
                  "--export", tmp_path / "out", cwd=tmp_path, memory_limit=MEMORY_LIMIT)
    assert_one_error_line(done, "more memory than this machine has", "--hidden", "--batch", "--length")
    assert not (tmp_path / "out").exists()  # the export folder made by the pre-check is removed again


def test_unexpected_exceptions_keep_their_traceback(monkeypatch):
    import rnnviz.cli.run

    def broken(args):
        raise RuntimeError("a bug in rnnviz")

    monkeypatch.setattr(rnnviz.cli.run, "main", broken)
    with pytest.raises(RuntimeError, match="a bug in rnnviz"):
        cli.main(["run", "--steps", "1"])


@pytest.mark.parametrize("command, diverged", [
    ("run", "3  training diverged"),
    ("export", "3  the session's run had diverged (its plots are still written)"),
    ("bench", None),
])
def test_each_help_documents_its_own_exit_codes(command, diverged):
    done = rnnviz(command, "--help")
    assert done.returncode == 0
    codes = done.stdout.split("exit codes:")[1]
    assert "0  finished" in codes and "2  bad input" in codes and "130  interrupted" in codes
    if diverged is None:
        assert not [line for line in codes.splitlines() if line.split()[:1] == ["3"]], codes
    else:
        assert diverged in codes
