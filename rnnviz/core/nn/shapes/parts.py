"""The named parts of a trace, as the diagnostics read them: one recurrent stack at a time.

A network with more than one stack (a bidirectional one's ``forward`` and ``backward``)
returns a trace whose ``parts`` are each a plain one-stack trace in its own processing
order. ``part_model`` gives the diagnostics what they expect of a model for that stack (its
parameters under the plain names, the cell), so the Jacobian chain, the spectrum and the
profiles are computed for every part by the same code as for a single stack.
``trim`` cuts a trace to a sequence's real steps, so the plots of a padded sample end at its
last word.
"""

from __future__ import annotations

from dataclasses import replace

from rnnviz.core.nn.model import Trace


class PartModel:
    """One stack of a network: its parameters under the names of a single stack, and the cell."""

    def __init__(self, model, suffix: str) -> None:
        self.config = model.config
        self.cell = model.cell
        self.params = {name[:-len(suffix)] if suffix and name.endswith(suffix) else name: value
                       for name, value in model.params.items() if not suffix or name.endswith(suffix)}


def part_model(model, part: Trace):
    """The model as the diagnostics of ``part`` should see it."""
    if part.param_prefix:  # a stack of its own, with its own cell (an encoder-decoder's)
        return model.stacks[part.param_prefix.rstrip(".")]
    return PartModel(model, part.param_suffix) if part.param_suffix else model


def trim(trace: Trace, steps: int) -> Trace:
    """The trace cut to its first ``steps`` steps (each part in its own order: also its real steps)."""
    if steps >= trace.hidden.shape[0]:
        return trace
    cut = {name: value[:steps] for name, value in trace.extras.items()}
    outputs = trace.outputs[:steps] if trace.target_kind.endswith("steps") else trace.outputs
    return replace(trace, hidden=trace.hidden[:steps], grad_hidden=trace.grad_hidden[:steps], extras=cut,
                   outputs=outputs,
                   time_index=None if trace.time_index is None else trace.time_index[:steps],
                   parts={name: trim(part, steps) for name, part in trace.parts.items()})
