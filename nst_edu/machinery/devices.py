"""Where the work runs: one rule for the whole package (README, "Devices").

1. **One default.** :func:`default_device` is CUDA when torch sees a GPU, else Apple's MPS, else the
   CPU; ``NST_EDU_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``) overrides it. ``vgg19()``,
   ``synthesize()`` and ``config.setup()`` all start from it, so a network and a synthesis built
   with defaults always meet on one device.
2. **The network decides.** Whatever takes a network runs where the network is: images, masks and
   targets may be made anywhere (``load_image`` makes them on the CPU) and are moved to it when
   used. ``synthesize(..., device=...)`` names another device: the run uses a copy of the network
   there, and the caller's network stays where it was.
3. **Pictures come back on the CPU.** Result images, previews and whatever a figure draws are CPU
   tensors, ready for matplotlib and PIL.
"""
from __future__ import annotations

import os

import torch
from torch import nn


def default_device() -> torch.device:
    """CUDA when available, else MPS when available, else CPU; ``NST_EDU_DEVICE`` overrides."""
    wanted = os.environ.get("NST_EDU_DEVICE")
    if wanted:
        return torch.device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_of(model: nn.Module) -> torch.device:
    """The device of a network's weights (the CPU for a network without any)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def run_device(named: str | torch.device | None, model: nn.Module | None) -> torch.device:
    """Rule 2: a named device, else the given network's, else :func:`default_device`."""
    if named is not None:
        return torch.device(named)
    return device_of(model) if model is not None else default_device()
