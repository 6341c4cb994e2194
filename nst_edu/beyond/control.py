"""Colour and scale control (Gatys, Ecker, Bethge, Hertzmann & Shechtman 2017, "Controlling
Perceptual Factors in Neural Style Transfer", Secs. 5 and 6). Spatial control is
:mod:`nst_edu.beyond.guidance`; several styles blended are ``synthesize(style_image=[a, b], style_blend=…)``.

Colour, two ways (Sec. 5):

* **luminance-only transfer** (:func:`luminance_only_transfer`): the style is transferred between
  the luminance channels only (YIQ's Y; the painting's luminance first matched to the photo's mean
  and spread), then the result's luminance is recombined with the photo's colour channels I, Q;
* **colour histogram matching** (:func:`match_colour`): before the transfer, the painting's pixels
  are moved by an affine map x ↦ A x + b so that their mean and covariance equal the photo's
  (A = Σ_c^{1/2} Σ_s^{-1/2}, symmetric square roots), then the transfer runs as usual.

Scale (Sec. 6): style at fine scales lives in the low layers, at coarse scales in the high ones, so
:func:`scale_blend` takes the low layers' Gram matrices from one painting and the high layers' from
another.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.machinery.results import SynthesisResult
from nst_edu.teaching.images import match_size
from nst_edu.vgg import STYLE_LAYERS

#: RGB → YIQ (NTSC). Y is the luminance, I and Q the colour.
RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def _mix(matrix: Tensor, image: Tensor) -> Tensor:
    return torch.einsum("ij,bjhw->bihw", matrix.to(image), image)


def to_yiq(image: Tensor) -> Tensor:
    """(B, 3, H, W) RGB in [0, 1] → (B, 3, H, W) YIQ."""
    return _mix(RGB2YIQ, image)


def from_yiq(yiq: Tensor) -> Tensor:
    """(B, 3, H, W) YIQ → RGB, clamped to [0, 1]."""
    return _mix(torch.linalg.inv(RGB2YIQ), yiq).clamp(0, 1)


def recombine_colour(luminance_from: Tensor, colour_from: Tensor) -> Tensor:
    """Y of ``luminance_from`` with I, Q of ``colour_from`` (resized to it): the last step of
    luminance-only transfer, and on its own a quick way to give a stylised image the photo's colours."""
    y = to_yiq(luminance_from)[:, :1]
    iq = to_yiq(match_size(colour_from, luminance_from))[:, 1:]
    return from_yiq(torch.cat([y, iq], dim=1))


def colour_distance(image: Tensor, photo: Tensor) -> float:
    """How far ``image``'s colours are from ``photo``'s: the mean |difference| of their I and Q
    (YIQ's colour channels) per pixel; 0 when only the luminance differs (notebooks 05 and 07)."""
    iq = to_yiq(image)[:, 1:]
    return float((iq - to_yiq(match_size(photo, image))[:, 1:]).abs().mean())


def structure_kept(image: Tensor, photo: Tensor, mask: Tensor | None = None) -> float:
    """How much of the photograph's pattern of light and dark ``image`` keeps: the correlation of
    their luminance Y over the pixels of ``mask`` (default: all); 1: the photo's pattern, 0: none,
    −1: its negative. It is what makes a town recognisable under a painting's texture.

    Args:
        image, photo: (1, 3, H, W) in [0, 1], any device. mask: (H, W), the region where > 0.5.
    """
    ya, yp = (to_yiq(im.detach().cpu())[0, 0].reshape(-1) for im in (image, photo))
    if mask is not None:
        inside = mask.detach().cpu().reshape(-1) > 0.5
        ya, yp = ya[inside], yp[inside]
    ya, yp = ya - ya.mean(), yp - yp.mean()
    return float((ya * yp).sum() / (ya.norm() * yp.norm()).clamp_min(1e-12))


