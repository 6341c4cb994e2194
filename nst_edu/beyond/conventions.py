"""Other implementations' losses read in the paper's terms: the question "why does 1e-3 give pure texture in my code?".

Each implementation of Gatys et al. writes eqs. (1)–(5) its own way: the Gram matrix divided by M_l or
by N_l·M_l, a mean over the entries instead of a sum, a ½ or ¼ left out, its own weights per layer.
Every such choice multiplies a term by a constant, so any of them is, exactly, eq. (7) with some α, β
and w_l::

    content term = a · L_content (eq. 1)          a   = content_scale(...)
    style term   = Σ_l b_l · E_l (eq. 4)          b_l = style_scales(...)
    ⇒  α = a,  β = Σ_l b_l,  w_l = b_l / β

:func:`as_eq7` does this from a :class:`LossConvention`; :data:`IMPLEMENTATIONS` holds the conventions
of the paper, the authors' released code and the tutorials people learn from, each with its source
(repository and file, read for issue #26), and :func:`conventions_table` and :func:`sources_table` print
them for notebook 03.

The numbers compare *formulas*. Networks differ too (the authors' normalised VGG-19, torchvision's
ImageNet VGG-19 on [0, 1] input, SqueezeNet): the same α/β means a different picture on a network
whose responses are 100× larger, so a row's α/β is comparable with nst-edu's only for the rows on a
normalised VGG-19.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

__all__ = ["IMPLEMENTATIONS", "LossConvention", "as_eq7", "content_scale", "conventions_table",
           "mean_units_ratio", "sources_table", "style_scales"]

Reduction = Literal["sum", "mean"]
GramDivisor = Literal["1", "M", "NM"]


@dataclass(frozen=True)
class LossConvention:
    """How one implementation writes the losses, and its default weights.

    Attributes:
        name: who. source: repository and file the facts were read from.
        gram_divisor: G = FFᵀ divided by "1", "M" (positions) or "NM" (filters × positions).
        style_reduction: the squared Gram error summed ("sum") or averaged ("mean") over the N² entries.
        style_factor: a constant on each layer's term besides the weights (the paper's ¼ in eq. (4)
            shows up here as 1/4 when the code writes it out, e.g. pystiche's paper mode).
        content_reduction / content_factor: the same for the content term over its N·M entries (the
            paper: "sum" with ½).
        content_weight: the default weight on the content term.
        style_weights: the default weight on each style layer's term, as the code applies it (after
            its own ÷5 or ÷N_l²), in the order of ``style_filters``.
        content_filters: N_l of the content layer; style_filters: N_l of each style layer.
        layers, relu, start, optimiser, network: as the source sets them (text for the table).
    """

    name: str
    source: str
    gram_divisor: GramDivisor
    style_reduction: Reduction
    content_reduction: Reduction
    content_weight: float
    style_weights: tuple[float, ...]
    content_filters: int
    style_filters: tuple[int, ...]
    layers: str
    relu: str
    start: str
    optimiser: str
    network: str
    style_factor: float = 1.0
    content_factor: float = 1.0


def content_scale(c: LossConvention, n_positions: int) -> float:
    """a with content term = a · L_content of eq. (1) (= ½ Σ (F − P)²), on a layer of N_l × M_l.

    a = 2 · weight · factor, divided by N_l·M_l for a mean.
    """
    entries = c.content_filters * n_positions if c.content_reduction == "mean" else 1
    return 2.0 * c.content_weight * c.content_factor / entries


def style_scales(c: LossConvention, n_positions: Sequence[int]) -> list[float]:
    """b_l with each style layer's term = b_l · E_l of eq. (4) (= Σ (G − A)² / (4 N_l² M_l²)).

    With G divided by d, Σ (G/d − A/d)² = 4 N_l² M_l² E_l / d²; a mean over the N_l² entries divides by N_l².
    """
    out = []
    for weight, n, m in zip(c.style_weights, c.style_filters, n_positions, strict=True):
        d = {"1": 1.0, "M": float(m), "NM": float(n * m)}[c.gram_divisor]
        entries = n * n if c.style_reduction == "mean" else 1
        out.append(weight * c.style_factor * 4.0 * n * n * m * m / (d * d * entries))
    return out


def as_eq7(
    c: LossConvention, content_positions: int, style_positions: Sequence[int]
) -> tuple[float, float, list[float]]:
    """(α, β, w_l) of eq. (7) that equal the implementation's loss, w_l summing to 1."""
    alpha = content_scale(c, content_positions)
    b = style_scales(c, style_positions)
    beta = sum(b)
    return alpha, beta, [x / beta for x in b]


