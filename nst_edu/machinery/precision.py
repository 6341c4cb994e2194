"""The network's number format: float32, or bfloat16 where the processor computes it natively.

A step is two passes through VGG-19; in bfloat16 (8 bits of mantissa, float32's range) they take about
half the time on a processor with bfloat16 instructions (x86 AVX-512 BF16 or AMX: AMD Zen 4 and later,
Intel Sapphire Rapids and later; Arm with BF16; NVIDIA GPUs from Ampere on), and the pictures match
(``benchmarks/precision.py``; README, "Devices"). Elsewhere bfloat16 is emulated and slower: float32 stays.

Only the network runs in bfloat16 (``torch.autocast``). Its responses are cast back to float32 before any
loss: the Gram matrices sum up to 49,152 products of a layer's positions, which bfloat16's 3 significant
digits would lose, and the losses, the gradient the optimiser sees and L-BFGS's history are float32.

``"auto"`` (the default of :class:`~nst_edu.machinery.settings.Runtime`) is bfloat16 where it is native, float32
elsewhere and in quick mode (``NST_EDU_QUICK=1``: the tests keep float32's numbers on every machine).
``NST_EDU_PRECISION=float32`` (or ``bfloat16``) decides "auto" everywhere, quick mode included; a
precision named in a call always wins.
"""
from __future__ import annotations

import os
import platform
from typing import Literal

import torch

from nst_edu.errors import NstEduError

Precision = Literal["auto", "float32", "bfloat16"]
Resolved = Literal["float32", "bfloat16"]
PRECISIONS: tuple[str, ...] = ("auto", "float32", "bfloat16")
ENV = "NST_EDU_PRECISION"


def native_bfloat16(device: torch.device | str) -> bool:
    """True when ``device`` computes bfloat16 in hardware: a CUDA GPU that supports it (Ampere or newer), or a
    CPU with AVX-512 BF16 or AMX (x86), or BF16 (Arm). oneDNN also *emulates* bfloat16 on any AVX-512 CPU
    (``torch.ops.mkldnn._is_mkldnn_bf16_supported()`` is True there), more slowly than float32: not native."""
    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False))
    if device.type != "cpu":
        return False  # MPS and others: float32
    if platform.machine().lower() in ("x86_64", "amd64", "i386", "i686"):
        cpu = torch.cpu
        return bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                    or getattr(cpu, "_is_amx_tile_supported", lambda: False)())
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def check(precision: str) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`; else a one-line error naming them."""
    if precision not in PRECISIONS:
        raise NstEduError(f"unknown precision {precision!r}: use 'auto' (bfloat16 where the processor has it), "
                          "'float32' or 'bfloat16'")
    return precision


def resolve(precision: str, device: torch.device | str, quick: bool) -> Resolved:
    """The number format a run uses: a named one as named; "auto" as the module's docstring says."""
    if check(precision) != "auto":
        return precision  # type: ignore[return-value]
    wanted = os.environ.get(ENV, "").strip().lower()
    if wanted:
        if wanted not in PRECISIONS:
            raise NstEduError(f"{ENV}={wanted!r} is not a precision: set it to float32, bfloat16 or auto, or unset it")
        if wanted != "auto":
            return wanted  # type: ignore[return-value]
    elif quick:
        return "float32"
    return "bfloat16" if native_bfloat16(device) else "float32"


def describe(resolved: str, device: torch.device | str) -> str:
    """One line for the setup cell: what the network runs in and why."""
    device = torch.device(device)
    if resolved == "bfloat16":
        why = "native on this processor" if native_bfloat16(device) else "asked for, emulated here: slower"
        return f"network in bfloat16 ({why}; {ENV}=float32 turns it off)"
    if os.environ.get(ENV, "").strip().lower() == "float32":
        return f"network in float32 ({ENV}=float32)"
    return "network in float32" + ("" if native_bfloat16(device) else " (no native bfloat16 here)")


__all__ = ["ENV", "PRECISIONS", "Precision", "Resolved", "check", "describe", "native_bfloat16", "resolve"]
