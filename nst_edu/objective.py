"""Eq. (7) as a thing to minimise: targets, layers, layer weights and the ratio convention.

An :class:`Objective` knows *what* is minimised. How it is minimised (start, optimiser, steps,
callbacks, stopping) lives in :mod:`nst_edu.synthesis`, where it runs (device, memory layout,
precision) in the network and the caller; pystiche keeps its perceptual loss apart from its
optimisation loop the same way.

The ratio α/β is read in a :data:`nst_edu.ratio.RatioConvention`: ``"calibrated"`` (the default, nst-edu's
units: a content term averaged over each content layer's N_l·M_l entries, times the measured K) or
``"printed"`` (eq. (7) with eq. (1) as printed). Both
report ``content`` as eq. (1) and ``style`` as eq. (5); only the total that is minimised differs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple, Protocol, Sequence, Union, runtime_checkable

import torch
from torch import Tensor

from nst_edu import losses
from nst_edu.errors import NstEduError
from nst_edu.ratio import RatioConvention, check_convention, content_weight
from nst_edu.vgg import VGG19Features

#: A layer's style loss E_l as a function of the responses F^l (used instead of eq. (4) with A^l).
LayerLoss = Callable[[Tensor], Tensor]


@runtime_checkable
class GuidedStyle(Protocol):
    """A style target that brings its own per-layer losses instead of one Gram matrix per layer:
    spatial control (:class:`nst_edu.beyond.guidance.Guidance`, Gatys et al. 2017) is one. The objective
    only calls these two methods, so the paper's code does not depend on the extensions."""

    def layer_losses(self, model: VGG19Features, layers: Sequence[str], output_size: tuple[int, int]
                     ) -> dict[str, LayerLoss]:
        """E_l per style layer, its targets computed once with ``model``."""
        ...

    def to(self, device: torch.device, memory_format: torch.memory_format) -> GuidedStyle:
        """The same style with its images on ``device`` in ``memory_format``."""
        ...


class Terms(NamedTuple):
    """One evaluation, per image of the batch, each (B,)."""

    total: Tensor  # α Σ_l c_l L_content,l + β L_style (what is minimised)
    content: Tensor  # L_content, eq. (1), summed over the content layers
    style: Tensor  # L_style, eq. (5)
    layers: dict[str, Tensor]  # E_l, eq. (4), per style layer


