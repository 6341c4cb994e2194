"""Keep freed CPU memory in the process during a synthesis, so each step does not page-fault.

Why: glibc's ``malloc`` serves large blocks with ``mmap`` and gives them back to the kernel on
``free`` (always above 32 MB; below, until its dynamic threshold has grown). At 512 px a VGG-19
response is 50 MB, so every step allocated its responses and gradients afresh, and the kernel
zeroed them page by page: ReLU and its backward, which touch those pages first, took 230 of
1150 ms per step (``benchmarks/step_breakdown.py``). Inside :func:`keep_freed_memory` freed blocks
stay in the heap for the next step.

Measured (steady-state ms per step, fresh processes, off → on): 512 px 850 → 710 with the same
peak memory; 256 px (12 MB responses) best 199 → 189, median 189–251 → 180–198, +5 to +58 MB
peak; 128 px (3 MB) no difference. So :func:`helps` turns it on above 8 MB.

On leaving, the heap is trimmed, so nothing is held after the run, and glibc is left as its own
dynamic thresholds leave a long-running process: blocks up to 32 MB from the heap, trimmed beyond
64 MB free (any ``mallopt`` of a threshold turns those dynamics off, so they cannot simply be
"restored"; left at 128 kB, every later response would be mmapped afresh). Elsewhere (macOS,
Windows, musl) this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# mallopt(3) parameters and glibc's default.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
_DEFAULT_MMAP_MAX = 65536
#: glibc's largest dynamic mmap threshold (64-bit): larger blocks are always mmapped.
MMAP_THRESHOLD_MAX = 32 * 2**20
#: Keep freed memory when the largest response is bigger than this (measured above).
KEEP_FREED_ABOVE = 8 * 2**20
_lock = threading.Lock()
_depth = 0


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # glibc only  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def helps(largest_block_bytes: int) -> bool:
    """Whether a run whose largest tensor has this many bytes gains from :func:`keep_freed_memory`."""
    return _LIBC is not None and largest_block_bytes > KEEP_FREED_ABOVE


@contextmanager
def keep_freed_memory(enabled: bool = True) -> Iterator[None]:
    """Serve large blocks from the heap and do not trim it while inside (nestable, thread-safe)."""
    global _depth
    if not enabled or _LIBC is None:
        yield
        return
    with _lock:
        if _depth == 0:
            _LIBC.mallopt(_M_MMAP_MAX, 0)  # no mmap: large blocks come from the heap…
            _LIBC.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)  # …which keeps what is freed
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _LIBC.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
                _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)  # glibc's dynamic end state
                _LIBC.mallopt(_M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD_MAX)
                _LIBC.malloc_trim(0)  # give the run's memory back
