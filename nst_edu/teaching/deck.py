"""Pictures for the reading-session deck: sized for a 1280×720 slide, every label readable on a projector.

A notebook figure is drawn for a page read from half a metre (labels of 9–11 pt); a slide is read from
across a room. Each function here draws a figure at ``DPI`` = 100 no wider than ``MAX_WIDTH`` inches, so
that the deck shows its PNG at (about) its natural size on the 1280×720 slide, and every label is
``LABEL_PT`` points: ``LABEL_PT × DPI / 72`` = 25 px there, above the deck's smallest text ``MIN_TEXT_PX``
(24 px on a 1280-px-wide slide is 18 pt on a 13.3-inch 16:9 slide, the usual floor for slide labels).
``tests/test_slides.py`` measures it in Chromium: the label size that :mod:`nst_edu.teaching.display` stamps into
each PNG, times the size the picture is shown at over its natural size.

The paintings are shown beside what was made from them, named as the catalogue names them (title,
artist, year: ``nst_edu/data/catalog.json``), not by the code's names.
"""
from __future__ import annotations

import textwrap
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.synthesis import SynthesisResult
from nst_edu.teaching import catalog, images
from nst_edu.teaching.figures import subset_label
from nst_edu.vgg import STYLE_LAYERS

__all__ = ["DPI", "LABEL_PT", "MIN_TEXT_PX", "MAX_WIDTH", "painting_label", "draw_pictures", "draw_paintings",
           "draw_figure3"]

DPI = 100  # the deck shows a PNG at its natural size: 1 figure inch = 100 px of the 1280-px slide
LABEL_PT = 18  # 25 px on the slide
MIN_TEXT_PX = 24  # the deck's smallest text (captions); bullets are 32 px
MAX_WIDTH = 12.3  # inches: the slide's 1280 px less reveal.js's margin
_PAD = 0.2  # inches the PNG gains around the drawing (IPython saves with bbox_inches="tight")
_EM = 0.6  # a label character's width in ems (DejaVu Sans, on average), to wrap labels to their column


def painting_label(name: str, width: float | None = None) -> str:
    """'The Starry Night\\nVincent van Gogh, 1889': a catalogue image as a caption, its title wrapped to
    ``width`` inches at ``LABEL_PT`` when given."""
    entry = catalog.get_entry(name)
    title = entry.title if width is None else textwrap.fill(entry.title, max(8, int(width * 72 / (_EM * LABEL_PT))))
    return f"{title}\n{entry.artist}" + (f", {entry.year}" if entry.year else "")


def _aspect(image: Tensor) -> float:
    return image.shape[-1] / image.shape[-2]  # width / height


