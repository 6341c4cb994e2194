"""The paper's Fig. 1 as the paper draws it: the network in the middle, what each layer keeps around it.

Gatys et al. (2015), Fig. 1 (arXiv:1508.06576): the convolutional network as a row of stacked
feature maps, conv1_1 … conv5_1; *above* each layer the image reconstructed from the style representation
(the Gram matrices of conv1_1 up to that layer), *below* it the image reconstructed from that layer's
responses alone. :func:`draw_figure1_diagram` draws that layout from the results that
:func:`~nst_edu.teaching.figures.content_reconstructions` and
:func:`~nst_edu.teaching.figures.style_reconstructions` return;
:func:`nst_edu.teaching.figures.draw_figure1` is the plain grid of the same pictures.

:func:`draw_gram_entry` is a picture of one entry of a Gram matrix, eq. (3): two feature maps, their product
position by position, its sum; and the same with the positions shuffled, which leaves the sum unchanged.

The stacks show what VGG-19 does (``vgg.py``): each block halves the width and height of the maps (M_l
falls 4× per block) while the number of filters N_l doubles up to 512; the sides are drawn with the square
root of that halving, so conv5_1's block stays visible.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch, Rectangle
from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.layers import CHANNELS
from nst_edu.synthesis import SynthesisResult
from nst_edu.teaching import images

__all__ = ["draw_figure1_diagram", "draw_gram_entry"]

LABEL_SIZE = 11  # points: readable beside the pictures in a notebook (the deck draws larger: nst_edu.teaching.deck)


def _stack(ax, x: float, width: float, layers: int, colour: str, centre: float = 0.72) -> tuple[float, float]:
    """``layers`` maps ``width`` wide (and 3/4 of that high) around (x, centre), each offset up and right: one
    block of feature maps, in the upper part of the network's row (its name goes under it). Returns the
    (top, bottom) y of the stack."""
    step, height = 0.035, 0.75 * width
    y0 = centre - height / 2 - step * (layers - 1) / 2
    for k in range(layers):
        ax.add_patch(Rectangle((x - width / 2 + k * 0.021, y0 + k * step), width, height, facecolor=colour,
                               edgecolor="black", linewidth=0.8, alpha=0.9))
    return y0 + (layers - 1) * step + height, y0


def _style_title(layer: str, first: bool, label_size: float, column: float) -> str:
    """'conv1_1 … conv3_1' on one line where it fits the column (about 0.6 em per character), else on two."""
    if first:
        return layer
    title = f"conv1_1 … {layer}"
    return title if len(title) * 0.6 * label_size <= 0.95 * 72 * column else title.replace(" … ", " …\n")


def draw_figure1_diagram(content: Mapping[str, SynthesisResult], style: Mapping[str, SynthesisResult],
                         label_size: float = LABEL_SIZE, column: float = 2.5) -> Figure:
    """Fig. 1 as a diagram: style reconstructions above the network, content reconstructions below it.

    Args:
        content: {layer: result} of :func:`nst_edu.teaching.figures.content_reconstructions` (conv1_1 … conv5_1); may be
            empty (notebook 02 before notebook 01's results exist): that row is left out.
        style: {deepest layer: result} of :func:`~nst_edu.teaching.figures.style_reconstructions`, same layers;
            may be empty.
        label_size: the labels' size in points (the deck draws 18 pt: :mod:`nst_edu.teaching.deck`).
        column: each layer's column width in inches (100 px each).

    Returns:
        A Figure with one column per layer: the style picture (top), the layer's block of feature maps with
        its name and N_l (middle), the content picture (bottom), and arrows from each block to its pictures.

    Raises:
        NstEduError: both are empty, or they name different layers.
    """
    if not content and not style:
        raise NstEduError("nothing to draw: pass content and/or style reconstructions (figures.*_reconstructions)")
    if content and style and list(content) != list(style):
        raise NstEduError(f"content and style reconstructions name different layers: {list(content)} and "
                          f"{list(style)}; compute both for the same layers (e.g. STYLE_LAYERS)")
    layers = list(style or content)
    rows = [name for name, got in (("style", style), ("network", True), ("content", content)) if got]
    heights = {"style": 1.0, "network": 0.75, "content": 1.0}
    fig = Figure(figsize=(column * len(layers) + 0.8, 0.84 * column * sum(heights[r] for r in rows) + 0.5), dpi=100,
                 layout="constrained")
    grid = fig.add_gridspec(len(rows), len(layers), height_ratios=[heights[r] for r in rows])
    net = fig.add_subplot(grid[rows.index("network"), :])
    net.set_xlim(0, len(layers))
    net.set_ylim(0, 1)
    net.axis("off")
    pictures: dict[tuple[str, int], object] = {}
    for row, results in (("style", style), ("content", content)):
        if not results:
            continue
        for j, layer in enumerate(layers):
            ax = fig.add_subplot(grid[rows.index(row), j])
            ax.imshow(np.asarray(images.to_pil(results[layer].image)))
            ax.set_xticks([])
            ax.set_yticks([])
            if row == "style":
                ax.set_title(_style_title(layer, j == 0, label_size, column), fontsize=label_size)
            else:
                ax.set_xlabel(layer, fontsize=label_size)
            pictures[(row, j)] = ax
    for j, layer in enumerate(layers):
        n_filters = CHANNELS[int(layer[4]) - 1]  # N_l of conv<block>_<k>, as vgg.py and estimate.py read it
        width = 0.55 / (2 ** (j / 2))  # the maps' side halves every block; drawn with the square root
        maps = min(2 + j, 5)
        top, bottom = _stack(net, j + 0.5, width, maps, "#c9d7ea" if j % 2 == 0 else "#dbe6f3")
        net.text(j + 0.5, bottom - 0.04, f"{layer}\n{n_filters} filters", fontsize=label_size, ha="center", va="top")
        for row, y_from, side in (("style", top, "bottom"), ("content", 0.0, "top")):  # content: below the name
            if (row, j) in pictures:
                target = (0.5, 0.0) if side == "bottom" else (0.5, 1.0)
                fig.add_artist(ConnectionPatch(xyA=(j + 0.5, y_from), coordsA=net.transData, xyB=target,
                                               coordsB=pictures[(row, j)].transAxes, arrowstyle="-|>",
                                               color="#444444", linewidth=1.2))
    if style:
        fig.suptitle("Style reconstructions (Gram matrices of conv1_1 up to the layer)", fontsize=label_size + 1)
    if content:
        fig.supxlabel("Content reconstructions (each layer's responses alone)", fontsize=label_size + 1)
    return fig


def draw_gram_entry(features: Tensor, i: int, j: int, layer: str = "", seed: int = 0, label_size: float = LABEL_SIZE,
                    figsize: tuple[float, float] = (10.5, 5.8)) -> Figure:
    """One entry G_ij of a Gram matrix, eq. (3), as pictures: maps i and j, their product, its sum.

    The top row shows filter i's and filter j's response maps and their product at each position; the
    sum of the product is G_ij. The bottom row shows the same after one random shuffle of the positions
    (the same one for both maps): the maps no longer show the picture, and the sum is the same G_ij.
    That is why the style representation keeps no arrangement.

    Args:
        features: one layer's responses, (1, N, H, W) or (N, H, W), on any device.
        i, j: two filters of the layer, 0 ≤ i, j < N.
        layer: the layer's name for the titles (e.g. "conv2_1").
        seed: the shuffle's seed.
        label_size: the titles' size in points (the deck draws 18 pt: :mod:`nst_edu.teaching.deck`).
        figsize: (width, height) in inches, 100 px each.

    Returns:
        A Figure of 2 × 3 maps; the sums are printed in the titles of the right-hand column.

    Raises:
        NstEduError: ``features`` is not one layer's responses, or i or j is not one of its filters.
    """
    if features.dim() == 4 and features.shape[0] == 1:
        features = features[0]
    if features.dim() != 3:
        raise NstEduError(f"expected one layer's responses (1, N, H, W) or (N, H, W), got {tuple(features.shape)}")
    n_filters, height, width = features.shape
    if not (0 <= i < n_filters and 0 <= j < n_filters):
        raise NstEduError(f"filters {i} and {j}: this layer has {n_filters} (0 … {n_filters - 1}); pick two of them")
    maps = features.detach().cpu().double()
    order = torch.randperm(height * width, generator=torch.Generator().manual_seed(seed))
    shuffled = maps.flatten(1)[:, order].reshape(n_filters, height, width)
    name = f"{layer} " if layer else ""
    fig = Figure(figsize=figsize, dpi=100, layout="constrained")
    axes = fig.subplots(2, 3)
    for row, (m, how) in enumerate(((maps, ""), (shuffled, ",\npositions shuffled"))):
        product = m[i] * m[j]
        panels = ((m[i], f"{name}filter {i}{how}"), (m[j], f"× filter {j}{how}"),
                  (product, f"= product; sum over positions\nG[{i}, {j}] = {float(product.sum()):.6g}"))
        for ax, (picture, title) in zip(axes[row], panels):
            ax.imshow(picture.numpy(), cmap="viridis")
            ax.set_title(title, fontsize=label_size)
            ax.set_xticks([])
            ax.set_yticks([])
    return fig