@dataclass
class Objective:
    """Eq. (7) for fixed targets.

    Attributes:
        content_targets: P^l of the photograph per content layer, (1, N_l, H_l, W_l).
        style_targets: A^l, the artwork's Gram matrices per style layer, (1, N_l, N_l).
        content_weights: c_l per content layer: 1 (printed) or 2K/(N_l M_l) (calibrated: a mean, times K).
        style_weights: w_l of eq. (5) (default 1/len(style_layers) each).
        guided: per style layer, a loss E_l of F^l from a :class:`GuidedStyle` (spatial control,
            :mod:`nst_edu.beyond.guidance`), used instead of ``style_targets`` at those layers.
        alpha, beta: the weights of eq. (7), shape (B,) (B > 1: several ratios in one batch).
        convention: how α/β is read ("calibrated" or "printed").
        extra_loss: a term added to eq. (7), a function of the image x (e.g. total variation,
            notebook 05); it counts in ``total``, not in content or style.
    """

    content_targets: dict[str, Tensor]
    style_targets: dict[str, Tensor]
    content_weights: dict[str, float]
    style_weights: dict[str, float]
    alpha: Tensor
    beta: Tensor
    convention: RatioConvention = "calibrated"
    extra_loss: Callable[[Tensor], Tensor] | None = None
    guided: dict[str, LayerLoss] = field(default_factory=dict)

    @property
    def style_layers(self) -> list[str]:
        """The layers of the style term: plain (eq. 4) and guided (:mod:`nst_edu.beyond.guidance`)."""
        return list(self.style_targets) + list(self.guided)

    @property
    def layers(self) -> list[str]:
        """Every layer the network must return, content layers first."""
        return list(self.content_targets) + [n for n in self.style_layers if n not in self.content_targets]

    @property
    def batch(self) -> int:
        return int(self.alpha.shape[0])

    def __call__(self, features: Mapping[str, Tensor], x: Tensor | None = None) -> Terms:
        """The terms for responses ``{layer: F^l}`` of a batch of B images ``x`` (float32)."""
        B = self.batch

        def per_image(fn: Callable[[Tensor, Tensor], Tensor], n: str, target: Tensor) -> Tensor:
            if B == 1:  # no slicing: its backward would zero-fill and copy every response (~5 % of a step)
                return fn(features[n], target).reshape(1)
            return torch.stack([fn(features[n][b : b + 1], target) for b in range(B)])

        zero = self.alpha.new_zeros(B)
        content_layers = {n: per_image(losses.content_loss, n, P) for n, P in self.content_targets.items()}
        e = {n: per_image(losses.style_layer_loss, n, A) for n, A in self.style_targets.items()}
        e.update({n: per_image(lambda F, g: g(F), n, g) for n, g in self.guided.items()})
        content = sum(content_layers.values(), zero)
        weighted_content = sum((self.content_weights[n] * v for n, v in content_layers.items()), zero)
        style = sum((self.style_weights[n] * e[n] for n in e), zero)
        total = losses.total_loss(weighted_content, style, self.alpha, self.beta)  # eq. (7)
        if self.extra_loss is not None:
            if x is None:
                raise ValueError("this objective has an extra_loss of the image: pass the image x")
            total = total + self.extra_loss(x)
        return Terms(total, content, style, e)


StyleSource = Union[Tensor, Sequence[Tensor], GuidedStyle]
#: Blend weights of several style images: one number per image, or per image {layer: weight}.
StyleBlend = Union[Sequence[float], Sequence[Mapping[str, float]]]


def blend_weights(n_images: int, layers: Sequence[str], blend: StyleBlend | None) -> dict[str, list[float]]:
    """Per layer, the weight of each style image, normalised to sum 1 (default: equal weights).

    Raises:
        NstEduError: a weight per image missing or extra, a negative weight, or a layer where every
            weight is 0.
    """
    if blend is None:
        return {n: [1.0 / n_images] * n_images for n in layers}
    blend = list(blend)
    if len(blend) != n_images:
        raise NstEduError(f"{len(blend)} style weights for {n_images} style images: give one weight per style image")
    per_layer = {n: [float(b.get(n, 0.0)) if isinstance(b, Mapping) else float(b) for b in blend] for n in layers}
    for n, ws in per_layer.items():
        if any(w < 0 or not math.isfinite(w) for w in ws):
            raise NstEduError(f"style weights must be finite and ≥ 0, got {ws} at {n}")
        if sum(ws) <= 0:
            raise NstEduError(
                f"every style weight is 0 at {n}: give that layer a weight or remove it from style_layers"
            )
    return {n: [w / sum(ws) for w in ws] for n, ws in per_layer.items()}


def style_targets(model: VGG19Features, style_image: Tensor | Sequence[Tensor], layers: Sequence[str],
                  blend: StyleBlend | None = None) -> dict[str, Tensor]:
    """A^l of one artwork (eq. 3), or the blend Σ_k b_k^l A_k^l of several (multi-style transfer).

    Mixing the Gram matrices per layer (not the images) is how several styles are combined; with
    per-layer weights the low layers can come from one image and the high layers from another
    (scale control, Gatys et al. 2017, Sec. 6). Give every style image the photo's pixel count
    (``figures.load_style``): A^l grows with M_l, which eq. (4) divides by the output's.
    """
    images = [style_image] if isinstance(style_image, Tensor) else list(style_image)
    if not images:
        raise NstEduError("no style image given: give one, or several with style_blend weights")
    weights = blend_weights(len(images), layers, blend)
    A: dict[str, Tensor] = {}
    with torch.no_grad():
        for k, image in enumerate(images):
            for n, F in model(image, list(layers)).items():
                if weights[n][k] > 0:  # a painting that does not count at this layer costs no Gram matrix
                    term = weights[n][k] * losses.gram_matrix(F)
                    A[n] = A[n] + term if n in A else term
    return A


