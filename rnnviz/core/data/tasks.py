"""Synthetic long-memory tasks, each with the loss a network with no memory would reach.

Every task is a ``Source`` drawing fresh, independent sequences from the trainer's rng
(``carry_state`` False), with a one-paragraph description the app shows, a length knob T and
a memoryless baseline in the model's loss units (summed over scored steps, averaged over the
batch). The baseline is drawn as a reference line: a loss below it means the network has
remembered something a memoryless predictor could not.

A task's sequences have the task's own length (``sequence_length``): the window length the
trainer passes to ``train_batch`` / ``baseline`` is ignored, because the structure of a task
(where the marks are, how far apart the bits are) is defined by its length knob.
The validation batch is fixed: drawn once from the task's seed.
"""

from __future__ import annotations

import math

import numpy as np

from rnnviz.core.errors import DataError
from rnnviz.core.data.task_base import Task
from rnnviz.core.data.reber import (REBER_SYMBOLS, embedded_reber_conditional_entropy, embedded_reber_stream,
                               embedded_reber_unigram)



class AddingTask(Task):
    """Le, Jaitly & Hinton (2015), after Hochreiter & Schmidhuber (1997)."""

    default_length = 100  # long enough that a plain tanh RNN fails, short enough to train in minutes
    title = "adding"
    input_size = 2
    output_size = 1

    @property
    def description(self) -> str:
        return (
            f"The adding problem (Le, Jaitly & Hinton 2015). Each sequence has {self.length} steps of "
            f"two channels: a random number uniform in [0, 1], and a marker that is 1 at exactly two "
            f"steps (one in the first half, one in the second) and 0 elsewhere. After the last step "
            f"the network must output the sum of the two marked numbers. Always answering 1 gives a "
            f"mean squared error of 1/6 = 0.167 (the baseline line); getting below it needs the first "
            f"marked number carried across up to {self.length} steps, which is where a plain RNN's "
            f"gradient vanishes.")

    def generate(self, batch_size, rng):
        steps = self.length
        values = rng.random((steps, batch_size))  # (T, B) uniform [0, 1)
        half = steps // 2
        first = rng.integers(0, half, size=batch_size)  # (B,)
        second = rng.integers(half, steps, size=batch_size)  # (B,)
        marks = np.zeros((steps, batch_size))
        columns = np.arange(batch_size)
        marks[first, columns] = 1.0
        marks[second, columns] = 1.0
        inputs = np.stack([values, marks], axis=2)  # (T, B, 2)
        targets = (values[first, columns] + values[second, columns])[:, None]  # (B, 1)
        return inputs, targets

    def baseline(self, seq_len=None) -> float:
        """Predicting 1: E[(u1 + u2 - 1)^2] = Var(u1 + u2) = 2/12 = 1/6. The loss of a (B, 1)
        last-step target is the squared error averaged over the batch, i.e. the MSE."""
        return 1.0 / 6.0

    def token_labels(self, inputs_for_one_sample):
        rows = np.asarray(inputs_for_one_sample).reshape(-1, 2)
        return [("*" if mark > 0.5 else "") + f"{value:.2f}" for value, mark in rows]


