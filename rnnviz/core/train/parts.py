"""What the trainer asks about a network's shape: does it fit the data, and its parts' numbers.

A bidirectional net's parts sit side by side in the units of h_t, an encoder-decoder's follow
each other in time; padded batches average only over the sequences still running. Kept apart
from the training loop, which only calls these.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.config import ModelConfig
from rnnviz.core.errors import UserError


def part_steps(trace) -> tuple:
    """Steps of each part on the trace's one time axis, when the parts follow each other in time
    (an encoder-decoder: (S, U)); () when they sit side by side in the units, or for one stack."""
    if not trace.parts or not all(part.param_prefix for part in trace.parts.values()):
        return ()
    return tuple(int(part.hidden.shape[0]) for part in trace.parts.values())


def grad_norms(grad_hidden: np.ndarray, parts: int = 0) -> np.ndarray:
    """||dL/dh_t|| over the units of ``grad_hidden`` (..., H): shape (...). With ``parts`` stacks
    side by side in the units (a bidirectional net's directions), each part's own: (..., P).
    The one place this number is computed; the records carry it to panels and exports."""
    grad_hidden = np.asarray(grad_hidden)
    with np.errstate(invalid="ignore", over="ignore"):
        if not parts:
            return np.linalg.norm(grad_hidden, axis=-1)
        split = grad_hidden.reshape(*grad_hidden.shape[:-1], parts, grad_hidden.shape[-1] // parts)
        return np.linalg.norm(split, axis=-1)


def side_by_side(trace) -> int:
    """How many parts sit side by side in the trace's units (0 for one stack, or for parts that
    follow each other in time)."""
    return 0 if not trace.parts or part_steps(trace) else len(trace.parts)


def batch_mean(norms: np.ndarray, lengths) -> np.ndarray:
    """Mean over the batch axis (2) of norms (T, L, B, ...), over the sequences still running at
    each step when padded (a step no sequence reaches is 0): pads would pull the mean down."""
    if lengths is None:
        return norms.mean(axis=2)
    real = np.arange(norms.shape[0])[:, None] < lengths[None, :]  # (T, B)
    mask = real.reshape(real.shape[0], 1, real.shape[1], *([1] * (norms.ndim - 3)))
    count = np.maximum(real.sum(axis=1), 1).reshape(-1, *([1] * (norms.ndim - 2)))  # (T, 1, ...)
    return (norms * mask).sum(axis=2) / count


def check_shape_fits(source, config: ModelConfig) -> None:
    """Refuse a network shape that would cheat on this data (UserError, before anything is built)."""
    paired = getattr(source, "source_length", None) is not None
    if config.arch == "seq2seq" and not paired:
        raise UserError(f"an encoder-decoder needs a source and a target sequence; {source.name} has one "
                        f"sequence (use the reverse or bottleneck task)")
    if config.arch != "seq2seq" and paired:
        raise UserError(f"{source.name} pairs a source with a target sequence: use an encoder-decoder "
                        f"(--arch seq2seq; Shape in the window)")
    coded = getattr(source, "code_size", None) is not None
    if config.arch == "vec2seq" and not coded:
        raise UserError(f"a vector-to-sequence net needs a code vector to start from; {source.name} has none "
                        f"(use the waveform task)")
    if config.arch != "vec2seq" and coded:
        raise UserError(f"{source.name} generates a sequence from a code vector: use a vector-to-sequence net "
                        f"(--arch vec2seq; Shape in the window)")
    if config.bidirectional and getattr(source, "predicts_next", False):
        raise UserError(f"a bidirectional network cannot learn {source.name}: each target there is the "
                        f"next input, which the backward direction has already read (it would see the "
                        f"answer); use a labelled text or a task such as marker")