def mean_units_ratio(c: LossConvention, content_positions: int, style_positions: Sequence[int]) -> float:
    """The implementation's default α/β in nst-edu's mean units: content mean((F − P)²), style Σ w_l E_l.

    mean((F − P)²) = 2 L_content / (N_l M_l), so α/β_mean = (α/β)_eq.7 · N_l M_l / 2 (:mod:`nst_edu.ratio`
    with K = 1). It does not depend on the size for an implementation whose content term is a mean.
    """
    alpha, beta, _ = as_eq7(c, content_positions, style_positions)
    return alpha / beta * c.content_filters * content_positions / 2.0


_VGG = (64, 128, 256, 512, 512)  # N_l of conv1_1 … conv5_1
_PAPER_LAYERS = "style conv1_1…conv5_1, content conv4_2"

#: The conventions, each read from its source (issue #26; repository: file).
IMPLEMENTATIONS: tuple[LossConvention, ...] = (
    LossConvention("the paper (eqs. 1–7)", "arXiv:1508.06576, Methods and Figs. 2–3; the network's "
                   "normalisation and L-BFGS: CVPR 2016, §2 and §2.3", "NM", "sum", "sum", 1e-3, (0.2,) * 5,
                   512, _VGG, _PAPER_LAYERS + ", w_l = 1/5", "after", "white noise",
                   "gradient descent (L-BFGS in CVPR 2016)", "VGG-19, average pooling (normalised in CVPR 2016)",
                   style_factor=1 / 4, content_factor=1 / 2),
    LossConvention("NeuralImageSynthesis, normalised net", "leongatys/NeuralImageSynthesis: LossLayers.lua "
                   "(GramMSE, MSECriterion); ExampleNotebooks/BasicStyleTransfer.ipynb cell 8 (commented out), "
                   "ColourControl.ipynb cell 7", "M", "mean", "mean",
                   1e6, (1e9 / 5,) * 5, 512, _VGG, "relu1_1…relu5_1, relu4_2, sw/5 each", "after",
                   "the photograph", "L-BFGS, 500 its", "vgg_normalised (Caffe)"),
    LossConvention("NeuralImageSynthesis, original net", "leongatys/NeuralImageSynthesis: "
                   "ExampleNotebooks/BasicStyleTransfer.ipynb cell 6 (the live settings); "
                   "leongatys/PytorchNeuralStyleTransfer", "M",
                   "mean", "mean", 1.0, tuple(1e3 / n**2 for n in _VGG), 512, _VGG,
                   "relu1_1…relu5_1, relu4_2, 1e3/N_l² each", "after", "the photograph", "L-BFGS, 500 its",
                   "VGG-19 (Caffe), max pooling"),
    LossConvention("DeepTextures (texture only)", "leongatys/DeepTextures: DeepImageSynthesis/LossFunctions.py, "
                   "Misc.py, Example.ipynb", "M", "mean", "sum", 0.0, (1e9,) * 5, 512, (64, 64, 128, 256, 512),
                   "conv1_1, pool1…pool4, 1e9 each (w_l = 1)", "after", "white noise", "L-BFGS-B, 2000 its",
                   "vgg_normalised (Caffe)", style_factor=1 / 4),
    LossConvention("neuralart", "kaishengtai/neuralart: costs.lua, main.lua", "NM", "sum", "sum", 1.0,
                   (2e9 / 5,) * 5, 512, _VGG, "conv1_1…conv5_1, conv4_2, 2e9/5 each; style ÷ (N_l M_l)²",
                   "after", "the photograph", "L-BFGS, 3 its × 500", "vgg_normalised (Torch)"),
    LossConvention("jcjohnson/neural-style", "jcjohnson/neural-style: neural_style.lua", "NM", "mean", "mean", 5.0,
                   (100.0,) * 5, 512, _VGG, "relu1_1…relu5_1, relu4_2, sw each", "after", "noise ×0.001",
                   "L-BFGS, 1000 its", "VGG-19 (Caffe), max pooling"),
    LossConvention("PyTorch tutorial", "pytorch/tutorials: advanced_source/neural_style_tutorial.py", "NM", "mean",
                   "mean", 1.0, (1e6,) * 5, 128, (64, 64, 128, 128, 256),
                   "conv1_1, conv1_2, conv2_1, conv2_2, conv3_1; content conv2_2 ('conv_4')", "before",
                   "the photograph", "L-BFGS, 300 evaluations", "torchvision VGG-19, [0, 1] mean/std"),
    LossConvention("TensorFlow tutorial", "tensorflow/docs: site/en/tutorials/generative/style_transfer.ipynb", "M",
                   "mean", "mean", 1e4, (1e-2 / 5,) * 5, 512, _VGG,
                   "block1…5_conv1, content block5_conv2 (conv5_2); + TV 30", "after", "the photograph",
                   "Adam, 1000 steps", "Keras VGG-19 (ImageNet)"),
    LossConvention("CS231n (assignment 3)", "CS231n 2017 assignment 3, read in Burton2000/CS231n-2017: "
                   "assignment3/StyleTransfer-PyTorch.ipynb (a student's copy of the scaffold)", "NM", "sum", "sum",
                   5e-2, (2e4, 500.0, 12.0, 1.0), 128, (64, 128, 256, 256),
                   "SqueezeNet features 1, 4, 6, 7; content 3; + TV", "after", "the photograph",
                   "Adam, 200 steps", "SqueezeNet 1.1, mean/std"),
    LossConvention("d2l (13.12)", "d2l-ai/d2l-en: chapter_computer-vision/neural-style.md", "NM", "mean", "mean",
                   1.0, (1e4,) * 5, 512, _VGG, "conv1_1…conv5_1, content conv4_4; + TV 10", "before",
                   "the photograph", "Adam, 500 epochs", "torchvision VGG-19, mean/std"),
    LossConvention("pystiche_papers, impl_params=True", "pystiche/papers: pystiche_papers/"
                   "gatys_ecker_bethge_2016/_loss.py, _utils.py", "M", "mean", "mean", 1.0,
                   tuple(1e3 / n**2 for n in _VGG), 512, _VGG, "relu1_1…relu5_1, relu4_2, 1e3/N_l² each",
                   "after", "the photograph", "L-BFGS, 500 its", "VGG-19 (Caffe), max pooling"),
    LossConvention("pystiche_papers, impl_params=False", "pystiche/papers: pystiche_papers/"
                   "gatys_ecker_bethge_2016/_loss.py, _utils.py", "M", "mean", "sum", 1.0, (1e3 / 5,) * 5, 512,
                   _VGG, "conv1_1…conv5_1, conv4_2, w_l = 1/5", "before", "uniform noise", "L-BFGS, 500 its",
                   "VGG-19 (Caffe), average pooling", style_factor=1 / 4, content_factor=1 / 2),
)


