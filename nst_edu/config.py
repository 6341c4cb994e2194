"""Run settings shared by notebooks, figures and tests: quick mode and reproducibility.

``NST_EDU_QUICK=1`` (set by ``make test``) selects tiny images and few steps. The code path is the
same as in full mode; only the sizes change, so nbval exercises everything in minutes on 2 cores.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass

import torch

from nst_edu.vgg import default_device


def quick_mode() -> bool:
    """True when ``NST_EDU_QUICK`` is set to anything but "", "0", "false" or "no"."""
    return os.environ.get("NST_EDU_QUICK", "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Settings:
    """Sizes for one run. ``size`` is the long side in pixels; ``steps`` counts loss evaluations."""

    quick: bool
    size: int
    steps: int
    device: torch.device
    seed: int


def setup(seed: int = 0, size: int = 256, steps: int = 300, quick_size: int = 48, quick_steps: int = 8) -> Settings:
    """The one setup call at the top of every notebook: seeds, threads, quick or full sizes.

    Args:
        seed: seeds Python's and torch's generators, so runs are reproducible.
        size, steps: full-mode image size and evaluations. quick_size, quick_steps: quick mode's.
    """
    random.seed(seed)
    torch.manual_seed(seed)
    quick = quick_mode()
    return Settings(
        quick=quick,
        size=quick_size if quick else size,
        steps=quick_steps if quick else steps,
        device=default_device(),
        seed=seed,
    )
