"""Memory benchmark: a long headless run must not grow without bound.

The trainer keeps its history in bounded ring buffers (rnnviz.core.train.history), so a 100 000-step
run should peak at about the memory of a 10 000-step run. Each run happens in a fresh
subprocess (``python -m rnnviz.bench.memory STEPS``), so the two peaks do not share a heap, and
the peak is the kernel's ``ru_maxrss``. The model is tiny (H = 8, T = 8, B = 1 on the adding
task) so that 100 000 steps take well under a minute: what is measured is the bookkeeping
around the steps, which is what would leak.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

SMALL_RUN, LONG_RUN = 10_000, 100_000
TASK, HIDDEN, SEQ_LEN, BATCH = "adding", 8, 8, 1  # the smallest honest training run


def run_and_measure(steps: int) -> dict:
    """Train ``steps`` steps in this process; return the step count, status, seconds, peak RSS (MiB)."""
    from rnnviz.core.config import ModelConfig, TrainConfig
    from rnnviz.core.data.tasks import make_task
    from rnnviz.core.train.trainer import Trainer

    trainer = Trainer(make_task(TASK, length=SEQ_LEN), ModelConfig(hidden_size=HIDDEN),
                      TrainConfig(batch_size=BATCH, seq_len=SEQ_LEN, steps=steps))
    start = time.perf_counter()
    trainer.run(steps)
    seconds = time.perf_counter() - start
    return {"steps": trainer.step_count, "status": trainer.status, "seconds": seconds,
            "peak_mib": peak_resident_kib() / 1024}


def peak_resident_kib() -> int:
    """This process's peak resident memory in KiB: VmHWM where Linux offers it, else ru_maxrss."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def measure_in_subprocess(steps: int, timeout: float = 600) -> dict:
    """``run_and_measure(steps)`` in a fresh interpreter, so its peak is its own."""
    done = subprocess.run([sys.executable, "-m", "rnnviz.bench.memory", str(steps)],
                          capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def vs_steps(quick: bool = False):
    """Peak RSS of a long run against a run a tenth as long, each in its own process."""
    short, long = (200, 2_000) if quick else (SMALL_RUN, LONG_RUN)
    first, second = measure_in_subprocess(short), measure_in_subprocess(long)
    growth = second["peak_mib"] / first["peak_mib"] - 1
    return [(f"peak memory, {long} vs {short} headless steps (H={HIDDEN}, T={SEQ_LEN}, B={BATCH}, {TASK})",
             f"{second['peak_mib']:.1f} MiB vs {first['peak_mib']:.1f} MiB ({growth:+.1%}; "
             f"{second['steps']} steps in {second['seconds']:.0f} s)",
             "within 10%")]


if __name__ == "__main__":
    from rnnviz import runtime

    runtime.keep_freed_memory()  # as ``rnnviz run`` does: the run measured is the application's
    print(json.dumps(run_and_measure(int(sys.argv[1]))))
