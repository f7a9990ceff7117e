"""Benchmarks of the connectivity map and the unit ranking against one BPTT step.

The connectivity map of one sample is T backward passes put into the batch dimension; the
target (T = 100, H = 256) is at most 3x one BPTT step at B = 32. The unit ranking is H + 1
forward passes of a few sequences, also in the batch dimension. Both are timed interleaved
with the step (``rnnviz.bench.timing.race``) on a character model like the bench's others.
"""

from __future__ import annotations

from rnnviz import runtime
from rnnviz.bench.bptt import VOCAB, _case
from rnnviz.bench.timing import race
from rnnviz.runtime import blas_thread_count
from rnnviz.core.diagnostics.ablation import rank_units
from rnnviz.core.diagnostics.connectivity import connectivity


def vs_step(quick: bool = False):
    """Rows (what, measured, target): connectivity and ranking against one step, per cell."""
    runtime.keep_freed_memory()  # as the application does; see rnnviz.runtime
    hidden, steps, batch = (32, 20, 8) if quick else (256, 100, 32)
    repeats = 1 if quick else 5
    rows = []
    for cell in ("tanh", "lstm"):
        model, inputs, targets = _case(hidden, batch, steps)
        if cell != "tanh":
            from rnnviz.core import RNN, ModelConfig

            model = RNN(ModelConfig(input_size=VOCAB, hidden_size=hidden, output_size=VOCAB, cell=cell))
        times = race({
            "step": lambda: model.loss_and_grads(inputs, targets),
            "connectivity": lambda: connectivity(model, inputs[:, 0]),
        }, repeats=repeats)
        ratio = times["connectivity"] / times["step"]
        rows.append((f"connectivity map of one sample vs one BPTT step ({cell}, T={steps}, H={hidden}, step B={batch})",
                     f"{times['connectivity'] * 1e3:.1f} vs {times['step'] * 1e3:.1f} ms ({ratio:.2f}x)", "<= 3x"))
    model, inputs, targets = _case(hidden, batch, steps)
    times = race({"step": lambda: model.loss_and_grads(inputs, targets),
                  "ranking": lambda: rank_units(model, inputs, targets, max_rows=2 * (hidden + 1))}, repeats=repeats)
    rows.append((f"unit ranking, all {hidden} units at once on 2 sequences vs one BPTT step (tanh, T={steps}, "
                 f"B={batch})", f"{times['ranking'] * 1e3:.1f} vs {times['step'] * 1e3:.1f} ms "
                 f"({times['ranking'] / times['step']:.2f}x)", "(no target)"))
    # a bidirectional net of the same width: H/2 units per direction, both directions ranked
    from rnnviz.core.nn.shapes import make_model
    from rnnviz.core import ModelConfig

    both = make_model(ModelConfig(input_size=VOCAB, hidden_size=hidden // 2, output_size=VOCAB, bidirectional=True))
    times = race({"step": lambda: both.loss_and_grads(inputs, targets),
                  "ranking": lambda: rank_units(both, inputs, targets, max_rows=2 * (hidden + 1))}, repeats=repeats)
    rows.append((f"unit ranking, bidirectional: all {hidden} units (fwd and bwd) on 2 sequences vs one BPTT step "
                 f"(tanh, T={steps}, B={batch})", f"{times['ranking'] * 1e3:.1f} vs {times['step'] * 1e3:.1f} ms "
                 f"({times['ranking'] / times['step']:.2f}x)", "(no target)"))
    threads = blas_thread_count()
    return [(what, value, f"{target}; {threads} BLAS thread{'s' if threads != 1 else ''}")
            for what, value, target in rows]