def compute_targets(
    model: VGG19Features,
    content_image: Tensor | None,
    style_image: Tensor | Sequence[Tensor] | None,
    content_layers: Sequence[str],
    style_layers: Sequence[str],
    style_blend: StyleBlend | None = None,
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """P^l of the photograph and A^l (Gram matrices, blended for several artworks), without gradients."""
    with torch.no_grad():
        P = dict(model(content_image, content_layers)) if content_image is not None and content_layers else {}
    A = style_targets(model, style_image, style_layers, style_blend) if style_image is not None and style_layers else {}
    return P, A


def make_objective(
    model: VGG19Features,
    content_image: Tensor | None,
    style_image: StyleSource | None,
    content_layers: Sequence[str],
    style_layers: Sequence[str],
    *,
    style_weights: Mapping[str, float] | Sequence[float] | None = None,
    style_blend: StyleBlend | None = None,
    alpha: float | Sequence[float] = 1.0,
    beta: float | Sequence[float] = 1e3,
    convention: RatioConvention = "calibrated",
    extra_loss: Callable[[Tensor], Tensor] | None = None,
    output_size: tuple[int, int] | None = None,
) -> Objective:
    """The objective for a photograph and/or artwork(s): targets computed once, without gradients.

    Args:
        model: the network (its device and memory layout are the targets').
        content_image: p⃗ (1, 3, H, W), or None for style reconstruction.
        style_image: a⃗ (1, 3, H', W'); several artworks (blended with ``style_blend``); a
            :class:`GuidedStyle` such as :class:`~nst_edu.beyond.guidance.Guidance` (a painting per region); or None.
        content_layers, style_layers: the layers of each term (ignored where the image is None).
        style_weights: w_l of eq. (5). style_blend: weights of several artworks (:func:`blend_weights`).
        alpha, beta: eq. (7); sequences of length B synthesise B images.
        convention: "calibrated" (nst-edu's units, in which the paper's printed ratios give its look) or
            "printed" (eq. (1) as printed; "paper" and "exact", their old names, warn until 0.2.0).
        extra_loss: an optional term of the image added to the total (see :class:`Objective`).
        output_size: (H, W) of the image to synthesise; needed for guidance without a content image.
    """
    convention = check_convention(convention)
    c_layers = list(content_layers) if content_image is not None else []
    s_layers = list(style_layers) if style_image is not None else []
    guided: dict[str, LayerLoss] = {}
    if isinstance(style_image, GuidedStyle):
        size = tuple(content_image.shape[-2:]) if content_image is not None else output_size
        if size is None:
            raise NstEduError("guidance without a content image needs the output size: pass size=(H, W)")
        guided = style_image.layer_losses(model, s_layers, size)
        P, A = compute_targets(model, content_image, None, c_layers, [])
    else:
        P, A = compute_targets(model, content_image, style_image, c_layers, s_layers, style_blend)
    c_weights = {n: content_weight(convention, F.shape[1], F.shape[-2] * F.shape[-1]) for n, F in P.items()}
    w = losses.layer_weights(s_layers, style_weights) if s_layers else {}
    batch = max(len(v) if isinstance(v, Sequence) else 1 for v in (alpha, beta))
    device = model.device  # targets and weights live with the network (nst_edu.machinery.devices)
    a = torch.as_tensor(alpha, dtype=torch.float32, device=device).expand(batch)
    b = torch.as_tensor(beta, dtype=torch.float32, device=device).expand(batch)
    return Objective(P, A, c_weights, w, a, b, convention, extra_loss, guided)
