"""Keeping a headless run's work: what to say on a signal, periodic checkpoints, fallback saves.

``rnnviz run`` may train for hours; a full disk at the end, a closed terminal or a ``kill``
must not throw that away. The run saves every ``--checkpoint-every`` steps; the final save,
if it cannot be written where asked, goes to the user's data folder (platformdirs) or the
export folder, and says where.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime
from pathlib import Path

from rnnviz.core.errors import SessionError


def on_first_signal(signum, args, phase: str) -> None:
    """One line, so the person knows the stop was heard and why it takes a moment."""
    import signal

    name = {signal.SIGINT: "Ctrl-C"}.get(signum, signal.Signals(signum).name)
    work = " and ".join(what for flag, what in ((args.save, "saving"), (args.export, "exporting")) if flag)
    if phase == "training":
        doing = "stopping after this step" + (f", then {work}" if work else "")
    else:
        doing = f"finishing {work} first" if work else "stopping"
    if signum == getattr(signal, "SIGHUP", None):  # the terminal may be gone: writing to it must not
        sys.stdout, sys.stderr = Forgiving(sys.stdout), Forgiving(sys.stderr)  # stop the save
    print(f"\nrnnviz: {name}: {doing}; press Ctrl-C again to quit at once", file=sys.stderr, flush=True)


class Forgiving:
    """A text stream whose write errors are ignored: after SIGHUP the terminal may be closed, and
    ``rnnviz run ... | head -1`` closes the pipe after one line; a line that cannot be shown must
    not cost the run its save. A broken pipe also points the stream's descriptor at the null
    device, so the interpreter's last flush at exit has nowhere to fail either."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except (OSError, ValueError) as exc:  # EIO from a hung-up terminal, EPIPE, a closed stream
            self._forget(exc)
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError) as exc:
            self._forget(exc)

    def _forget(self, exc: Exception) -> None:
        if not isinstance(exc, BrokenPipeError):
            return
        import os

        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.stream.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):  # no descriptor (a test's stream): nothing to point
            pass

    def __getattr__(self, name):
        return getattr(self.stream, name)


@contextlib.contextmanager
def forgiving_stdout():
    """Standard output made ``Forgiving`` for the block (a headless command's whole life)."""
    before = sys.stdout
    sys.stdout = Forgiving(before)
    try:
        yield
    finally:
        if isinstance(sys.stdout, Forgiving) and sys.stdout.stream is before:
            sys.stdout = before


class Checkpoints:
    """``--checkpoint-every N``: the session saved (atomically, over ``--save FILE``) every N
    steps. A checkpoint that cannot be written is reported once and training goes on: the
    save at the end has its fallback."""

    def __init__(self, trainer, path, every: int | None) -> None:
        self.trainer, self.path, self.every = trainer, path, every
        self.warned = False

    def after(self, result) -> bool:
        if self.every and result.step % self.every == 0:
            try:
                save_run(self.trainer, self.path)
            except SessionError as exc:
                if not self.warned:
                    print(f"rnnviz: warning: checkpoint at step {result.step} not written: {exc}; "
                          f"training goes on", file=sys.stderr, flush=True)
                    self.warned = True
        return True


def save_run(trainer, path):
    """The session at ``path``; runs compared (``rnnviz run --fork``) also save every run beside it."""
    from rnnviz.core.train.session import save

    whole = getattr(trainer, "save_session", None)  # a GroupedTrainer: the group in NAME.group/ too
    return whole(path) if whole is not None else save(trainer, path)


def save_with_fallback(trainer, target, export_dir=None) -> bool:
    """Save the session to ``target``; if that fails, to the first fallback folder that takes
    it, saying where. Returns True when ``target`` itself was written."""
    save = save_run
    try:
        print(f"saved session to {save(trainer, target)}", flush=True)
        return True
    except SessionError as exc:
        failure = str(exc)
    name = f"{Path(target).stem or 'run'}-{datetime.now():%Y%m%d-%H%M%S}.npz"
    tried = []
    for folder in fallback_folders(export_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = save(trainer, _free_name(folder / name))
        except (SessionError, OSError):
            tried.append(str(folder))
            continue
        print(f"rnnviz: error: {failure}; the run was saved to {path} instead", file=sys.stderr, flush=True)
        return False
    print(f"rnnviz: error: {failure}; the run could not be saved anywhere else either "
          f"(tried {', '.join(tried) or 'no other folder'})", file=sys.stderr, flush=True)
    return False


def fallback_folders(export_dir=None) -> list[Path]:
    """Where a session goes when its own file cannot be written: the user's data folder
    (platformdirs: ~/.local/share/rnnviz/unsaved-runs on Linux), then the export folder."""
    folders = []
    try:
        import platformdirs

        folders.append(Path(platformdirs.user_data_dir("rnnviz", appauthor=False)) / "unsaved-runs")
    except ImportError:  # pragma: no cover - a declared dependency
        pass
    if export_dir:
        folders.append(Path(export_dir))
    return folders


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
