"""Benchmarks of the gated cells' BPTT step (LSTM, GRU) against the machine and against PyTorch.

- against the same-shaped matrix products: the step's dominant product, (B, H) @ (H, G H),
  called 3T times in a tight loop, is what the step cannot beat (as ``bptt.vs_matmul_limit``
  for the tanh cell);
- against ``torch.nn.LSTM`` / ``torch.nn.GRU`` + ``Linear`` + cross-entropy with autograd on
  the CPU, same sizes and dtype, when torch happens to be installed (never a dependency); beside
  it, the step's matrix products alone (``bptt.step_products``) against torch: a floor no numpy
  step can go below, which shows where a target is out of reach of numpy's BLAS.

Every ratio is measured side by side (interleaved repeats, medians) in one run.
"""

from __future__ import annotations

import numpy as np

from rnnviz.bench.bptt import VOCAB, _threads_label, _with_threads, faults_per_call, step_products, torch_step
from rnnviz.bench.timing import race
from rnnviz.core import RNN, ModelConfig

GATES = {"lstm": 4, "gru": 3}
TORCH_SIZES = [(64, 16, 50), (256, 32, 100), (512, 64, 200)]  # (H, B, T), the range
TARGET_VS_TORCH = 0.7  # rnnviz's time at most this share of torch's


def _case(cell: str, hidden: int, batch: int, steps: int, dtype: str):
    model = RNN(ModelConfig(input_size=VOCAB, hidden_size=hidden, output_size=VOCAB, cell=cell, dtype=dtype))
    rng = np.random.default_rng(0)
    return model, rng.integers(0, VOCAB, (steps, batch)), rng.integers(0, VOCAB, (steps, batch))


def step_flops(cell: str, hidden: int, batch: int, steps: int, vocab: int = VOCAB) -> float:
    """Floating-point operations of a gated step's matrix products (token inputs are a row gather).

    recurrence forward, backward and dW_hh: 3 x 2 T B H (G H); readout, dW_out and readout back
    to the hidden states: 3 x 2 T B H Y.
    """
    gated = GATES[cell] * hidden
    return 6.0 * steps * batch * hidden * gated + 6.0 * steps * batch * hidden * vocab


def vs_matmul_limit(quick: bool = False, threads: int | None = None):
    hidden, batch, steps = (64, 8, 20) if quick else (512, 64, 200)
    rows = []
    for cell in GATES:
        for dtype in ("float64", "float32"):
            model, x, y = _case(cell, hidden, batch, steps, dtype)
            rng = np.random.default_rng(1)
            h = rng.standard_normal((batch, hidden)).astype(dtype)  # (B, H)
            w = rng.standard_normal((hidden, GATES[cell] * hidden)).astype(dtype)  # (H, G H)
            out = np.empty((batch, GATES[cell] * hidden), dtype=dtype)

            def same_shape_products():  # the step's dominant product, 3T times
                for _ in range(3 * steps):
                    np.matmul(h, w, out=out)

            times = race({"step": _with_threads(threads, lambda: model.loss_and_grads(x, y)),
                          "shape": _with_threads(threads, same_shape_products)}, repeats=3 if quick else 5)
            faults = faults_per_call(_with_threads(threads, lambda: model.loss_and_grads(x, y)), calls=1)
            step_rate = step_flops(cell, hidden, batch, steps) / times["step"] / 1e9
            shape_rate = 3 * steps * 2.0 * batch * hidden * GATES[cell] * hidden / times["shape"] / 1e9
            rows.append((f"{cell.upper()} step throughput (H={hidden}, B={batch}, T={steps}, {dtype}, "
                         f"{_threads_label(threads)})",
                         f"{step_rate:.1f} GFLOP/s ({times['step'] * 1e3:.0f} ms) = {step_rate / shape_rate:.2f} of "
                         f"same-shape matmul ({shape_rate:.1f} GFLOP/s); page faults per step: "
                         f"{'not measured here' if faults is None else f'{faults:.0f}'}",
                         ">= 0.5 of same-shape matmul"))
    return rows


def torch_products(torch, hidden: int, batch: int, steps: int, dtype: str, gates: int):
    """``bptt.step_products`` done by torch's BLAS (MKL on its CPU wheels): the same products, same
    shapes and order, so that beside numpy's they show how much of the gap is the BLAS itself."""
    arrays = step_products(hidden, batch, steps, dtype=dtype, gates=gates).arrays
    t = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in arrays.items()}

    def products():
        for s in range(steps):  # forward recurrence
            torch.matmul(t["h"][s], t["w_hh_t"], out=t["ahead"])
        flat = t["flat"]
        torch.matmul(flat, t["w_out"].T)  # readout
        torch.matmul(t["d_out"].T, flat)  # dW_out
        torch.matmul(t["d_out"], t["w_out"])  # readout back to the hidden states
        for s in range(steps):  # backward recurrence
            torch.matmul(t["da"][s], t["w_hh"], out=t["carry"])
        torch.matmul(t["da"][1:].reshape(-1, gates * hidden).T, flat[:-batch])  # dW_hh over all steps
    return products


def vs_torch(quick: bool = False, threads: int | None = None):
    try:
        import torch
    except ImportError:
        return [("LSTM and GRU steps vs PyTorch", "skipped: torch is not installed (it is never a dependency)",
                 f"<= {TARGET_VS_TORCH}x torch's time")]
    rows = []
    sizes = [(16, 4, 10)] if quick else TORCH_SIZES
    torch_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        for cell in GATES:
            for dtype in ("float32", "float64"):
                for hidden, batch, steps in sizes:
                    model, x, y = _case(cell, hidden, batch, steps, dtype)
                    small = hidden * batch * steps < 1e6
                    products = step_products(hidden, batch, steps, dtype=dtype, gates=GATES[cell])
                    cpu = {}
                    times = race({"rnnviz": _with_threads(threads, lambda: model.loss_and_grads(x, y)),
                                  "torch": torch_step(torch, torch.nn.LSTM if cell == "lstm" else torch.nn.GRU, hidden, batch, x, y, dtype),
                                  "products": _with_threads(threads, products),
                                  "torch products": torch_products(torch, hidden, batch, steps, dtype, GATES[cell])},
                                 repeats=(3 if quick else 15) if small else (3 if quick else 5), warmup=1, cpu=cpu)
                    share = times["rnnviz"] / times["torch"]
                    rows.append((f"{cell.upper()} step vs torch {torch.__version__} nn.{cell.upper()} (H={hidden}, "
                                 f"B={batch}, T={steps}, {dtype}, {_threads_label(threads)}, "
                                 f"torch {torch.get_num_threads()})",
                                 f"{share:.2f}x torch's time ({times['rnnviz'] * 1e3:.2f} ms vs "
                                 f"{times['torch'] * 1e3:.2f} ms), CPU time {cpu['rnnviz'] / cpu['torch']:.2f}x; "
                                 f"the step's matrix products alone: {times['products'] / times['torch']:.2f}x "
                                 f"(CPU {cpu['products'] / cpu['torch']:.2f}x); the same products by torch's BLAS: "
                                 f"CPU {cpu['torch products'] / cpu['torch']:.2f}x",
                                 f"<= {TARGET_VS_TORCH}x"))
    finally:
        torch.set_num_threads(torch_threads)
    return rows
