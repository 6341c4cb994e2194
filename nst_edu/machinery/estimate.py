"""How long will a synthesis take? A back-of-the-envelope estimate from FLOPs and activation sizes.

One loss evaluation (a "step") is a forward pass through VGG-19 up to the deepest layer used and
a backward pass for the gradient with respect to the *image* (the weights are frozen, so no weight
gradients are computed). Almost all of the work is in the 3×3 convolutions:

* forward: 2 · C_in · C_out · 9 · H · W floating-point operations per convolution (multiply + add);
* backward to the input: the same again (a transposed convolution of the same size).

Dividing by a per-device throughput (GFLOP/s that VGG convolutions actually reach, not the
datasheet peak) gives seconds per step. Memory is dominated by the activations autograd keeps for
the backward pass, plus the weights and the L-BFGS history (two images per remembered step).

The throughput constants are rough: ``benchmarks/step_time.py`` measures the real value of a
machine, and :func:`estimate` accepts it as ``gflops=``.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch

from nst_edu.errors import NstEduError
from nst_edu.layers import CHANNELS, CONTENT_LAYERS, LAYER_NAMES, STYLE_LAYERS, response_index
from nst_edu.machinery.lbfgs import DEFAULT_HISTORY_SIZE

#: Effective GFLOP/s of VGG-19 forward + input-gradient per device kind (per CPU thread for "cpu").
#: CPU: ~150 GFLOP/s per thread, between this AVX-512 server (benchmarks/README.md: ~400 GFLOP/s on
#: 2 threads, AMD EPYC, torch 2.14) and AVX2 laptops (about half per core), so it errs towards warning;
#: CUDA: a conservative figure for a recent data-centre GPU in float32 (TF32 off).
THROUGHPUT_GFLOPS = {"cpu_per_thread": 150.0, "cuda": 15_000.0, "mps": 2_000.0}

#: Warn before runs estimated to take longer than this (seconds).
WARN_SECONDS = 60.0


class SlowRunWarning(UserWarning):
    """A synthesis is estimated to take long; silence with ``warnings.simplefilter("ignore", SlowRunWarning)``."""


@dataclass(frozen=True)
class Estimate:
    """Seconds per loss evaluation, for the whole run, and peak memory (bytes) of one synthesis."""

    seconds_per_step: float
    total_seconds: float
    peak_memory_bytes: int
    gflop_per_step: float
    device: str
    size_hw: tuple[int, int]
    steps: int

    def describe(self) -> str:
        """One line, e.g. ``estimated 45 min on cpu for 2048×1536 px × 300 steps (3.2 GB)``."""
        h, w = self.size_hw
        return (
            f"estimated {_fmt_seconds(self.total_seconds)} on {self.device} for {w}×{h} px × {self.steps} steps "
            f"({self.seconds_per_step:.2g} s/step, {self.peak_memory_bytes / 1e9:.2g} GB)"
        )


def _fmt_seconds(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def conv_shapes(size_hw: tuple[int, int], layers: Iterable[str]) -> list[tuple[str, int, int, int, int]]:
    """(name, C_in, C_out, H, W) of every convolution up to the deepest of ``layers``."""
    last = max((response_index(n) for n in layers), default=len(LAYER_NAMES) - 1)
    h, w = int(size_hw[0]), int(size_hw[1])
    out, c_in = [], 3
    for i, name in enumerate(LAYER_NAMES[: last + 1]):
        if name.startswith("conv"):
            c_out = CHANNELS[int(name[4]) - 1]
            out.append((name, c_in, c_out, h, w))
            c_in = c_out
        elif name.startswith("pool"):
            h, w = h // 2, w // 2
    return out


def step_flops(
    size_hw: tuple[int, int], layers: Iterable[str] = CONTENT_LAYERS + STYLE_LAYERS, batch: int = 1
) -> float:
    """FLOPs of one loss evaluation: convolution forward + backward to the input (weights frozen)."""
    fwd = sum(2 * ci * co * 9 * h * w for _, ci, co, h, w in conv_shapes(size_hw, layers))
    return 2.0 * fwd * batch


def activation_bytes(size_hw: tuple[int, int], layers: Iterable[str], batch: int = 1, dtype_bytes: int = 4) -> int:
    """Bytes autograd keeps for the backward pass: every conv output, ReLU output and pool output."""
    total = 3 * size_hw[0] * size_hw[1]  # the preprocessed input
    for _, _, co, h, w in conv_shapes(size_hw, layers):
        total += 2 * co * h * w  # conv output and its ReLU
    layers = list(layers)
    last = max((response_index(n) for n in layers), default=len(LAYER_NAMES) - 1)
    h, w = size_hw
    for name in LAYER_NAMES[: last + 1]:
        if name.startswith("pool"):
            h, w = h // 2, w // 2
            total += CHANNELS[int(name[4]) - 1] * h * w
    return int(total * batch * dtype_bytes)


def default_gflops(device: str | torch.device) -> float:
    """The throughput constant for a device (CPU: per-thread figure × torch's thread count)."""
    kind = torch.device(device).type
    if kind == "cpu":
        return THROUGHPUT_GFLOPS["cpu_per_thread"] * max(1, torch.get_num_threads())
    return THROUGHPUT_GFLOPS.get(kind, THROUGHPUT_GFLOPS["cuda"])


def estimate(
    size_hw: tuple[int, int],
    layers: Sequence[str] = CONTENT_LAYERS + STYLE_LAYERS,
    device: str | torch.device = "cpu",
    steps: int = 300,
    *,
    batch: int = 1,
    history_size: int = DEFAULT_HISTORY_SIZE,
    gflops: float | None = None,
) -> Estimate:
    """Estimate time and memory of a synthesis of size ``size_hw`` (H, W) using ``layers``.

    Args:
        size_hw: output (H, W) in pixels.
        layers: every content and style layer used (the network runs to the deepest).
        device: "cpu", "cuda", … (picks the throughput constant).
        steps: loss evaluations.
        batch: images synthesised together.
        history_size: L-BFGS memory (2 image-sized tensors per remembered step).
        gflops: measured throughput to use instead of the built-in constant.

    Returns:
        An :class:`Estimate`. Expect ±2× on CPUs other than the one the constant came from.
    """
    layers = list(layers)
    flops = step_flops(size_hw, layers, batch)
    rate = (gflops or default_gflops(device)) * 1e9
    per_step = flops / rate
    weights = 4 * sum(ci * co * 9 + co for _, ci, co, _, _ in conv_shapes(size_hw, layers))
    image = 4 * 3 * size_hw[0] * size_hw[1] * batch
    # activations + their gradients in the backward pass (≈ one more layer's worth at a time, but
    # the allocator keeps about half again), weights, L-BFGS history and a few image copies.
    act = activation_bytes(size_hw, layers, batch)
    peak = int(1.5 * act + weights + image * (2 * history_size + 6))
    return Estimate(
        seconds_per_step=per_step,
        total_seconds=per_step * steps,
        peak_memory_bytes=peak,
        gflop_per_step=flops / 1e9,
        device=torch.device(device).type,
        size_hw=(int(size_hw[0]), int(size_hw[1])),
        steps=int(steps),
    )


def suggest_size(size_hw: tuple[int, int], layers: Sequence[str], device: str | torch.device, steps: int,
                 budget_seconds: float = WARN_SECONDS) -> int:
    """The largest long side (a multiple of 64, at least 64) whose run fits in ``budget_seconds``."""
    h, w = size_hw
    long_side = max(h, w)
    size = (long_side // 64) * 64
    while size > 64:
        scale = size / long_side
        if (
            estimate((max(1, round(h * scale)), max(1, round(w * scale))), layers, device, steps).total_seconds
            <= budget_seconds
        ):
            break
        size -= 64
    return max(64, size)


def warn_if_slow(size_hw: tuple[int, int], layers: Sequence[str], device: str | torch.device, steps: int,
                 batch: int = 1) -> None:
    """Warn (:class:`SlowRunWarning`, shown at the caller of ``synthesize``) when the run is estimated
    to take long: :func:`warning_message`."""
    msg = warning_message(size_hw, layers, device, steps, batch=batch)
    if msg:
        warnings.warn(msg, SlowRunWarning, stacklevel=4)


def warning_message(size_hw: tuple[int, int], layers: Sequence[str], device: str | torch.device, steps: int,
                    batch: int = 1, threshold: float = WARN_SECONDS) -> str | None:
    """A one-line warning when the run is estimated to exceed ``threshold`` seconds, else None.

    ``NST_EDU_NO_ESTIMATE=1`` silences it.
    """
    if os.environ.get("NST_EDU_NO_ESTIMATE", "").strip() not in ("", "0"):
        return None
    est = estimate(size_hw, layers, device, steps, batch=batch)
    if est.total_seconds <= threshold:
        return None
    hint = suggest_size(size_hw, layers, device, steps)
    tip = f": try size={hint}" if hint < max(size_hw) else ""
    return f"{est.describe()}{tip} (or fewer steps, or multiscale_synthesize)"


def free_memory_bytes(device: str | torch.device) -> int | None:
    """Memory a synthesis can use on ``device``: the card's free memory on CUDA, the kernel's
    MemAvailable on a CPU; None where it cannot be known (then nothing is refused)."""
    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type == "cpu":
        try:
            with open("/proc/meminfo", encoding="ascii") as f:
                for line in f:
                    if line.startswith("MemAvailable:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        try:
            return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            return None
    return None


def check_memory(size_hw: tuple[int, int], layers: Sequence[str], device: str | torch.device, batch: int = 1,
                 option: str = "size", what: str | None = None) -> None:
    """Refuse, before any work, a synthesis that cannot fit in ``device``'s free memory.

    Raises:
        NstEduError: one line with the memory it needs, the memory there is, and the largest long
            side (``option``) that fits.
    """
    free = free_memory_bytes(device)
    need = estimate(size_hw, layers, device, 1, batch=batch).peak_memory_bytes
    if free is None or need <= free:
        return
    h, w = size_hw
    long_side, fits = max(h, w), 0
    lo, hi = 16, long_side  # the largest long side (same aspect) whose estimate fits: bisection
    while lo <= hi:
        mid = (lo + hi) // 2
        scale = mid / long_side
        if estimate((max(1, round(h * scale)), max(1, round(w * scale))), layers, device, 1,
                    batch=batch).peak_memory_bytes <= free:
            fits, lo = mid, mid + 1
        else:
            hi = mid - 1
    where = f"{torch.device(device).type} memory"
    hint = f"use {option} {fits} or less" if fits else "free memory or use another device"
    what = what or f"a {w}×{h} synthesis"
    raise NstEduError(f"{what} needs about {need / 1e9:.3g} GB but {where} has "
                      f"{free / 1e9:.3g} GB free: {hint}")
