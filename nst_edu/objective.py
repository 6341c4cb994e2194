"""Eq. (7) as a thing to minimise: targets, layers, layer weights and the ratio convention.

An :class:`Objective` knows *what* is minimised. How it is minimised (start, optimiser, steps,
callbacks, stopping) lives in :mod:`nst_edu.optimize`, where it runs (device, memory layout,
precision) in the network and the caller; pystiche keeps its perceptual loss apart from its
optimisation loop the same way.

The ratio α/β is read in a :data:`nst_edu.losses.RatioConvention`: ``"paper"`` (the default: the
paper's printed ratios mean what they meant in the authors' implementation, a content term averaged
over each content layer's N_l·M_l entries) or ``"exact"`` (eq. (7) with eq. (1) as printed). Both
report ``content`` as eq. (1) and ``style`` as eq. (5); only the total that is minimised differs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple, Sequence

import torch
from torch import Tensor

from nst_edu import losses
from nst_edu.losses import RatioConvention
from nst_edu.vgg import VGG19Features


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
        content_weights: c_l per content layer: 1 (exact) or 2/(N_l M_l) (paper: a mean).
        style_weights: w_l of eq. (5) (default 1/len(style_layers) each).
        alpha, beta: the weights of eq. (7), shape (B,) (B > 1: several ratios in one batch).
        convention: how α/β is read ("paper" or "exact").
        extra_loss: a term added to eq. (7), a function of the image x (e.g. total variation,
            notebook 05); it counts in ``total``, not in content or style.
    """

    content_targets: dict[str, Tensor]
    style_targets: dict[str, Tensor]
    content_weights: dict[str, float]
    style_weights: dict[str, float]
    alpha: Tensor
    beta: Tensor
    convention: RatioConvention = "paper"
    extra_loss: Callable[[Tensor], Tensor] | None = None

    @property
    def layers(self) -> list[str]:
        """Every layer the network must return, content layers first."""
        return list(self.content_targets) + [n for n in self.style_targets if n not in self.content_targets]

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
        content = sum(content_layers.values(), zero)
        weighted_content = sum((self.content_weights[n] * v for n, v in content_layers.items()), zero)
        style = sum((self.style_weights[n] * e[n] for n in e), zero)
        total = self.alpha * weighted_content + self.beta * style
        if self.extra_loss is not None:
            if x is None:
                raise ValueError("this objective has an extra_loss of the image: pass the image x")
            total = total + self.extra_loss(x)
        return Terms(total, content, style, e)


def compute_targets(
    model: VGG19Features,
    content_image: Tensor | None,
    style_image: Tensor | None,
    content_layers: Sequence[str],
    style_layers: Sequence[str],
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """P^l of the photograph and A^l (Gram matrices) of the artwork, computed once without gradients."""
    with torch.no_grad():
        P = dict(model(content_image, content_layers)) if content_image is not None and content_layers else {}
        A = {}
        if style_image is not None and style_layers:
            A = {name: losses.gram_matrix(F) for name, F in model(style_image, style_layers).items()}
    return P, A


def make_objective(
    model: VGG19Features,
    content_image: Tensor | None,
    style_image: Tensor | None,
    content_layers: Sequence[str],
    style_layers: Sequence[str],
    *,
    style_weights: Mapping[str, float] | Sequence[float] | None = None,
    alpha: float | Sequence[float] = 1.0,
    beta: float | Sequence[float] = 1e3,
    convention: RatioConvention = "paper",
    extra_loss: Callable[[Tensor], Tensor] | None = None,
) -> Objective:
    """The objective for a photograph and/or an artwork: targets computed once, without gradients.

    Args:
        model: the network (its device and memory layout are the targets').
        content_image: p⃗ (1, 3, H, W), or None for style reconstruction. style_image: a⃗, or None.
        content_layers, style_layers: the layers of each term (ignored where the image is None).
        style_weights: w_l. alpha, beta: eq. (7); sequences of length B synthesise B images.
        convention: "paper" (α/β as printed in the paper) or "exact" (eq. (1) as printed).
        extra_loss: an optional term of the image added to the total (see :class:`Objective`).
    """
    c_layers = list(content_layers) if content_image is not None else []
    s_layers = list(style_layers) if style_image is not None else []
    P, A = compute_targets(model, content_image, style_image, c_layers, s_layers)
    c_weights = {n: losses.content_weight(convention, F.shape[1], F.shape[-2] * F.shape[-1]) for n, F in P.items()}
    w = losses.layer_weights(s_layers, style_weights) if s_layers else {}
    batch = max(len(v) if isinstance(v, Sequence) else 1 for v in (alpha, beta))
    device = next(iter(P.values() or A.values())).device
    a = torch.as_tensor(alpha, dtype=torch.float32, device=device).expand(batch)
    b = torch.as_tensor(beta, dtype=torch.float32, device=device).expand(batch)
    return Objective(P, A, c_weights, w, a, b, convention, extra_loss)