class CopyTask(Task):
    """Arjovsky, Shah & Bengio (2016), after Hochreiter & Schmidhuber (1997)."""

    default_length = 50  # T blanks; sequences are T + 20 long
    min_length = 1
    title = "copy"
    symbols = 8  # data symbols 1..8
    copied = 10  # how many symbols must be remembered
    blank, delimiter = 0, 9
    input_size = output_size = 10  # blank, 8 symbols, delimiter

    @property
    def sequence_length(self) -> int:
        return self.length + 2 * self.copied

    @property
    def description(self) -> str:
        return (
            f"The copy-memory task (Arjovsky, Shah & Bengio 2016). The network reads 10 symbols drawn "
            f"from 8, then {self.length - 1} blanks, then a delimiter, then 10 more blanks, during which "
            f"it must write the 10 symbols back in order ({self.sequence_length} steps in all). A network "
            f"with no memory can only output blanks and then guess: 10 ln 8 = {self.baseline():.2f} nats "
            f"per sequence (the paper's 10 ln 8 / (T + 20) per step, summed over the sequence as our "
            f"loss is). Beating it needs each symbol kept for {self.length + 10} steps.")

    def generate(self, batch_size, rng):
        steps, n = self.sequence_length, self.copied
        data = rng.integers(1, self.symbols + 1, size=(n, batch_size))  # (10, B)
        inputs = np.full((steps, batch_size), self.blank, dtype=np.int64)  # (T + 20, B)
        inputs[:n] = data
        inputs[steps - n - 1] = self.delimiter
        targets = np.full((steps, batch_size), self.blank, dtype=np.int64)
        targets[steps - n:] = data
        return inputs, targets

    def baseline(self, seq_len=None) -> float:
        """Blanks with certainty for T + 10 steps (loss 0), then uniform over 8 symbols for 10
        steps: 10 ln 8 summed over the sequence (Arjovsky et al. quote it per step, / (T + 20))."""
        return self.copied * math.log(self.symbols)

    def token_labels(self, inputs_for_one_sample):
        names = {self.blank: "_", self.delimiter: ":"}
        return [names.get(int(i), str(int(i))) for i in np.asarray(inputs_for_one_sample).reshape(-1)]


class SinesTask(Task):
    """Next-value prediction of a sum of sines with fresh random phases per sequence."""

    title = "sines"
    predicts_next = True
    periods = (9.0, 23.0, 61.0)  # steps per cycle: a fast, a medium and a slow wave
    amplitudes = (0.6, 0.4, 0.3)  # the slow wave small, so missing it is visible but not everything
    input_size = output_size = 1

    def __init__(self, length=None, seed=0, periods=None, amplitudes=None):
        super().__init__(length, seed)
        if periods is not None:
            self.periods = tuple(float(p) for p in np.atleast_1d(periods))
            self.amplitudes = (tuple(float(a) for a in np.atleast_1d(amplitudes)) if amplitudes is not None
                               else (1.0,) * len(self.periods))
        if len(self.periods) != len(self.amplitudes) or not all(p >= 2 for p in self.periods):
            raise DataError("sines need one amplitude per period, and every period at least 2 steps")

    @property
    def description(self) -> str:
        waves = " + ".join(f"{a:g}·sin(2πt/{p:g} + φ)" for a, p in zip(self.amplitudes, self.periods))
        return (
            f"Next-value prediction of {waves}, {self.length} steps, with fresh random phases φ in "
            f"every sequence. From the current value alone the best straight-line guess of the next "
            f"one leaves a squared error of {self.baseline() / self.length:.4f} per step (the baseline "
            f"line, {self.baseline():.3f} per sequence); below it, the network is tracking the phase of "
            f"each wave, which takes memory of the last few values.")

    def generate(self, batch_size, rng):
        t = np.arange(self.length + 1)[:, None, None]  # (T + 1, 1, 1)
        omegas = 2 * np.pi / np.array(self.periods)  # (K,)
        phases = rng.uniform(0, 2 * np.pi, size=(1, batch_size, len(omegas)))  # (1, B, K)
        wave = (np.array(self.amplitudes) * np.sin(omegas * t + phases)).sum(axis=2)  # (T + 1, B)
        series = wave[:, :, None]  # (T + 1, B, 1)
        return series[:-1], series[1:]

    def baseline(self, seq_len=None) -> float:
        """Best linear memoryless predictor x_{t+1} ≈ ρ x_t. With independent uniform phases,
        Var x = Σ A²/2 and ρ = Σ A² cos ω / Σ A², so the MSE per step is Var x · (1 − ρ²);
        summed over the T steps as the model's loss is."""
        a2 = np.array(self.amplitudes) ** 2
        omegas = 2 * np.pi / np.array(self.periods)
        variance = a2.sum() / 2
        rho = (a2 * np.cos(omegas)).sum() / a2.sum()
        return float(self.length * variance * (1 - rho ** 2))

    def token_labels(self, inputs_for_one_sample):
        return [f"{v:.2f}" for v in np.asarray(inputs_for_one_sample, dtype=float).reshape(-1)]