def conventions_table(content_positions: int, style_positions: Sequence[int]) -> str:
    """A Markdown table: each implementation's formula and what its default weights are as α/β.

    Args:
        content_positions: M_l of the content layer for the size the sum-based rows are read at.
        style_positions: M_l of each style layer at that size (the first len(style_weights) are used).
    """
    rows = ["| implementation | Gram ÷ | style per layer | content | α/β of eq. (7) | α/β, mean units | start |",
            "|" + "---|" * 7]
    for c in IMPLEMENTATIONS:
        pos = list(style_positions)[: len(c.style_weights)]
        alpha, beta, _ = as_eq7(c, content_positions, pos)
        style = f"{c.style_reduction} over N_l²" + (" × ¼" if c.style_factor == 0.25 else "")
        content = f"{c.content_reduction} over N_l·M_l" + (" × ½" if c.content_factor == 0.5 else "")
        ratio = "—" if alpha == 0 else f"{alpha / beta:.2g}"
        mean = "—" if alpha == 0 else f"{mean_units_ratio(c, content_positions, pos):.2g}"
        rows.append(f"| {c.name} | {c.gram_divisor} | {style} | {content} | {ratio} | {mean} | {c.start} |")
    return "\n".join(rows)


def sources_table() -> str:
    """A Markdown table: each implementation's layers and weights, ReLU, optimiser, network and source file."""
    rows = ["| implementation | layers, weights | responses | optimiser | network | source |", "|" + "---|" * 6]
    rows += [f"| {c.name} | {c.layers} | {c.relu} the ReLU | {c.optimiser} | {c.network} | {c.source} |"
             for c in IMPLEMENTATIONS]
    return "\n".join(rows)
