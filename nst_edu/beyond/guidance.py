"""Spatial control (Gatys, Ecker, Bethge, Hertzmann & Shechtman 2017, "Controlling Perceptual
Factors in Neural Style Transfer", Sec. 4): the style loss computed per region, from *guided* Gram
matrices.

A region r of the image is given by a guidance channel T_r: a mask in [0, 1] at the image's
resolution. At layer l it is propagated to the layer's H_l × W_l (:func:`propagate`) and multiplies
the responses, F_r^l = F^l ∘ T_r^l, whose Gram matrix is the guided Gram matrix

    G_r^l = F_r^l (F_r^l)ᵀ · M_l / Σ_k (T_r^l)_k²                              (guided eq. 3)

and the layer's style loss sums eq. (4) over the regions, each against its own painting's guided
Gram matrix A_r^l (that painting's responses under that painting's mask), with weights λ_r:

    E_l = Σ_r λ_r / (4 N_l² M_l²) Σ_ij (G_r^l − A_r^l)²_ij

**Deviation from the paper:** the factor M_l / Σ_k (T_r^l)_k² (the paper leaves the normalisation of
G_r open). It makes a region's Gram matrix independent of its area, so a small sky can match the
statistics of a whole painting, and with a single all-ones mask G_r^l is exactly eq. (3).

Masks come from a colour-coded segmentation PNG (:func:`masks_from_png`: one region per colour)
or from arrays/tensors (:func:`masks_from_labels`).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as nnf
from PIL import Image
from torch import Tensor

from nst_edu import losses
from nst_edu.errors import NstEduError
from nst_edu.vgg import LAYER_NAMES

if TYPE_CHECKING:
    from nst_edu.vgg import VGG19Features

Propagation = Literal["simple", "inside"]


@dataclass
class Region:
    """One region of the output and the painting whose style it takes.

    Attributes:
        mask: where the region is in the output (the photo's layout), (H, W) in [0, 1].
        style_image: the painting, (1, 3, H', W') (give it the photo's pixel count).
        style_mask: which part of the painting to take the style from, (H', W'); None: all of it.
        weight: λ_r, the region's weight in the style loss.
    """

    mask: Tensor
    style_image: Tensor
    style_mask: Tensor | None = None
    weight: float = 1.0


@dataclass
class Guidance:
    """Spatial control: the style term computed per region. Pass it as ``style_image``.

    Attributes:
        regions: the regions (their masks need not cover the image; overlaps count twice).
        propagation: how masks reach each layer (:func:`propagate`): "simple" or "inside".
    """

    regions: Sequence[Region]
    propagation: Propagation = "simple"

    def layer_losses(self, model: VGG19Features, layers: Sequence[str], output_size: tuple[int, int]
                     ) -> dict[str, GuidedTarget]:
        """The guided E_l per layer (:func:`guided_targets`): what :mod:`nst_edu.objective` minimises."""
        return guided_targets(model, self, layers, output_size)

    def to(self, device: torch.device | str, memory_format: torch.memory_format = torch.contiguous_format
           ) -> Guidance:
        """The same guidance with its paintings on ``device`` (masks move when used)."""
        regions = [replace(r, style_image=r.style_image.to(device).contiguous(memory_format=memory_format))
                   for r in self.regions]
        return replace(self, regions=regions)


@dataclass
class GuidedTarget:
    """What one layer's guided style loss needs: (R, H_l, W_l) masks of the output's regions,
    (R, N_l, N_l) their paintings' guided Gram matrices A_r^l, (R,) weights λ_r."""

    masks: Tensor
    targets: Tensor
    weights: Tensor

    def __call__(self, F: Tensor) -> Tensor:
        return guided_style_layer_loss(F, self.masks, self.targets, self.weights)


def guided_responses(F: Tensor, mask: Tensor) -> Tensor:
    """F_r = F ∘ T_r, scaled by √(M / Σ_k T_k²) so that its Gram matrix (eq. 3) is G_r and its
    eq. (4) the region's style loss (module docstring).

    Args:
        F: responses (1, N, H, W) (or (N, H, W)). mask: T_r^l at the layer's resolution, (H, W)
            (or any shape that flattens to H·W), values in [0, 1], not all zero.
    """
    m = mask.reshape(F.shape[-2:]).to(F.dtype)
    return F * (m * (m.numel() / (m * m).sum()).sqrt())


def guided_gram_matrix(F: Tensor, mask: Tensor) -> Tensor:
    """The guided Gram matrix G_r (module docstring) of responses F under one region's mask.

    Args:
        F, mask: as in :func:`guided_responses`.

    Returns:
        (N, N) (with the batch dimension of F), equal to eq. (3) for an all-ones mask.
    """
    return losses.gram_matrix(guided_responses(F, mask))


def guided_style_layer_loss(F: Tensor, masks: Tensor, targets: Tensor, weights: Tensor) -> Tensor:
    """E_l of the module docstring: Σ_r λ_r eq. (4) between G_r^l and A_r^l.

    Args:
        F: responses of the image being generated, (1, N, H, W).
        masks: (R, H, W) its regions at this layer. targets: (R, N, N) the guided Gram matrices
            A_r^l of each region's painting. weights: (R,) λ_r.
    """
    total = F.new_zeros(())
    for r in range(masks.shape[0]):
        total = total + weights[r] * losses.style_layer_loss(guided_responses(F, masks[r]), targets[r])
    return total


def _network_path(until: str) -> list[tuple[str, str]]:
    """(layer, kind) from the input to ``until``: kind "conv" (3×3, padding 1) or "pool" (2×2)."""
    steps = []
    for name in LAYER_NAMES:
        if name.startswith(("conv", "pool")):
            steps.append((name, "conv" if name.startswith("conv") else "pool"))
        if name == until:
            return steps
    raise NstEduError(f"unknown layer {until!r}: use a paper name such as conv3_1")


def propagate(mask: Tensor, layers: Sequence[str], how: Propagation = "simple") -> dict[str, Tensor]:
    """A guidance channel at each layer's resolution (the paper's two ways).

    Args:
        mask: (H, W) in [0, 1] at the image's resolution.
        layers: the layers wanted (paper names).
        how: "simple": down-sampled to H_l × W_l (area average); "inside": eroded along the way —
            a position keeps its value only if its whole receptive field lies inside the region
            (a 3×3 minimum at every convolution, a 2×2 minimum at every pooling).

    Returns:
        {layer: (H_l, W_l) mask}.
    """
    if how not in ("simple", "inside"):
        raise NstEduError(f"unknown propagation {how!r}: use 'simple' or 'inside'")
    out: dict[str, Tensor] = {}
    wanted = set(layers)
    if not wanted:
        return out
    last = max(layers, key=LAYER_NAMES.index)
    m = mask.reshape(1, 1, *mask.shape[-2:]).float()
    for name, kind in _network_path(last):
        if kind == "pool":  # the network halves the resolution (floor), as VGG19Features does
            m = -nnf.max_pool2d(-m, 2, 2) if how == "inside" else nnf.avg_pool2d(m, 2, 2)
        elif how == "inside":  # max_pool2d pads with -inf: outside the image counts as inside
            m = -nnf.max_pool2d(-m, 3, 1, padding=1)
        if name in wanted:
            out[name] = m[0, 0]
    return out


def region_style_distances(model: "VGG19Features", image: Tensor, mask: Tensor, style_image: Tensor,
                           layers: Sequence[str]) -> dict[str, float]:
    """How far the style inside one region of ``image`` is from a whole painting's, per layer:
    eq. (4) between the region's guided Gram matrix and the painting's A^l."""
    check_masks({"region": mask}, tuple(image.shape[-2:]), "image")  # a (W, H) mask would pass a reshape
    masks = propagate(mask, layers)
    out = {}
    with torch.no_grad():
        F, S = model(image, list(layers)), model(style_image, list(layers))
        for n in layers:
            region = guided_responses(F[n], masks[n].to(F[n].device))
            out[n] = float(losses.style_layer_loss(region, losses.gram_matrix(S[n])))
    return out


def region_style_gain(model: "VGG19Features", image: Tensor, photo: Tensor, mask: Tensor, style_image: Tensor,
                      layers: Sequence[str]) -> float:
    """How many times closer to a painting's style one region of ``image`` is than the same region
    of the photograph: the geometric mean over ``layers`` of the ratio of their distances (as
    :class:`nst_edu.teaching.measures.TransferMeasure`'s style gain, for one region). 1: no closer."""
    before = region_style_distances(model, photo, mask, style_image, layers)
    after = region_style_distances(model, image, mask, style_image, layers)
    logs = [math.log(before[n] / max(after[n], 1e-30)) for n in layers]
    return math.exp(sum(logs) / len(logs))


def masks_from_labels(labels: np.ndarray | Tensor, names: Sequence[str] | None = None) -> dict[str, Tensor]:
    """One mask per label of an integer label map (H, W): {name: (H, W) float mask}.

    Args:
        labels: integer array, one value per region. names: a name for each label in sorted order
            (default "region0", "region1", …).
    """
    lab = torch.as_tensor(np.asarray(labels))
    if lab.dim() != 2 or lab.is_floating_point():
        raise NstEduError(f"a label map must be an integer array (H, W), got {lab.dtype} of shape {tuple(lab.shape)}")
    values = torch.unique(lab).tolist()
    names = list(names) if names is not None else [f"region{i}" for i in range(len(values))]
    if len(names) != len(values):
        raise NstEduError(f"the label map has {len(values)} regions but {len(names)} names were given: "
                          "give one name per label")
    return {n: (lab == v).float() for n, v in zip(names, values)}


def masks_from_png(path: str | os.PathLike, names: Mapping[str, str] | None = None) -> dict[str, Tensor]:
    """Masks from a colour-coded segmentation PNG: one region per colour.

    Args:
        path: the PNG. names: {"#rrggbb": region name}; default: each colour's hex code is its name.

    Returns:
        {name: (H, W) mask}, at the PNG's resolution.
    """
    try:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
    except (OSError, ValueError) as exc:
        raise NstEduError(f"cannot read the mask {path}: {exc}; give a PNG with one flat colour per region") from exc
    codes = rgb[..., 0].astype(np.int64) << 16 | rgb[..., 1].astype(np.int64) << 8 | rgb[..., 2]
    colours = [f"#{int(c):06x}" for c in np.unique(codes)]
    if names is not None:
        unknown = sorted(set(names) - set(colours))
        if unknown:
            raise NstEduError(f"colours {unknown} are not in the mask {path} (it has {colours}): fix the names")
    masks = masks_from_labels(codes, colours)
    return {(names or {}).get(c, c): m for c, m in masks.items() if names is None or c in names}


def guided_targets(model: "VGG19Features", guidance: Guidance, layers: Sequence[str],
                   output_size: tuple[int, int]) -> dict[str, GuidedTarget]:
    """Per layer, the output's region masks and each region's guided Gram target A_r^l.

    Raises:
        NstEduError: a mask of the wrong size or without pixels (one line, naming the fix).
    """
    if not guidance.regions:
        raise NstEduError("guidance has no regions: give at least one Region(mask, style_image)")
    out_masks, targets = {n: [] for n in layers}, {n: [] for n in layers}
    for k, region in enumerate(guidance.regions):
        check_masks({f"region {k}": region.mask}, tuple(output_size), "output")
        style_mask = region.style_mask if region.style_mask is not None else torch.ones(region.style_image.shape[-2:])
        check_masks({f"region {k}": style_mask}, tuple(region.style_image.shape[-2:]), "style")
        on_output = propagate(region.mask, layers, guidance.propagation)
        on_style = propagate(style_mask, layers, guidance.propagation)
        with torch.no_grad():
            F = model(region.style_image, list(layers))
        for n in layers:
            if float(on_output[n].sum()) <= 0 or float(on_style[n].sum()) <= 0:
                raise NstEduError(f"region {k} vanishes at {n} ({guidance.propagation} propagation): "
                                  "make it larger, use propagation='simple', or drop the deep layers")
            out_masks[n].append(on_output[n])
            targets[n].append(guided_gram_matrix(F[n], on_style[n].to(F[n].device))[0])
    device = next(iter(targets.values()))[0].device
    weights = torch.tensor([float(r.weight) for r in guidance.regions], device=device)
    return {n: GuidedTarget(torch.stack(out_masks[n]).to(device), torch.stack(targets[n]), weights) for n in layers}


def check_masks(masks: Mapping[str, Tensor], size: tuple[int, int], what: str) -> None:
    """One-line errors for masks that cannot guide an image of ``size`` (H, W): wrong size, empty."""
    for name, m in masks.items():
        if m.dim() != 2 or tuple(m.shape) != tuple(size):
            raise NstEduError(f"the {what} mask {name!r} has shape {tuple(m.shape)} but the {what} image is "
                              f"{size[0]}×{size[1]}: resize the mask (guidance.resize_mask) or the image")
        if float(m.sum()) <= 0:
            raise NstEduError(f"the {what} mask {name!r} has no pixels: remove the region or draw it")


def resize_mask(mask: Tensor, like: Tensor) -> Tensor:
    """A mask (H, W) resized to the image ``like`` (…, H', W') by area/bilinear interpolation."""
    m = mask.reshape(1, 1, *mask.shape[-2:]).float()
    return nnf.interpolate(m, size=tuple(like.shape[-2:]), mode="bilinear", align_corners=False,
                           antialias=True)[0, 0].clamp(0, 1)
