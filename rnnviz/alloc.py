"""Keep freed memory in the process, so that a training step does not fault its pages in again.

Every BPTT step allocates its trace anew (hidden states, dL/dh_t and outputs: 15 MB at H = 256,
B = 32, T = 100), because whoever asked for a trace may keep it. glibc's malloc hands out
blocks of M_MMAP_THRESHOLD or more by ``mmap`` and unmaps them on ``free``; the threshold
starts at 128 KiB and rises to the size of the largest block freed, which a request of that
very size still meets. So a loop that drops each step's trace (``loss, grads, _ =
model.loss_and_grads(...)``) gets fresh pages every step, and the kernel faults each one in:
about 3,600 faults and 7 ms of a 44 ms step at that size (``rnnviz bench`` prints the count).

The application (``rnnviz`` and its subcommands, not the library: ``rnnviz.core`` never changes
a process-wide setting) therefore raises both thresholds once at start: blocks up to
MMAP_THRESHOLD come from the heap, and up to TRIM_THRESHOLD of free heap is kept for the
next step instead of being given back. Memory is not lost, it is reused; the price is that
the process does not shrink after a large array is freed.

glibc only: elsewhere (macOS, Windows, musl) ``keep_freed_memory`` does nothing and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

# mallopt parameter numbers from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 256 << 20  # above the largest trace array the app makes (H=512, B=64, T=200: 52 MB)
TRIM_THRESHOLD = 256 << 20  # free heap kept for reuse

_state = {"kept": False, "why": "not asked"}


def _glibc():
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks for reuse (see the module's docstring). True if it agreed."""
    libc = _glibc()
    if libc is None:
        _state.update(kept=False, why=f"not glibc ({platform.libc_ver()[0] or platform.system()}): allocator as is")
        return False
    libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    agreed = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD,
                                                                                          TRIM_THRESHOLD))
    _state.update(kept=agreed, why=(f"glibc keeps freed memory (mmap threshold {MMAP_THRESHOLD >> 20} MiB, "
                                    f"trim threshold {TRIM_THRESHOLD >> 20} MiB)" if agreed
                                    else "glibc refused the thresholds: allocator as is"))
    return agreed


def describe() -> str:
    """One line for ``rnnviz bench``'s machine description."""
    return _state["why"]
