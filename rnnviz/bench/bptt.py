"""Benchmarks of one BPTT step (``loss_and_grads``) against what people would otherwise use.

Each function returns rows ``(what, measured, target)`` for the ``rnnviz bench`` table:
- against the straightforward per-sample BPTT of the seed articles (rnnviz.bench.reference);
- against this machine's own matrix-multiply throughput (GFLOP/s counted from the step's products);
- against PyTorch's nn.RNN + Linear + cross-entropy with autograd on the CPU, when torch happens
  to be installed (it is never a dependency).

Every ratio is measured side by side (rnnviz.bench.timing.race: interleaved, medians), because
these machines are shared. ``threads`` (None: as configured; 1: one BLAS thread, and one torch
thread) is applied to both contenders alike; see rnnviz.runtime for why it matters on 2 cores.
"""

from __future__ import annotations

import numpy as np

from rnnviz import runtime
from rnnviz.core import RNN, ModelConfig
from rnnviz.bench import reference
from rnnviz.runtime import blas_thread_count, blas_threads
from rnnviz.bench.timing import race

VOCAB = 65  # a character vocabulary the size of a small English text
GEMM_SIZE = 1024  # the "big GEMM" for context: large enough to reach BLAS's best rate, ~0.1 s


def _case(hidden: int, batch: int, steps: int, dtype: str = "float64", vocab: int = VOCAB):
    model = RNN(ModelConfig(input_size=vocab, hidden_size=hidden, output_size=vocab, dtype=dtype))
    rng = np.random.default_rng(0)
    return model, rng.integers(0, vocab, (steps, batch)), rng.integers(0, vocab, (steps, batch))


def _threads_label(threads: int | None) -> str:
    count = threads if threads is not None else blas_thread_count()
    return f"{count} BLAS thread{'s' if count != 1 else ''}" if count else "BLAS threads as configured"


def _with_threads(threads, fn):
    def run():
        with blas_threads(threads):
            fn()
    return run


def step_flops(hidden: int, batch: int, steps: int, vocab: int = VOCAB) -> float:
    """Floating-point operations of the step's matrix products (token inputs are a row gather).

    forward: recurrence 2TBH^2, readout 2TBHY; backward: recurrence 2TBH^2, dW_hh 2TBH^2,
    dW_out 2TBHY, readout to hidden 2TBHY.
    """
    return 6.0 * steps * batch * hidden * hidden + 6.0 * steps * batch * hidden * vocab


def step_products(hidden: int, batch: int, steps: int, vocab: int = VOCAB, dtype: str = "float64",
                  gates: int = 1):
    """A function doing only the step's matrix products, same shapes and dtype, nothing between.

    No implementation of the step can take less time than these products (the FLOPs of
    ``step_flops``): their time is the step's floor, and reference / floor the ceiling of any
    speed-up over the reference on this machine with these threads. ``gates`` G: the products
    of a cell with G gates (W_hh (G H, H)): 4 for the LSTM, 3 for the GRU.
    """
    rng = np.random.default_rng(2)
    h = rng.standard_normal((steps, batch, hidden)).astype(dtype)  # (T, B, H)
    flat = h.reshape(-1, hidden)  # (T*B, H)
    da = rng.standard_normal((steps, batch, gates * hidden)).astype(dtype)  # (T, B, G H) dL/da_t
    w_hh = rng.standard_normal((gates * hidden, hidden)).astype(dtype)  # (G H, H)
    w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, G H) the layout the cell multiplies by going forward
    w_out = rng.standard_normal((vocab, hidden)).astype(dtype)  # (Y, H)
    d_out = rng.standard_normal((steps * batch, vocab)).astype(dtype)  # (T*B, Y)
    ahead = np.empty((batch, gates * hidden), dtype=dtype)  # (B, G H)
    carry = np.empty((batch, hidden), dtype=dtype)  # (B, H)

    def products():
        for t in range(steps):  # forward recurrence
            np.matmul(h[t], w_hh_t, out=ahead)
        flat @ w_out.T  # readout
        d_out.T @ flat  # dW_out
        d_out @ w_out  # readout back to the hidden states
        for t in range(steps):  # backward recurrence
            np.matmul(da[t], w_hh, out=carry)
        da[1:].reshape(-1, gates * hidden).T @ flat[:-batch]  # dW_hh: one product over all steps
    products.arrays = {"h": h, "flat": flat, "da": da, "w_hh": w_hh, "w_hh_t": w_hh_t, "w_out": w_out,
                       "d_out": d_out, "ahead": ahead, "carry": carry}  # for the same products elsewhere
    return products


def vs_reference(quick: bool = False, threads: int | None = None):
    hidden, batch, steps = (64, 8, 20) if quick else (256, 32, 100)
    model, x, y = _case(hidden, batch, steps)
    times = race({"rnnviz": _with_threads(threads, lambda: model.loss_and_grads(x, y)),
                  "reference": _with_threads(threads, lambda: reference.loss_and_grads(model.params, x, y)),
                  "products": _with_threads(threads, step_products(hidden, batch, steps))},
                 repeats=3 if quick else 7)
    ratio = times["reference"] / times["rnnviz"]
    ceiling = times["reference"] / times["products"]
    faults = faults_per_call(_with_threads(threads, lambda: model.loss_and_grads(x, y)))
    label = (f"BPTT step vs per-sample reference (H={hidden}, B={batch}, T={steps}, float64, "
             f"{_threads_label(threads)})")
    return [(label, f"{ratio:.1f}x faster ({times['rnnviz'] * 1e3:.1f} ms vs {times['reference'] * 1e3:.0f} ms)",
             ">= 20x"),
            ("  ceiling: reference / the step's matrix products alone",
             f"{ceiling:.1f}x (products {times['products'] * 1e3:.1f} ms = "
             f"{times['products'] / times['rnnviz']:.0%} of the step)", "no implementation can beat it"),
            ("  page faults per step", "not measured here" if faults is None else f"{faults:.0f}",
             f"fresh pages the kernel maps in; {runtime.describe_allocator()}")]


