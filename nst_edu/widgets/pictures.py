"""What the widgets' ``Image`` views show, encoded as PNG bytes: an image tensor (the explorer's preview,
the viewers' inputs and results), a 2-D array as a heat map, and a run's losses as a small plot.

Pure functions with no widget in them (matplotlib's ``Figure`` without pyplot, so the explorer's worker
thread can draw the loss plot).
"""
from __future__ import annotations

import io

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure
from torch import Tensor

from nst_edu.machinery.results import History
from nst_edu.teaching.images import to_pil


def png_bytes(image: Tensor, min_side: int = 0) -> bytes:
    """Encode a (1, 3, H, W) image as PNG, enlarged (nearest) so its short side is ≥ ``min_side``."""
    pil = to_pil(image)
    scale = max(1, -(-min_side // max(1, min(pil.size))))
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), resample=0)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


def heatmap_png(values: np.ndarray, min_side: int = 256, cmap: str = "viridis") -> bytes:
    """A 2-D array as a colour-mapped PNG (min → dark, max → bright), enlarged to ``min_side``."""
    a = np.asarray(values, dtype=np.float64)
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    rgb = colormaps[cmap](a)[..., :3]
    return png_bytes(torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).float(), min_side)


def loss_plot_png(history: History, width: float = 4.0, height: float = 2.6) -> bytes:
    """L_content and L_style against the step, log scale, as a small PNG (no pyplot, thread-safe)."""
    fig = Figure(figsize=(width, height), dpi=72, layout="constrained")
    ax = fig.add_subplot()
    for values, label in ((history.content, "L_content"), (history.style, "L_style")):
        points = [(s, v) for s, v in zip(history.step, values) if v > 0]
        if points:
            ax.plot(*zip(*points), marker=".", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step (loss evaluations)")
    if ax.lines:
        ax.legend(loc="upper right")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
