"""Bad input refused before any work, with one line that names the problem and the fix: the checks
``synthesize`` makes of its arguments (the CLI adds its own in ``nst_edu.__main__``)."""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.layers import LAYER_NAMES, response_index
from nst_edu.machinery import estimate

__all__ = ["check_before_work", "check_image_shapes", "check_image_sides", "check_weights", "output_size"]


def check_before_work(content_image: Tensor | None, style_image: object, hw: tuple[int, int] | None,
                      alpha: float | Sequence[float], beta: float | Sequence[float], content_layers: Sequence[str],
                      style_layers: Sequence[str], device: torch.device) -> None:
    """α and β (:func:`check_weights`), every image against the network's poolings
    (:func:`check_image_sides`) and the output, ``hw`` from :func:`output_size`, against the device's
    memory (:func:`nst_edu.machinery.estimate.check_memory`): refused here, not by the network or the allocator."""
    check_weights(alpha, beta)
    fix = "give larger images (or a larger size=)"
    styles = [style_image] if isinstance(style_image, Tensor) else \
        [s for s in style_image if isinstance(s, Tensor)] if isinstance(style_image, (list, tuple)) else []
    named_styles = {f"style image {k + 1}" if len(styles) > 1 else "the style image": s for k, s in enumerate(styles)}
    check_image_shapes({"the content image": content_image, **named_styles})
    if content_image is not None:
        check_image_sides({"the content image": tuple(content_image.shape[-2:])}, content_layers, fix)
    check_image_sides({name: tuple(s.shape[-2:]) for name, s in named_styles.items()}, style_layers, fix)
    if hw is not None:
        check_image_sides({"the output": hw}, [*content_layers, *style_layers], fix)
        batch = max(len(v) if isinstance(v, Sequence) else 1 for v in (alpha, beta))
        estimate.check_memory(hw, [*content_layers, *style_layers], device, batch=batch)


def check_image_shapes(images: dict[str, Tensor | None]) -> None:
    """Each image a batch of RGB images, (N, 3, H, W) as :func:`nst_edu.teaching.images.load_image` gives
    (N = 1); a (3, H, W) tensor from elsewhere (torchvision's ``ToTensor``) is refused with the fix,
    not by the network's memory layout ("required rank 4 tensor to use channels_last format")."""
    for name, image in images.items():
        if image is None or (image.ndim == 4 and image.shape[1] == 3):
            continue
        fix = "add the batch axis with .unsqueeze(0)" if image.ndim == 3 and image.shape[0] == 3 else \
            "load it with nst_edu.teaching.images.load_image, which takes (3, H, W), (H, W), arrays and PIL images"
        raise NstEduError(f"{name} has shape {tuple(image.shape)}, not (1, 3, H, W): {fix}")


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
    """(H, W) of the image to synthesise: the photo's, else ``size``, else the (first) artwork's; None
    for a guided style without either (``make_objective`` refuses it with a one-line error)."""
    if content_image is not None:
        return tuple(content_image.shape[-2:])
    if size is not None:
        return int(size[0]), int(size[1])
    if isinstance(style_image, Tensor):
        return tuple(style_image.shape[-2:])
    if isinstance(style_image, (list, tuple)) and style_image and isinstance(style_image[0], Tensor):
        return tuple(style_image[0].shape[-2:])
    return None


def check_image_sides(sides: dict[str, tuple[int, int]], layers: Sequence[str], fix: str) -> None:
    """Each image must survive the poolings before the deepest layer: after k 2×2 poolings a side
    of fewer than 2^k pixels has nothing left (conv5_1 comes after 4: at least 16 px).

    Raises:
        NstEduError: naming the image, its size, the layer and ``fix``.
    """
    if not layers:
        return
    deepest = max(layers, key=response_index)
    pools = sum(1 for n in LAYER_NAMES[: response_index(deepest)] if n.startswith("pool"))
    need = 2**pools
    for name, (h, w) in sides.items():
        if min(h, w) < need:
            raise NstEduError(f"{name} is {w}×{h} px, but {deepest} comes after {pools} poolings and needs at least "
                              f"{need} px on each side: {fix}")
