"""Bad input refused before any work, with one line that names the problem and the fix: the checks
``synthesize`` makes of its arguments (the CLI adds its own in ``nst_edu.__main__``)."""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from nst_edu import estimate
from nst_edu.errors import NstEduError

__all__ = ["check_before_work", "check_weights", "output_size"]


def check_before_work(content_image: Tensor | None, style_image: object, size: tuple[int, int] | None,
                      alpha: float | Sequence[float], beta: float | Sequence[float], layers: Sequence[str],
                      device: torch.device) -> None:
    """α and β (:func:`check_weights`) and the image against the device's memory
    (:func:`nst_edu.estimate.check_memory`), not by the allocator halfway through."""
    check_weights(alpha, beta)
    hw = output_size(content_image, style_image, size)
    if hw is not None:
        batch = max(len(v) if isinstance(v, Sequence) else 1 for v in (alpha, beta))
        estimate.check_memory(hw, layers, device, batch=batch)


def _number(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        return math.nan


def check_weights(alpha: float | Sequence[float], beta: float | Sequence[float]) -> None:
    """α and β of eq. (7): finite numbers ≥ 0 (an infinite β gave a grey noise image, exit 0)."""
    for name, value in (("alpha", alpha), ("beta", beta)):
        values = [_number(v) for v in value] if isinstance(value, Sequence) else [_number(value)]
        if not values or any(not (math.isfinite(v) and v >= 0) for v in values):
            raise NstEduError(f"{name} must be a finite number ≥ 0 (or a list of them), got {value!r}")


def output_size(content_image: Tensor | None, style_image: object,
                 size: tuple[int, int] | None) -> tuple[int, int] | None:
    """(H, W) of the image to synthesise, when it can be told before any work."""
    if content_image is not None:
        return tuple(content_image.shape[-2:])
    if size is not None:
        return int(size[0]), int(size[1])
    if isinstance(style_image, Tensor):
        return tuple(style_image.shape[-2:])
    return None