def faults_per_call(fn, calls: int = 3) -> float | None:
    """Minor page faults per call of ``fn`` (its result dropped at once), or None without ``resource``.

    Each is a fresh page of memory the kernel maps in on first touch; at the step's size
    they cost milliseconds (see rnnviz.runtime).
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def vs_matmul_limit(quick: bool = False, threads: int | None = None):
    """The step's GFLOP/s against the same-shaped products in a tight loop, and a big GEMM.

    "This machine's throughput" for the step is taken to be what BLAS reaches on the step's own
    dominant product, (B, H) @ (H, H), called 3T times in a loop with nothing else between:
    no Python step can beat the products it is made of. The 1024^3 GEMM is BLAS's best case,
    reported for context: small-batch products cannot reach it.
    """
    hidden, batch, steps = (128, 16, 40) if quick else (512, 64, 200)
    rows = []
    for dtype in ("float64", "float32"):
        model, x, y = _case(hidden, batch, steps, dtype)
        rng = np.random.default_rng(1)
        a = rng.standard_normal((batch, hidden)).astype(dtype)  # (B, H)
        w = rng.standard_normal((hidden, hidden)).astype(dtype)  # (H, H)
        product = np.empty((batch, hidden), dtype=dtype)
        big = rng.standard_normal((GEMM_SIZE, GEMM_SIZE)).astype(dtype)

        def same_shape_products():  # the step's dominant product, 3T times
            for _ in range(3 * steps):
                np.matmul(a, w, out=product)

        times = race({"step": _with_threads(threads, lambda: model.loss_and_grads(x, y)),
                      "shape": _with_threads(threads, same_shape_products),
                      "gemm": _with_threads(threads, lambda: big @ big)}, repeats=3 if quick else 5)
        step_rate = step_flops(hidden, batch, steps) / times["step"] / 1e9
        shape_rate = 3 * steps * 2.0 * batch * hidden * hidden / times["shape"] / 1e9
        gemm_rate = 2.0 * GEMM_SIZE ** 3 / times["gemm"] / 1e9
        rows.append((f"BPTT step throughput (H={hidden}, B={batch}, T={steps}, {dtype}, {_threads_label(threads)})",
                     f"{step_rate:.1f} GFLOP/s ({times['step'] * 1e3:.0f} ms) = {step_rate / shape_rate:.2f} of "
                     f"same-shape matmul ({shape_rate:.1f} GFLOP/s), {step_rate / gemm_rate:.2f} of "
                     f"{GEMM_SIZE}^3 GEMM ({gemm_rate:.1f} GFLOP/s)",
                     ">= 0.5 of same-shape matmul"))
    return rows


TORCH_SIZES = [(100, 1, 25), (256, 32, 100), (512, 64, 200)]


def torch_step(torch, rnn_class, hidden: int, batch: int, x, y, dtype: str, **options):
    """``rnn_class`` (torch.nn.RNN, LSTM or GRU) + Linear + cross-entropy (sum / B), forward and
    autograd backward: what one rnnviz step computes, the PyTorch way."""
    tdtype = getattr(torch, dtype)
    rnn = rnn_class(VOCAB, hidden, dtype=tdtype, **options)
    out = torch.nn.Linear(hidden, VOCAB, dtype=tdtype)
    onehot = torch.nn.functional.one_hot(torch.as_tensor(x), VOCAB).to(tdtype)  # (T, B, V)
    target = torch.as_tensor(y).reshape(-1)
    params = list(rnn.parameters()) + list(out.parameters())

    def step():
        for p in params:
            p.grad = None
        hs, _ = rnn(onehot)
        logits = out(hs).reshape(-1, VOCAB)
        loss = torch.nn.functional.cross_entropy(logits, target, reduction="sum") / batch
        loss.backward()

    return step


def vs_torch(quick: bool = False, threads: int | None = None):
    try:
        import torch
    except ImportError:
        return [("BPTT step vs PyTorch", "skipped: torch is not installed (it is never a dependency)", "no slower")]
    rows = []
    sizes = TORCH_SIZES[:1] if quick else TORCH_SIZES
    torch_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        for dtype in ("float32", "float64"):
            for hidden, batch, steps in sizes:
                model, x, y = _case(hidden, batch, steps, dtype)
                small = hidden * batch * steps < 1e6
                times = race({"rnnviz": _with_threads(threads, lambda: model.loss_and_grads(x, y)),
                              "torch": torch_step(torch, torch.nn.RNN, hidden, batch, x, y, dtype, nonlinearity="tanh")},
                             repeats=(5 if quick else 31) if small else (3 if quick else 7), warmup=2)
                ratio = times["torch"] / times["rnnviz"]
                rows.append((f"BPTT step vs torch {torch.__version__} nn.RNN (H={hidden}, B={batch}, T={steps}, "
                             f"{dtype}, {_threads_label(threads)}, torch {torch.get_num_threads()})",
                             f"{ratio:.2f}x ({times['rnnviz'] * 1e3:.2f} ms vs {times['torch'] * 1e3:.2f} ms)",
                             ">= 1.0x"))
    finally:
        torch.set_num_threads(torch_threads)
    return rows
