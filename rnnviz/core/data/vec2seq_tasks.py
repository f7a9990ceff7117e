"""A task for the vector-to-sequence net: generate a waveform from a short code vector.

Each sequence is U steps of y_t = sum_k v_k sin(2 pi (t + 1) / P_k), four waves of fixed periods
whose amplitudes are the code v (uniform in [-1, 1]^4). The code is all the network is given;
the phase it must count itself. How long v's influence survives along the sequence is the
story (‖∂L_t/∂v‖ against t). The baseline is a generator that ignores the code: the best it can
answer is 0, which costs E[y_t^2] = (1/3) sum_k sin^2(2 pi (t + 1) / P_k) at step t.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.data.task_base import Task

PERIODS = (5.0, 9.0, 17.0, 31.0)  # steps per cycle: a fast wave to a slow one


class WaveformTask(Task):
    title = "waveform"
    default_length = 30
    min_length = 1
    code_size = len(PERIODS)  # D: the vector the network starts from
    input_size = code_size
    output_size = 1

    def _waves(self) -> np.ndarray:
        t = np.arange(1, self.length + 1)[:, None]  # (U, 1)
        return np.sin(2 * np.pi * t / np.array(PERIODS))  # (U, D)

    def generate(self, batch_size, rng):
        code = rng.uniform(-1.0, 1.0, size=(batch_size, self.code_size))  # (B, D)
        inputs = np.repeat(code[None], self.length, axis=0)  # (U, B, D): v at every step
        targets = (self._waves() @ code.T)[:, :, None]  # (U, B, 1)
        return inputs, targets

    def baseline(self, seq_len=None) -> float:
        """Answering 0 whatever the code: sum_t E[y_t^2] = sum_t (1/3) sum_k sin^2(...)."""
        return float((self._waves() ** 2).sum() / 3.0)

    def token_labels(self, inputs_for_one_sample):
        return [str(t) for t in range(len(np.asarray(inputs_for_one_sample)))]

    @property
    def description(self) -> str:
        return (
            f"Waveform from a code: a vector v of {self.code_size} numbers sets the amplitudes of four sine "
            f"waves (periods {', '.join(f'{p:g}' for p in PERIODS)} steps); the network, given only v, must "
            f"generate their sum over {self.length} steps. Without v the best answer is 0: "
            f"{self.baseline():.2f} per sequence (the baseline line). The gradient plot adds ‖∂L_t/∂v‖: how "
            f"strongly step t's error still reaches the code. Needs --arch vec2seq.")