class SineTask(SinesTask):
    """One sine wave: the simplest regression, the first thing to try."""

    title = "sine"
    periods = (25.0,)  # a full cycle every 25 steps: two cycles in the default window
    amplitudes = (1.0,)

    def __init__(self, length=None, seed=0, period=None):
        super().__init__(length, seed, periods=None if period is None else (period,), amplitudes=None)


class ParityTask(Task):
    """The XOR of bits k steps apart, in a stream of random bits."""

    title = "parity"
    input_size = output_size = 2

    def __init__(self, length=None, seed=0, lag: int = 8):
        super().__init__(length, seed)
        if isinstance(lag, bool) or not isinstance(lag, (int, np.integer)) or not 1 <= lag < self.length:
            raise DataError(f"the parity lag k must be a whole number from 1 to T - 1 = {self.length - 1}, "
                            f"got {lag!r}")
        self.lag = int(lag)

    @property
    def name(self) -> str:
        return f"parity (T={self.length}, k={self.lag})"

    @property
    def description(self) -> str:
        return (
            f"Parity of a bit stream: at every one of {self.length} steps the network reads a random bit "
            f"and must output the XOR of this bit and the bit {self.lag} steps earlier. Each answer is a "
            f"coin flip to anyone who forgets, so the memoryless loss is ln 2 per step "
            f"({self.baseline():.2f} per sequence, the baseline line). The first {self.lag} answers "
            f"depend on bits from before the sequence, so even a perfect memory scores "
            f"{self.lag} ln 2 = {self.lag * math.log(2):.2f}.")

    def generate(self, batch_size, rng):
        bits = rng.integers(0, 2, size=(self.length + self.lag, batch_size))  # (T + k, B)
        inputs = bits[self.lag:]  # (T, B)
        targets = inputs ^ bits[: self.length]  # bit t XOR bit t - k
        return inputs.astype(np.int64), targets.astype(np.int64)

    def baseline(self, seq_len=None) -> float:
        """Every target is an unbiased coin independent of the current bit: T ln 2."""
        return self.length * math.log(2)

    def token_labels(self, inputs_for_one_sample):
        return [str(int(i)) for i in np.asarray(inputs_for_one_sample).reshape(-1)]


class ReberTask(Task):
    """Next-symbol prediction in a stream of embedded Reber strings."""

    title = "reber"
    predicts_next = True
    input_size = output_size = len(REBER_SYMBOLS)
    max_offset = 64  # windows start at a random point of the stream, so they are close to stationary

    @property
    def description(self) -> str:
        return (
            f"The embedded Reber grammar (Reber 1967; Hochreiter & Schmidhuber 1997): strings like "
            f"B T BPVVE T E, where the symbol after B (T or P) must be repeated just before the final E, "
            f"across a whole inner Reber string. The network predicts the next symbol at each of "
            f"{self.length} steps of a stream of such strings. Guessing from the current symbol alone "
            f"costs {self.baseline() / self.length:.3f} nats per step (the baseline line; from symbol "
            f"frequencies, {self.unigram_baseline() / self.length:.3f}); below the line the network "
            f"uses memory: the inner grammar needs a few symbols of it, the final T or P a long one.")

    def generate(self, batch_size, rng):
        columns = []
        for _ in range(batch_size):
            offset = int(rng.integers(0, self.max_offset))
            columns.append(embedded_reber_stream(offset + self.length + 1, rng)[offset:])
        stream = np.stack(columns, axis=1)  # (T + 1, B)
        return stream[:-1], stream[1:]

    def baseline(self, seq_len=None) -> float:
        """T x H(next | current symbol): the loss of the best predictor without memory, which is
        what the grammar's long-range structure lets a recurrent network beat."""
        return float(self.length * embedded_reber_conditional_entropy())

    def unigram_baseline(self, seq_len=None) -> float:
        """T x the entropy of the symbols' long-run frequencies (exact): ignoring the input."""
        p = embedded_reber_unigram()
        p = p[p > 0]
        return float(self.length * -(p * np.log(p)).sum())

    def token_labels(self, inputs_for_one_sample):
        return [REBER_SYMBOLS[int(i)] for i in np.asarray(inputs_for_one_sample).reshape(-1)]


