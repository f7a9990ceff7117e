"""What ``rnnviz run`` prints while it works: loading a file and training (signals: ``rnnviz.interrupts``).

On a terminal, redrawn lines; into a file or a pipe, a few plain lines, so a log stays short
but shows life.
"""

from __future__ import annotations

import time
from pathlib import Path

LINES_PER_RUN = 10  # plain output: about ten progress lines per run, whatever its length
PLAIN_LINE_SECONDS = 5.0  # plain output: and at least one line this often, so a log shows life
REDRAW_SECONDS = 0.1  # terminal progress bar: at most ten redraws a second
LOUD_FILE_BYTES = 1 << 20  # plain output: say "loading" only for files that take a moment (1 MiB)


class LoadProgress:
    """``progress(fraction)`` for the data loaders: a percentage redrawn on a terminal; into a
    file or a pipe, one line before a large file is read."""

    def __init__(self, path, stream, clock=time.perf_counter) -> None:
        self.name = Path(path).name
        self.size = Path(path).stat().st_size
        self.stream = stream
        self.clock = clock
        self.tty = stream.isatty()
        self.last_draw = -REDRAW_SECONDS
        self.drawn = False
        if not self.tty and self.size >= LOUD_FILE_BYTES:
            print(f"loading {self.name} ({self.size / 2**20:.1f} MiB)", file=stream, flush=True)

    def __call__(self, fraction: float) -> None:
        now = self.clock()
        if self.tty and (now - self.last_draw >= REDRAW_SECONDS or fraction >= 1.0):
            self.last_draw = now
            self.stream.write(f"\rloading {self.name}: {fraction:4.0%}")
            self.stream.flush()
            self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


class Progress:
    """A redrawn bar on a terminal. Otherwise plain lines: the first step (the starting loss),
    every tenth of the run, the last step, and at least one every PLAIN_LINE_SECONDS so a long
    run written to a log file shows it is alive."""

    def __init__(self, total: int, start_step: int, stream, clip_mode: str = "none",
                 clock=time.perf_counter) -> None:
        self.total = total
        self.clock = clock  # seconds; a parameter so a test can make time pass
        self.start_step = start_step
        self.stream = stream
        self.clip_mode = clip_mode
        self.tty = stream.isatty()
        self.every = max(1, total // LINES_PER_RUN)
        self.started = clock()
        self.last_draw = 0.0
        self.last_line = self.started
        self.drawn = False
        self.line_length = 0  # pad each redraw over the previous one

    def update(self, result) -> bool:
        done = result.step - self.start_step
        now = self.clock()
        if self.tty:
            if now - self.last_draw >= REDRAW_SECONDS or done == self.total:
                self.last_draw = now
                width = 24
                filled = width * done // max(self.total, 1)
                rate = done / max(now - self.started, 1e-9)
                line = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}  "
                        f"loss {result.loss:.4g}  |g| {result.grad_norm:.3g}  {rate:.0f} steps/s")
                self.stream.write("\r" + line.ljust(self.line_length))
                self.line_length = len(line)
                self.stream.flush()
                self.drawn = True
        elif done == 1 or done % self.every == 0 or done == self.total or now - self.last_line >= PLAIN_LINE_SECONDS:
            self.last_line = now
            print(f"step {result.step} ({done}/{self.total})  loss {result.loss:.4g}  {self.gradient(result)}",
                  file=self.stream, flush=True)
        return True

    def gradient(self, result) -> str:
        """The gradient norm and what clipping did to it, in words that cannot be misread: norm
        clipping rescales the whole gradient (all or nothing), value clipping some elements."""
        text = f"grad norm {result.grad_norm:.3g}"
        if self.clip_mode == "norm":
            clipped = result.clipped_norm < result.grad_norm
            return text + (f" clipped to {result.clipped_norm:.3g}" if clipped else " (not clipped)")
        if self.clip_mode == "value":
            return text + f", {result.clip_fraction:.0%} of elements clipped"
        return text

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


class CountProgress:
    """Finished items out of a total (a sweep's points): a redrawn bar on a terminal, plain lines
    (every tenth, and at least every PLAIN_LINE_SECONDS) into a file or a pipe."""

    def __init__(self, total: int, stream, noun: str = "points", clock=time.perf_counter) -> None:
        self.total, self.stream, self.noun, self.clock = max(int(total), 0), stream, noun, clock
        self.done = 0
        self.tty = stream.isatty()
        self.every = max(1, self.total // LINES_PER_RUN)
        self.started = self.last_draw = self.last_line = clock()
        self.drawn = False

    def update(self, note: str = "") -> None:
        self.done += 1
        now = self.clock()
        rate = self.done / max(now - self.started, 1e-9)
        if self.tty:
            if now - self.last_draw >= REDRAW_SECONDS or self.done == self.total:
                self.last_draw = now
                filled = 24 * self.done // max(self.total, 1)
                line = f"[{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total} {self.noun}  {rate:.2f}/s  {note}"
                self.stream.write("\r" + line[:120].ljust(120))
                self.stream.flush()
                self.drawn = True
        elif self.done % self.every == 0 or self.done == self.total or now - self.last_line >= PLAIN_LINE_SECONDS:
            self.last_line = now
            print(f"{self.done}/{self.total} {self.noun} done ({rate:.2f}/s)  {note}".rstrip(), file=self.stream,
                  flush=True)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
