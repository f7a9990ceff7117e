"""Tasks for the encoder–decoder: reverse a sequence, or copy it through the bottleneck.

Both read S random symbols, then answer S symbols: the source reversed, or the source as it
was. The only road from the source to the answers is the encoder's last state (the context),
so copying needs every symbol squeezed through it, and its gradient must travel back through
the encoder to the first symbols. Reversing puts the first symbols' answers last; the copy
task, whose first answers need the first (most distant) symbols, is where reading the source
backwards (``reverse_source``) helps most.

A batch is (S + U, B) ids, the source then the decoder's inputs under teacher forcing (the go
token, then the previous targets), and (U, B) targets. Memoryless baseline: the answers are
independent uniform symbols, and the previous answer says nothing about the next, so a
decoder without the source scores S ln V.
"""

from __future__ import annotations

import math

import numpy as np

from rnnviz.core.data.task_base import Task

SYMBOLS = tuple("abcdefgh")  # V = 8 answer symbols
GO = len(SYMBOLS)  # id 8: the decoder's first input


class SourceTargetTask(Task):
    default_length = 8  # S: the bottleneck already fails a plain tanh encoder at this length
    min_length = 1
    input_size = len(SYMBOLS) + 1  # the symbols and the go token
    output_size = len(SYMBOLS)
    reverse_answer = False

    @property
    def source_length(self) -> int:
        return self.length

    @property
    def sequence_length(self) -> int:
        return 2 * self.length  # the source, then the decoder's inputs

    def generate(self, batch_size, rng):
        steps = self.length
        source = rng.integers(0, len(SYMBOLS), size=(steps, batch_size))  # (S, B)
        answer = source[::-1].copy() if self.reverse_answer else source.copy()  # (U, B), U = S
        read = np.concatenate([np.full((1, batch_size), GO), answer[:-1]])  # (U, B) teacher forcing
        return np.concatenate([source, read]).astype(np.int64), answer.astype(np.int64)

    def baseline(self, seq_len=None) -> float:
        """S ln V: each answer is a fresh uniform symbol to a decoder that never saw the source."""
        return self.length * math.log(len(SYMBOLS))

    def token_labels(self, inputs_for_one_sample):
        names = SYMBOLS + ("<go>",)
        return [names[int(i)] for i in np.asarray(inputs_for_one_sample).reshape(-1)]

    @property
    def description(self) -> str:
        what = "the same symbols reversed" if self.reverse_answer else "the same symbols in the same order"
        return (
            f"{self.title.capitalize()}: an encoder reads {self.length} random symbols (a-h), then a decoder "
            f"answers {what}, reading its previous answer (teacher forcing). Everything the decoder knows "
            f"about the source passes through one context vector. Without it each answer is a guess among "
            f"8: {self.baseline():.2f} nats per sequence (the baseline line). Needs --arch seq2seq.")


class ReverseTask(SourceTargetTask):
    title = "reverse"
    reverse_answer = True


class BottleneckTask(SourceTargetTask):
    title = "bottleneck"
