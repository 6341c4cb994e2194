"""The notebooks' one setup call (``nst_edu.setup``): seeds, quick or full sizes, where and in what precision.

``NST_EDU_QUICK=1`` (set by ``make test``; :mod:`nst_edu.machinery.modes`) selects tiny images and few steps.
The code path is the same as in full mode; only the sizes change, so nbval exercises everything in minutes on
2 cores.

Under nbgrader (``nbgrader autograde`` sets ``NBGRADER_EXECUTION``) notebooks run in the mode students run,
full mode unless ``NST_EDU_QUICK`` is set, and :func:`setup` silences warnings: nbgrader scores a test cell 0
when it writes anything to stderr.
"""
from __future__ import annotations

import os
import random
import warnings
from dataclasses import dataclass

import torch

from nst_edu.errors import NstEduError
from nst_edu.machinery.devices import default_device
from nst_edu.machinery.modes import quick_mode, under_nbgrader
from nst_edu.machinery.precision import describe as describe_precision
from nst_edu.machinery.precision import resolve as resolve_precision

#: The first lines of every notebook's setup cell (tests/test_notebooks_clean.py holds them to it): on
#: Colab, install the package at its release tag before importing it; elsewhere do nothing (a
#: checkout's `make lab` or a `pip install` already has it). Colab's torch satisfies our
#: requirement, so pip keeps it.
COLAB_SETUP = """\
import sys

if "google.colab" in sys.modules:  # Colab: install nst-edu at its release tag (Colab's own torch stays)
    %pip install -q "nst-edu @ git+https://github.com/nst-edu/nst-edu@v0.1.0"
    from google.colab import output
    output.enable_custom_widget_manager()  # ipywidgets 8 in Colab
"""


@dataclass(frozen=True)
class Settings:
    """Sizes for one run. ``size`` is the long side in pixels; ``steps`` counts loss evaluations;
    ``device`` is where the work runs (:func:`nst_edu.machinery.devices.default_device`)."""

    quick: bool
    size: int
    steps: int
    device: torch.device
    seed: int
    precision: str = "float32"  # the network's number format, as "auto" decides here (nst_edu.machinery.precision)

    def __str__(self) -> str:
        mode = "quick mode" if self.quick else "full mode"
        return (f"{mode} on {self.device.type}: {self.size} px long side, {self.steps} steps, seed {self.seed}; "
                f"{describe_precision(self.precision, self.device)}")


#: Full mode on a CPU: 256 px, 100 steps from white noise at that size (the paper's procedure): about the
#: time 128 px × 300 took, and the painting shows (benchmarks/README.md, "Time to a picture", has the
#: measurements and why not coarse-to-fine). On a GPU: 512 px (leongatys/NeuralImageSynthesis' img_size)
#: × 300. Quick mode (the tests): 48 px, 8 steps.
CPU_SIZE, CPU_STEPS = 256, 100
GPU_SIZE, GPU_STEPS = 512, 300
QUICK_SIZE, QUICK_STEPS = 48, 8


def choose(quick: bool, device: torch.device, size: int = CPU_SIZE, steps: int = CPU_STEPS,
           quick_size: int = QUICK_SIZE, quick_steps: int = QUICK_STEPS, gpu_size: int = GPU_SIZE,
           gpu_steps: int = GPU_STEPS) -> tuple[int, int]:
    """(size, steps) of a run: quick mode's anywhere, else full mode's on a GPU (any device but the CPU)
    or on the CPU. :func:`setup`'s rule, without its seeding (the explorer asks it when given no settings)."""
    if quick:
        return quick_size, quick_steps
    if device.type != "cpu":
        return gpu_size, gpu_steps
    return size, steps


def seed_override(seed: int) -> int:
    """``NST_EDU_SEED`` as an integer when it is set (the robustness sweep), else ``seed``."""
    value = os.environ.get("NST_EDU_SEED", "").strip()
    if not value:
        return seed
    try:
        return int(value)
    except ValueError:
        raise NstEduError(f"NST_EDU_SEED={value!r} is not an integer: set it to a seed such as 1, "
                          "or unset it") from None


def setup(seed: int = 0, size: int = CPU_SIZE, steps: int = CPU_STEPS, quick_size: int = QUICK_SIZE,
          quick_steps: int = QUICK_STEPS, gpu_size: int = GPU_SIZE, gpu_steps: int = GPU_STEPS) -> Settings:
    """The one setup call at the top of every notebook: seeds, quick or full sizes, the network's precision.

    The size follows the machine (:func:`choose`): full mode on a GPU (any device but the CPU) draws at
    ``gpu_size`` × ``gpu_steps`` (the paper's figures: 512 px, 300 steps), on a CPU at ``size`` ×
    ``steps`` (256 px, 100 steps: what a 2-core laptop does in about half a minute a synthesis); quick
    mode (``NST_EDU_QUICK=1``, the tests) at ``quick_size`` × ``quick_steps`` everywhere. Notebooks
    keep the defaults, so this function decides; print the result to show where a notebook ran. The
    network runs in bfloat16 where the processor computes it natively, in full mode (:mod:`nst_edu.machinery.precision`;
    ``NST_EDU_PRECISION=float32`` turns it off); the line it prints says which.

    ``NST_EDU_SEED``, when set, replaces ``seed``: ``make test-robust`` runs every notebook with other seeds,
    as a learner who edits ``seed=0`` would, to find a claim that holds for one seed only.

    Args:
        seed: seeds Python's and torch's generators, so runs are reproducible.
        size, steps: full-mode image size (long side, px) and loss evaluations on a CPU. quick_size,
            quick_steps: quick mode's. gpu_size, gpu_steps: full mode's on a GPU.
    """
    seed = seed_override(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    if under_nbgrader():  # stderr in a graded cell scores it 0 (e.g. the slow-run warning)
        warnings.simplefilter("ignore")
    quick = quick_mode()
    device = default_device()
    size, steps = choose(quick, device, size, steps, quick_size, quick_steps, gpu_size, gpu_steps)
    return Settings(quick=quick, size=size, steps=steps, device=device, seed=seed,
                    precision=resolve_precision("auto", device, quick))