def luminance(image: Tensor) -> Tensor:
    """The luminance Y as a grey RGB image (B, 3, H, W): what the network sees in luminance-only transfer."""
    return to_yiq(image)[:, :1].clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_image: Tensor, content_image: Tensor) -> Tensor:
    """The painting's grey luminance image with the photo's luminance mean and standard deviation
    (Sec. 5.1: otherwise a dark painting would darken the photo)."""
    ys, yc = to_yiq(style_image)[:, :1], to_yiq(content_image)[:, :1]
    matched = (ys - ys.mean()) * (yc.std() / ys.std().clamp_min(1e-6)) + yc.mean()
    return matched.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def luminance_only_transfer(
    content_image: Tensor, style_image: Tensor, **kwargs: Any
) -> tuple[Tensor, SynthesisResult]:
    """Style transfer in the luminance channel, the photo's colours kept (Sec. 5.1).

    Args:
        content_image: p⃗ (1, 3, H, W). style_image: a⃗ (give it the photo's pixel count).
        **kwargs: passed to :func:`nst_edu.synthesis.synthesize` (alpha, beta, steps, model …).

    Returns:
        (the recombined RGB image (1, 3, H, W), the synthesis of the luminance image).
    """
    from nst_edu.synthesis import synthesize  # optimize → objective → …: import when used

    for what, image in (("content", content_image), ("style", style_image)):
        if image.dim() != 4 or image.shape[1] != 3:
            raise NstEduError(f"luminance-only transfer needs RGB images (1, 3, H, W), but the {what} image has "
                              f"shape {tuple(image.shape)}: load it with nst_edu.teaching.images.load_image")
    result = synthesize(luminance(content_image), match_luminance(style_image, content_image), **kwargs)
    return recombine_colour(result.image, content_image), result


def _sqrtm(cov: Tensor, inverse: bool = False) -> Tensor:
    values, vectors = torch.linalg.eigh(cov)
    values = values.clamp_min(1e-8)
    return vectors @ torch.diag(values ** (-0.5 if inverse else 0.5)) @ vectors.T


def match_colour(style_image: Tensor, content_image: Tensor) -> Tensor:
    """Colour histogram matching (Sec. 5.2): the painting with the photo's colour mean and covariance.

    Args:
        style_image: (1, 3, H', W') in [0, 1]. content_image: (1, 3, H, W).

    Returns:
        The painting after x ↦ Σ_c^{1/2} Σ_s^{-1/2} (x − μ_s) + μ_c, clamped to [0, 1].
    """
    if style_image.shape[-3] != 3 or content_image.shape[-3] != 3:
        raise NstEduError("colour matching needs RGB images (…, 3, H, W)")
    (mu_s, cov_s), (mu_c, cov_c) = colour_statistics(style_image), colour_statistics(content_image)
    A = _sqrtm(cov_c) @ _sqrtm(cov_s, inverse=True)
    out = A @ (style_image.detach().cpu().reshape(3, -1).double() - mu_s[:, None]) + mu_c[:, None]
    return out.reshape(style_image.shape).to(style_image.device, style_image.dtype).clamp(0, 1)


def colour_statistics(image: Tensor) -> tuple[Tensor, Tensor]:
    """(mean (3,), covariance (3, 3)) of an image's RGB pixels: what :func:`match_colour` matches.
    In float64 on the CPU, wherever the image is (Apple's MPS has no float64)."""
    x = image.detach().cpu().reshape(3, -1).double()
    return x.mean(1), torch.cov(x)


def hue_histogram(image: Tensor, bins: int = 36) -> Tensor:
    """Histogram of hue, the angle of the colour (I, Q) in YIQ, each pixel weighted by its chroma
    √(I² + Q²) (grey pixels have no hue and count nothing); normalised to sum 1."""
    iq = to_yiq(image)[:, 1:].reshape(2, -1)
    angle = torch.atan2(iq[1], iq[0])  # -π … π
    weight = iq.pow(2).sum(0).sqrt()
    index = ((angle + torch.pi) / (2 * torch.pi) * bins).long().clamp(0, bins - 1)
    hist = torch.zeros(bins, dtype=weight.dtype).index_add_(0, index, weight)
    return hist / hist.sum().clamp_min(1e-12)


def scale_blend(fine_layers: Sequence[str] = STYLE_LAYERS[:2],
                layers: Sequence[str] = STYLE_LAYERS) -> list[dict[str, float]]:
    """``style_blend`` for two paintings (fine, coarse): the first gives the style of ``fine_layers``
    (small structures: conv1_1, conv2_1), the second that of the other ``layers`` (large ones)."""
    unknown = sorted(set(fine_layers) - set(layers))
    if unknown:
        raise NstEduError(f"fine layers {unknown} are not style layers {list(layers)}")
    return [{n: 1.0 for n in layers if n in fine_layers}, {n: 1.0 for n in layers if n not in fine_layers}]