def _future_marker(length=None, seed=0, **options):
    from rnnviz.core.data.marker import FutureMarkerTask  # in its own file; it builds on Task (task_base)

    return FutureMarkerTask(length, seed, **options)


def _reverse(length=None, seed=0, **options):
    from rnnviz.core.data.seq2seq_tasks import ReverseTask  # in its own file; it builds on Task (task_base)

    return ReverseTask(length, seed, **options)


def _bottleneck(length=None, seed=0, **options):
    from rnnviz.core.data.seq2seq_tasks import BottleneckTask

    return BottleneckTask(length, seed, **options)


def _waveform(length=None, seed=0, **options):
    from rnnviz.core.data.vec2seq_tasks import WaveformTask

    return WaveformTask(length, seed, **options)


TASKS = {"adding": AddingTask, "copy": CopyTask, "sine": SineTask, "sines": SinesTask,
         "parity": ParityTask, "reber": ReberTask, "marker": _future_marker,
         "reverse": _reverse, "bottleneck": _bottleneck, "waveform": _waveform}
TASK_NAMES = tuple(TASKS)


def make_task(name: str, length: int | None = None, seed: int = 0, **options) -> Task:
    """A task by name; ``length`` None gives the task's default T. Raises DataError."""
    if name not in TASKS:
        raise DataError(f"unknown task {name!r}; the tasks are {', '.join(TASK_NAMES)}")
    try:
        return TASKS[name](length, seed, **options)
    except TypeError as exc:
        raise DataError(f"task {name!r} does not take these options ({exc})") from None






class LatchingTask(Task):
    """Bengio, Simard & Frasconi (1994): keep one bit for the whole sequence against noise."""

    default_length = 50
    min_length = 4  # the key (3 steps) and at least one step of noise
    title = "latching"
    key_steps = 3  # the class is shown at the first three steps, as +1 or -1
    noise = 0.2  # std of the Gaussian noise on every step after the key (Bengio et al. used noise too)
    input_size = 1
    output_size = 2  # the two classes, scored at the last step with cross-entropy

    @property
    def description(self) -> str:
        return (
            f"The latching problem (Bengio, Simard & Frasconi 1994). Each sequence of {self.length} "
            f"steps starts with {self.key_steps} steps at +1 (class 1) or -1 (class 0), then "
            f"{self.length - self.key_steps} steps of Gaussian noise (std {self.noise:g}). After the "
            f"last step the network must name the class, so it must latch the first values and hold "
            f"them against the noise. Guessing gives ln 2 = {self.baseline():.3f} nats (the baseline "
            f"line): the last input says nothing about the class. Bengio et al. showed the share of "
            f"gradient-trained networks that learn this falls towards 0 as the sequence grows.")

    def generate(self, batch_size, rng):
        classes = rng.integers(0, 2, size=batch_size)  # (B,)
        inputs = self.noise * rng.standard_normal((self.length, batch_size))  # (T, B)
        inputs[: self.key_steps] = np.where(classes == 1, 1.0, -1.0)[None, :]
        return inputs[:, :, None], classes.astype(np.int64)  # (T, B, 1), (B,)

    def baseline(self, seq_len=None) -> float:
        """Both classes are equally likely and the last step's noise is independent of them: ln 2."""
        return math.log(2)

    def token_labels(self, inputs_for_one_sample):
        return [f"{v:.2f}" for v in np.asarray(inputs_for_one_sample, dtype=float).reshape(-1)]


TASKS["latching"] = LatchingTask
TASK_NAMES = tuple(TASKS)
