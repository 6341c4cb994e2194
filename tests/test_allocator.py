"""nst_edu.machinery.allocator: freed memory is kept only inside the context, and given back after it."""
from __future__ import annotations

import pytest
import torch

from nst_edu.machinery import allocator

glibc = pytest.mark.skipif(allocator._LIBC is None, reason="glibc's mallopt is Linux/glibc only")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def test_helps_only_for_large_responses():
    big, small = allocator.KEEP_FREED_ABOVE + 1, allocator.KEEP_FREED_ABOVE // 2
    assert not allocator.helps(small)
    assert allocator.helps(big) == (allocator._LIBC is not None)


@glibc
def test_memory_is_given_back_on_leaving():
    before = rss_mb()
    with allocator.keep_freed_memory():
        with allocator.keep_freed_memory():  # nested: the inner exit must not restore early
            blocks = [torch.ones(2**23) for _ in range(8)]  # 8 × 32 MB, from the heap (no mmap)
            del blocks
        assert allocator._depth == 1
        held = rss_mb()
    after = rss_mb()
    assert allocator._depth == 0
    assert held - before > 200  # kept while inside: that is the point
    assert after - before < 64  # trimmed on leaving


def test_disabled_is_a_no_op():
    with allocator.keep_freed_memory(enabled=False):
        assert allocator._depth == 0