def _show(ax, image: Tensor) -> None:
    ax.imshow(np.asarray(images.to_pil(image)))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def draw_pictures(pictures: Sequence[Tensor], labels: Sequence[str], columns: int | None = None,
                  height: float = 2.6) -> Figure:
    """Pictures in rows of ``columns`` (default: one row), each with its label underneath.

    Args:
        pictures: the images, (1, 3, H, W) or (3, H, W), on any device.
        labels: one per picture (may hold a newline).
        columns: pictures per row; default all in one row.
        height: each row's picture height in inches (100 px each); lowered until the widest row fits
            ``MAX_WIDTH``.

    Raises:
        NstEduError: no pictures, or not one label per picture.
    """
    if not pictures or len(labels) != len(pictures):
        raise NstEduError(f"draw_pictures needs one label per picture: got {len(pictures)} pictures and "
                          f"{len(labels)} labels")
    columns = columns or len(pictures)
    rows = -(-len(pictures) // columns)
    widths = [max(_aspect(p) for p in pictures[j::columns]) for j in range(columns)]  # each column's widest
    height = min(height, (MAX_WIDTH - _PAD - 0.15 * columns) / sum(widths))
    lines = max(label.count("\n") + 1 for label in labels)
    fig = Figure(figsize=(height * sum(widths) + 0.15 * columns, rows * (height + 0.33 * lines + 0.1)), dpi=DPI,
                 layout="constrained")
    axes = fig.subplots(rows, columns, width_ratios=widths, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k < len(pictures):
            _show(ax, pictures[k])
            ax.set_xlabel(labels[k], fontsize=LABEL_PT)
        else:
            ax.axis("off")
    return fig


def draw_paintings(paintings: Mapping[str, Tensor], results: Mapping[str, SynthesisResult],
                   ratios: Mapping[str, float], height: float = 2.05) -> Figure:
    """Fig. 2 as a presenter shows it: each painting (named) above the picture made from it (its α/β).

    Args:
        paintings: {catalogue name: painting}, in the order to show.
        results: {catalogue name: the transfer onto the photograph}, for (at least) the same names.
        ratios: {catalogue name: the α/β it was made with}.
        height: each picture's height in inches; lowered until the widest row fits ``MAX_WIDTH``.

    Raises:
        NstEduError: a painting has no result or no ratio.
    """
    names = list(paintings)
    if not names or not set(names) <= set(results) or not set(names) <= set(ratios):
        raise NstEduError(f"draw_paintings needs a result and a ratio for each painting: got {names}, "
                          f"{list(results)} and {list(ratios)}")
    widths = [max(_aspect(paintings[n]), _aspect(results[n].image)) for n in names]
    height = min(height, (MAX_WIDTH - _PAD - 0.3 * len(names)) / sum(widths))
    titles = [painting_label(n, height * w + 0.25) for n, w in zip(names, widths)]
    lines = max(t.count("\n") + 1 for t in titles)
    fig = Figure(figsize=(height * sum(widths) + 0.3 * len(names), 2 * height + 0.33 * lines + 0.9), dpi=DPI,
                 layout="constrained")
    axes = fig.subplots(2, len(names), width_ratios=widths, squeeze=False)
    for j, name in enumerate(names):
        _show(axes[0][j], paintings[name])
        axes[0][j].set_title(titles[j], fontsize=LABEL_PT)
        _show(axes[1][j], results[name].image)
        axes[1][j].set_xlabel(f"α/β = {ratios[name]:.0e}", fontsize=LABEL_PT)
    return fig


def draw_figure3(results: Mapping[tuple[str, float], SynthesisResult], layers: Sequence[str] = STYLE_LAYERS,
                 height: float = 1.07) -> Figure:
    """Fig. 3 for a slide: rows = the style layers used (conv1_1 up to the one named), columns = α/β.

    The row labels stand to the left, horizontal, in ``LABEL_PT``; with five rows of ``height`` inches the
    grid fits under a slide's heading.
    """
    ratios = sorted({r for _, r in results})
    rows = [layer for layer in layers if any(k[0] == layer for k in results)]
    if not ratios or not rows:
        raise NstEduError("draw_figure3 needs the results of nst_edu.teaching.figures.figure3 "
                          "({(layer, ratio): result})")
    aspect = _aspect(results[(rows[0], ratios[0])].image)
    fig = Figure(figsize=(2.3 + height * aspect * len(ratios) + 0.1 * len(ratios), height * len(rows) + 0.75),
                 dpi=DPI, layout="constrained")
    axes = fig.subplots(len(rows), len(ratios), squeeze=False)
    for i, layer in enumerate(rows):
        for j, ratio in enumerate(ratios):
            _show(axes[i][j], results[(layer, ratio)].image)
            if i == 0:
                axes[i][j].set_title(f"{ratio:.0e}", fontsize=LABEL_PT)  # "α/β = 1e-05" is wider than a column
        label = subset_label(list(layers[: list(layers).index(layer) + 1])).replace("…", " … ")
        axes[i][0].set_ylabel(label, fontsize=LABEL_PT, rotation=0, ha="right", va="center")
    fig.suptitle("columns: α/β; rows: the style layers", fontsize=LABEL_PT)
    return fig
