"""Ctrl-C, SIGTERM and SIGHUP for the application: finish what matters first, then stop.

A headless run that is interrupted (Ctrl-C, a closed terminal, ``timeout``, ``kill``) should
keep what it did: stop after the current step, save, export, and exit with 128 + the signal's
number (130, 143, 129). A second signal means "now": it raises ``Interrupted`` at once.

Qt calls Python code while it paints (pyqtgraph's items draw themselves); an exception raised
there cannot reach our code: Qt prints it and paints on. So while a figure is painted, signals
are held (``held_signals``) and delivered to the handler that was in place when the paint ends.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

# the signals a run treats as "stop, but keep the work", where the platform has them
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """A second signal: stop at once. ``exit_code`` is 128 + the signal's number."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + int(signum)


class StopOnSignals:
    """While installed: the first SIGINT/SIGTERM/SIGHUP is remembered (``signum``) and the work
    is expected to stop at a safe point and keep what it did; a second raises ``Interrupted``.
    ``on_first(signum)`` is called once, from the handler (keep it short: one message)."""

    def __init__(self, on_first=None) -> None:
        self.signum: int | None = None
        self.on_first = on_first
        self.previous: dict[int, object] = {}

    @property
    def pressed(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int | None:
        return None if self.signum is None else 128 + int(self.signum)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # else: signals keep their meaning
            for signum in STOP_SIGNALS:
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.signum is not None:
            raise Interrupted(signum)
        self.signum = signum
        if self.on_first is not None:
            self.on_first(signum)

    def __exit__(self, *exc) -> None:
        for signum, previous in self.previous.items():  # None: set outside Python, i.e. the default
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self.previous = {}


@contextmanager
def held_signals():
    """Hold SIGINT/SIGTERM/SIGHUP while the block runs; then pass each one that arrived to the
    handler that was in place (which may raise). Elsewhere than the main thread, does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {}
    for signum in STOP_SIGNALS:
        handler = signal.getsignal(signum)
        if callable(handler):  # a Python handler; the defaults (terminate) stay as they are
            previous[signum] = signal.signal(signum, lambda number, frame: arrived.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in arrived:
            handler = previous[signum]
            handler(signum, None)
