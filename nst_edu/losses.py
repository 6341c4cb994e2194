"""The paper's equations as small pure functions.

Notation (Gatys, Ecker & Bethge 2015): a layer l with N_l filters and feature maps of size
M_l = height × width gives responses F^l ∈ R^{N_l × M_l}. P^l are the responses to the photograph
(content target), A^l the Gram matrix of the artwork (style target), G^l the Gram matrix of the
image being generated.

Every function accepts responses as a matrix F (N, M), as feature maps (N, H, W), or as a batch of
feature maps (B, N, H, W) straight from :class:`nst_edu.vgg.VGG19Features`: ``as_matrix`` flattens the
spatial dimensions, and a 3-D tensor is always read as (N, H, W), never as a batch of matrices.
Losses sum over a batch. The equations are printed as the paper prints them (:mod:`nst_edu.teaching.paper`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor

from nst_edu.machinery import names


def as_matrix(features: Tensor) -> Tensor:
    """Flatten feature maps into F with M = H·W: (N, H, W) → (N, M), (B, N, H, W) → (B, N, M).

    A 2-D input is already F (N, M) and passes through. A 3-D input is always read as (N, H, W).
    """
    if features.dim() in (3, 4):
        return features.flatten(-2)
    if features.dim() == 2:
        return features
    raise ValueError(f"expected responses of shape (N, M), (N, H, W) or (B, N, H, W), got {tuple(features.shape)}")


class _Gram(torch.autograd.Function):
    """G = F Fᵀ whose backward is one matrix product, ∂/∂F = (Ḡ + Ḡᵀ) F (Ḡ: the gradient of G).

    Why: autograd's rule for ``F @ F.T`` treats the two factors as different matrices, two
    products plus an addition of two F-sized gradients; the Gram matrices are the largest cost of
    a step after the convolutions (``benchmarks/step_time.py``).
    """

    @staticmethod
    def forward(ctx, Fm: Tensor) -> Tensor:  # noqa: ANN001
        ctx.save_for_backward(Fm)
        return Fm @ Fm.transpose(-1, -2)

    @staticmethod
    def backward(ctx, dG: Tensor) -> Tensor:  # noqa: ANN001
        (Fm,) = ctx.saved_tensors
        S = dG + dG.transpose(-1, -2)
        if Fm.stride(-2) == 1:  # F is a view of channels-last responses: give the gradient that layout
            return (Fm.transpose(-1, -2) @ S).transpose(-1, -2)
        return S @ Fm


def _gram(Fm: Tensor) -> Tensor:
    # Gram of matrices that are already (..., N, M): flattening twice would merge N into M.
    return _Gram.apply(Fm)


def content_loss(F: Tensor, P: Tensor) -> Tensor:
    r"""Squared-error content loss, eq. (1).

    .. math:: \mathcal{L}_{content}(\vec p, \vec x, l) = \tfrac12 \sum_{i,j} (F^l_{ij} - P^l_{ij})^2

    Args:
        F: responses of the generated image, (N, M) or (..., N, H, W).
        P: responses of the photograph, same shape.

    Returns:
        A scalar. No normalisation by N or M, exactly as in the paper (which is why the paper's
        α/β ratios depend on the layer and image size).
    """
    return 0.5 * (F - P).pow(2).sum()


def content_loss_grad(F: Tensor, P: Tensor) -> Tensor:
    r"""Analytic gradient of eq. (1) with respect to the (rectified) responses, eq. (2).

    .. math:: \frac{\partial \mathcal{L}_{content}}{\partial F^l_{ij}} =
              \begin{cases} (F^l - P^l)_{ij} & F^l_{ij} > 0 \\ 0 & F^l_{ij} < 0 \end{cases}

    The mask is the derivative of the ReLU that produced F: this is the gradient that flows to the
    layer's pre-activation, which is what the paper back-propagates from. F comes out of a ReLU and
    is never negative, so the paper's case F < 0 never occurs: the mask is F > 0 against F = 0.

    Args:
        F: responses (N, M) or (..., N, H, W); P: target, same shape.

    Returns:
        A tensor shaped like F.
    """
    return (F - P) * (F > 0)


def gram_matrix(F: Tensor) -> Tensor:
    r"""Gram matrix of a layer's responses, eq. (3).

    .. math:: G^l_{ij} = \sum_k F^l_{ik} F^l_{jk}, \qquad G = F F^\top

    The paper calls G the feature *correlations*; they are uncentred second moments: each filter's
    mean response μ_i is not subtracted. Centring would give covariances, G − M μ μᵀ, and drop the
    product of the mean responses that G keeps (notebook 02).

    Args:
        F: (N, M), (N, H, W) or (B, N, H, W).

    Returns:
        (..., N, N), symmetric and positive semi-definite. Not divided by M (the paper divides in
        eq. (4) instead).
    """
    return _gram(as_matrix(F))


def style_layer_loss(F: Tensor, A: Tensor) -> Tensor:
    r"""One layer's contribution to the style loss, eq. (4).

    .. math:: E_l = \frac{1}{4 N_l^2 M_l^2} \sum_{i,j} (G^l_{ij} - A^l_{ij})^2

    Args:
        F: responses of the generated image, (N, M), (N, H, W) or (B, N, H, W).
        A: Gram matrix of the artwork at the same layer, (N, N) (or broadcastable to G).

    Returns:
        A scalar. M is the generated image's M_l. Eq. (4) says nothing of the artwork's size: that
        nst-edu resizes the artwork to the photo's pixel count (so both have the same M_l) is our
        convention (:func:`nst_edu.teaching.images.match_pixel_count`), not the paper's.
    """
    Fm = as_matrix(F)
    N, M = Fm.shape[-2], Fm.shape[-1]
    return (_gram(Fm) - A).pow(2).sum() / (4.0 * N**2 * M**2)


def style_layer_loss_grad(F: Tensor, A: Tensor) -> Tensor:
    r"""Analytic gradient of eq. (4) with respect to the (rectified) responses, eq. (6).

    .. math:: \frac{\partial E_l}{\partial F^l_{ij}} =
              \begin{cases} \frac{1}{N_l^2 M_l^2} \big((F^l)^\top (G^l - A^l)\big)_{ji} & F^l_{ij} > 0 \\
                            0 & F^l_{ij} < 0 \end{cases}

    (F^l)ᵀ(G^l − A^l) is M_l × N_l, so its entry (j, i) is ((G^l − A^l) F^l)_{ij}: the gradient is the
    N_l × M_l matrix (G − A) F / (N_l² M_l²), shaped like F. As in eq. (2), F is never negative.

    Args:
        F: (N, M) or (..., N, H, W); A: (N, N).

    Returns:
        A tensor shaped like F.
    """
    Fm = as_matrix(F)
    N, M = Fm.shape[-2], Fm.shape[-1]
    G = _gram(Fm)
    grad = (G - A) @ Fm / (N**2 * M**2)  # ((F^l)^T (G - A))_{ji} of the paper, as an N × M matrix
    return grad.reshape(F.shape) * (F > 0)


def layer_weights(
    layers: Sequence[str], weights: Mapping[str, float] | Sequence[float] | None = None
) -> dict[str, float]:
    """The w_l of eq. (5): equal and summing to one by default (1/5 each for the paper's five layers).

    Args:
        layers: style layer names.
        weights: explicit weights, a mapping by name or a sequence in the order of ``layers``.
    """
    if weights is None:
        return {name: 1.0 / len(layers) for name in layers}
    if isinstance(weights, Mapping):
        missing = [n for n in layers if n not in weights]
        if missing:
            raise ValueError(f"no style weight for layer(s) {missing}: give one per style layer")
        return {name: float(weights[name]) for name in layers}
    if len(weights) != len(layers):
        raise ValueError(f"got {len(weights)} style weights for {len(layers)} style layers: give one per layer")
    return {name: float(w) for name, w in zip(layers, weights)}


def style_loss(
    features: Mapping[str, Tensor],
    targets: Mapping[str, Tensor],
    weights: Mapping[str, float] | Sequence[float] | None = None,
) -> Tensor:
    r"""Style loss over several layers, eq. (5).

    .. math:: \mathcal{L}_{style}(\vec a, \vec x) = \sum_{l=0}^{L} w_l E_l

    Args:
        features: ``{layer: F^l}`` of the generated image.
        targets: ``{layer: A^l}``, the artwork's Gram matrices (the layers define the sum).
        weights: w_l; default equal weights summing to one.

    Returns:
        A scalar.
    """
    w = layer_weights(list(targets), weights)
    return sum((w[name] * style_layer_loss(features[name], A) for name, A in targets.items()), torch.tensor(0.0))


def total_loss(content: Tensor | float, style: Tensor | float, alpha: float = 1.0, beta: float = 1e3) -> Tensor | float:
    r"""The loss the paper minimises, eq. (7).

    .. math:: \mathcal{L}_{total}(\vec p, \vec a, \vec x) = \alpha\,\mathcal{L}_{content}(\vec p, \vec x)
              + \beta\,\mathcal{L}_{style}(\vec a, \vec x)

    Only the ratio α/β decides the image, as long as α and β are not so small that the optimiser's
    absolute tolerances stop it early (1e-3 or 1e-4 in Fig. 2; 1e-5 … 1e-2 in Fig. 3). What the
    paper's printed numbers mean is not settled: :mod:`nst_edu.ratio`.
    """
    return alpha * content + beta * style


__getattr__ = names.forward(__name__)  # the α/β names that lived here: nst_edu.ratio, for one release
