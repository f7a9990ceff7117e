"""Benchmarks of one BPTT step (``loss_and_grads``) against what people would otherwise use.

Each function returns rows ``(what, measured, target)`` for the ``rnnviz bench`` table:
- against the straightforward per-sample BPTT of the seed articles (rnnviz.perf.reference);
- against this machine's own matrix-multiply throughput (GFLOP/s counted from the step's products);
- against PyTorch's nn.RNN + Linear + cross-entropy with autograd on the CPU, when torch happens
  to be installed (it is never a dependency).
"""

from __future__ import annotations

import numpy as np

from rnnviz.core import RNN, ModelConfig
from rnnviz.perf import reference
from rnnviz.perf.timing import race

VOCAB = 65  # a character vocabulary the size of a small English text


def _case(hidden: int, batch: int, steps: int, dtype: str = "float64", vocab: int = VOCAB):
    model = RNN(ModelConfig(input_size=vocab, hidden_size=hidden, output_size=vocab, dtype=dtype))
    rng = np.random.default_rng(0)
    return model, rng.integers(0, vocab, (steps, batch)), rng.integers(0, vocab, (steps, batch))


def step_flops(hidden: int, batch: int, steps: int, vocab: int = VOCAB) -> float:
    """Floating-point operations of the step's matrix products (token inputs are a row gather).

    forward: recurrence 2TBH^2, readout 2TBHY; backward: recurrence 2TBH^2, dW_hh 2TBH^2,
    dW_out 2TBHY, readout to hidden 2TBHY.
    """
    return 6.0 * steps * batch * hidden * hidden + 6.0 * steps * batch * hidden * vocab


def vs_reference(quick: bool = False):
    hidden, batch, steps = (64, 8, 20) if quick else (256, 32, 100)
    model, x, y = _case(hidden, batch, steps)
    times = race({"rnnviz": lambda: model.loss_and_grads(x, y),
                  "reference": lambda: reference.loss_and_grads(model.params, x, y)},
                 repeats=3 if quick else 5)
    ratio = times["reference"] / times["rnnviz"]
    label = f"BPTT step vs per-sample reference (H={hidden}, B={batch}, T={steps}, float64)"
    return [(label, f"{ratio:.1f}x faster ({times['rnnviz'] * 1e3:.1f} ms vs {times['reference'] * 1e3:.0f} ms)",
             ">= 20x")]


def vs_matmul_limit(quick: bool = False):
    hidden, batch, steps = (128, 16, 40) if quick else (512, 64, 200)
    rows = []
    for dtype in ("float64", "float32"):
        model, x, y = _case(hidden, batch, steps, dtype)
        a = np.random.default_rng(1).standard_normal((batch, hidden)).astype(dtype)
        w = np.random.default_rng(2).standard_normal((hidden, hidden)).astype(dtype)
        big = np.random.default_rng(3).standard_normal((1024, 1024)).astype(dtype)

        def same_shape_products():  # the step's dominant product, (B, H) @ (H, H), 3T times
            for _ in range(3 * steps):
                a @ w

        times = race({"step": lambda: model.loss_and_grads(x, y),
                      "shape": same_shape_products,
                      "gemm": lambda: big @ big}, repeats=3 if quick else 5)
        step_rate = step_flops(hidden, batch, steps) / times["step"] / 1e9
        shape_rate = 3 * steps * 2.0 * batch * hidden * hidden / times["shape"] / 1e9
        gemm_rate = 2.0 * 1024 ** 3 / times["gemm"] / 1e9
        rows.append((f"BPTT step throughput (H={hidden}, B={batch}, T={steps}, {dtype})",
                     f"{step_rate:.1f} GFLOP/s = {step_rate / shape_rate:.2f} of same-shape matmul "
                     f"({shape_rate:.1f}), {step_rate / gemm_rate:.2f} of 1024^3 GEMM ({gemm_rate:.1f})",
                     ">= 0.5 of matmul"))
    return rows


TORCH_SIZES = [(100, 1, 25), (256, 32, 100), (512, 64, 200)]


def vs_torch(quick: bool = False):
    try:
        import torch
    except ImportError:
        return [("BPTT step vs PyTorch", "skipped: torch is not installed (it is never a dependency)", "no slower")]
    rows = []
    sizes = TORCH_SIZES[:1] if quick else TORCH_SIZES
    for dtype in ("float32", "float64"):
        for hidden, batch, steps in sizes:
            model, x, y = _case(hidden, batch, steps, dtype)
            tdtype = getattr(torch, dtype)
            rnn = torch.nn.RNN(VOCAB, hidden, nonlinearity="tanh", dtype=tdtype)
            out = torch.nn.Linear(hidden, VOCAB, dtype=tdtype)
            onehot = torch.nn.functional.one_hot(torch.as_tensor(x), VOCAB).to(tdtype)  # (T, B, V)
            target = torch.as_tensor(y).reshape(-1)
            params = list(rnn.parameters()) + list(out.parameters())

            def torch_step():
                for p in params:
                    p.grad = None
                hs, _ = rnn(onehot)
                logits = out(hs).reshape(-1, VOCAB)
                loss = torch.nn.functional.cross_entropy(logits, target, reduction="sum") / batch
                loss.backward()

            times = race({"rnnviz": lambda: model.loss_and_grads(x, y), "torch": torch_step},
                         repeats=3 if quick else 7)
            ratio = times["torch"] / times["rnnviz"]
            rows.append((f"BPTT step vs torch.nn.RNN (H={hidden}, B={batch}, T={steps}, {dtype})",
                         f"{ratio:.2f}x ({times['rnnviz'] * 1e3:.2f} ms vs {times['torch'] * 1e3:.2f} ms)",
                         ">= 1.0x"))
    return rows
