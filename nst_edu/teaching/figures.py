"""The paper's figures, computed and drawn; plus the small extras notebook 05 needs.

Every ``figureN``-style function returns :class:`nst_edu.synthesis.SynthesisResult` objects (final
image + loss history), and a ``draw_*`` function turns them into a matplotlib Figure. The
notebooks call these; ``python -m nst_edu figures`` calls :func:`render_figures`.

Sizes and steps are arguments (notebooks pass ``settings.size`` / ``settings.steps``), so quick mode
and full mode run the same code.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor
from tqdm.auto import tqdm

from nst_edu import losses
from nst_edu.machinery.files import atomic_path
from nst_edu.objective import compute_targets
from nst_edu.synthesis import SynthesisResult, synthesize
from nst_edu.teaching import images
from nst_edu.vgg import CONTENT_LAYERS, STYLE_LAYERS, VGG19Features, vgg19

__all__ = ["FIGURE2_STYLES", "FIGURE3_RATIOS", "feature_model", "load_style", "cumulative_subsets", "subset_label",
           "pixel_error", "content_reconstructions", "style_reconstructions", "figure2", "figure3", "draw_grid",
           "draw_figure1", "draw_figure2", "draw_figure3", "draw_losses", "tv_loss", "synthesize_tv",
           "mean_responses", "style_layer_losses", "render_figures"]

#: Fig. 2 of the paper: (style image, α/β). Panels B-D use 1e-3, E-F 1e-4.
FIGURE2_STYLES: tuple[tuple[str, float], ...] = (
    ("shipwreck", 1e-3), ("starry_night", 1e-3), ("the_scream", 1e-3),
    ("seated_nude", 1e-4), ("composition_vii", 1e-4),
)
#: Fig. 3 columns: α/β from left to right.
FIGURE3_RATIOS: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2)

Tick = Callable[[], None] | None


def feature_model(layers: Sequence[str] = STYLE_LAYERS + CONTENT_LAYERS, **kwargs: object) -> VGG19Features:
    """One VGG-19 for a whole figure (cut after the deepest of ``layers``); kwargs go to ``vgg19``."""
    return vgg19(layers=list(layers), **kwargs)  # type: ignore[arg-type]


def load_style(name_or_image: str | Tensor, content_image: Tensor) -> Tensor:
    """The artwork resized, aspect kept, to about as many pixels as the photo (equal M_l as in eq. 4)."""
    return images.match_pixel_count(images.load_image(name_or_image), content_image)


def cumulative_subsets(layers: Sequence[str] = STYLE_LAYERS) -> list[tuple[str, ...]]:
    """(conv1_1,), (conv1_1, conv2_1), …: the style-layer subsets of Fig. 1 (top) and Fig. 3 rows."""
    return [tuple(layers[: i + 1]) for i in range(len(layers))]


def subset_label(subset: Sequence[str]) -> str:
    """'conv1_1' or 'conv1_1…conv3_1'."""
    return subset[0] if len(subset) == 1 else f"{subset[0]}…{subset[-1]}"


def pixel_error(image: Tensor, reference: Tensor) -> float:
    """Root-mean-square pixel difference in [0, 1] units."""
    return float((image - reference).pow(2).mean().sqrt())


def content_reconstructions(
    content_image: Tensor, layers: Sequence[str] = STYLE_LAYERS, steps: int = 300, seed: int = 0,
    model: VGG19Features | None = None, tick: Tick = None,
) -> dict[str, SynthesisResult]:
    """Fig. 1 bottom row: white noise optimised to match only eq. (1) at one layer, per layer."""
    model = model or feature_model(layers)
    out = {}
    for layer in layers:
        out[layer] = synthesize(content_image, None, content_layers=[layer], steps=steps, seed=seed,
                                model=model, progress=False)
        if tick:
            tick()
    return out


def style_reconstructions(
    style_image: Tensor, layers: Sequence[str] = STYLE_LAYERS, steps: int = 300, seed: int = 0,
    model: VGG19Features | None = None, tick: Tick = None,
) -> dict[str, SynthesisResult]:
    """Fig. 1 top row: white noise matching eq. (5) on the cumulative subsets; keys = deepest layer."""
    model = model or feature_model(layers)
    out = {}
    for subset in cumulative_subsets(layers):
        out[subset[-1]] = synthesize(None, style_image, style_layers=subset, steps=steps, seed=seed,
                                     model=model, progress=False)
        if tick:
            tick()
    return out


def figure2(
    content_image: Tensor, styles: Sequence[tuple[str, float]] = FIGURE2_STYLES, steps: int = 300,
    seed: int = 0, model: VGG19Features | None = None, tick: Tick = None,
) -> dict[str, SynthesisResult]:
    """Fig. 2: the photo in each style at its α/β (β = 1, α = ratio), content conv4_2, all 5 style layers."""
    model = model or feature_model()
    out = {}
    for name, ratio in styles:
        style_image = load_style(name, content_image)
        out[name] = synthesize(content_image, style_image, alpha=ratio, beta=1.0, steps=steps,
                               seed=seed, model=model, progress=False)
        if tick:
            tick()
    return out


def figure3(
    content_image: Tensor, style_image: Tensor, ratios: Sequence[float] = FIGURE3_RATIOS,
    layers: Sequence[str] = STYLE_LAYERS, steps: int = 300, seed: int = 0,
    model: VGG19Features | None = None, tick: Tick = None,
) -> dict[tuple[str, float], SynthesisResult]:
    """Fig. 3: rows = cumulative style subsets (key: deepest layer), columns = α/β."""
    model = model or feature_model()
    out = {}
    for subset in cumulative_subsets(layers):
        for ratio in ratios:
            out[(subset[-1], ratio)] = synthesize(content_image, style_image, style_layers=subset,
                                                  alpha=ratio, beta=1.0, steps=steps, seed=seed,
                                                  model=model, progress=False)
            if tick:
                tick()
    return out


def draw_grid(
    rows: Sequence[Sequence[Tensor]], row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None, cell: float = 2.2, title: str | None = None,
) -> Figure:
    """A grid of images with optional row labels (left) and column labels (top)."""
    nrows, ncols = len(rows), max(len(r) for r in rows)
    fig = Figure(figsize=(cell * ncols + 0.6, cell * nrows + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i in range(nrows):
        for j in range(ncols):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if j < len(rows[i]):
                ax.imshow(np.asarray(images.to_pil(rows[i][j])))
            if col_labels is not None and i == 0 and j < len(col_labels):
                ax.set_title(col_labels[j], fontsize=9)
            if row_labels is not None and j == 0:
                ax.set_ylabel(row_labels[i], fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def draw_figure1(content: Mapping[str, SynthesisResult], style: Mapping[str, SynthesisResult]) -> Figure:
    """Fig. 1: style reconstructions (top) and content reconstructions (bottom), one column per layer."""
    layers = list(content or style)
    rows, labels = [], []
    if style:
        rows.append([style[l].image for l in style])
        labels.append("style")
    if content:
        rows.append([content[l].image for l in content])
        labels.append("content")
    return draw_grid(rows, labels, [l for l in layers])


def draw_figure2(content_image: Tensor, results: Mapping[str, SynthesisResult],
                 ratios: Mapping[str, float] | None = None) -> Figure:
    """Fig. 2: the photograph, then one panel per style."""
    ratios = ratios or dict(FIGURE2_STYLES)
    titles = ["content_image"] + [f"{n}  α/β={ratios.get(n, float('nan')):.0e}" for n in results]
    return draw_grid([[content_image] + [r.image for r in results.values()]], None, titles)


def draw_figure3(results: Mapping[tuple[str, float], SynthesisResult],
                 layers: Sequence[str] = STYLE_LAYERS) -> Figure:
    """Fig. 3: rows conv1_1 … conv1_1…conv5_1, columns α/β."""
    ratios = sorted({r for _, r in results})
    row_layers = [l for l in layers if any(k[0] == l for k in results)]
    rows = [[results[(l, r)].image for r in ratios] for l in row_layers]
    labels = [subset_label(layers[: list(layers).index(l) + 1]) for l in row_layers]
    return draw_grid(rows, labels, [f"α/β = {r:.0e}" for r in ratios])


def draw_losses(results: Mapping[str, SynthesisResult], which: str = "content") -> Figure:
    """Loss curves (log scale) of several runs: ``which`` is "content", "style" or "total"."""
    fig = Figure(figsize=(5, 3.2), layout="constrained")
    ax = fig.subplots()
    for name, r in results.items():
        ax.semilogy(r.history.step, getattr(r.history, which), label=str(name))
    ax.set_xlabel("step (loss evaluations)")
    ax.set_ylabel(f"{which} loss")
    ax.legend(fontsize=7)
    return fig


# --------------------------------------------------------------------------- beyond the paper
def tv_loss(image: Tensor) -> Tensor:
    """Total variation: sum of squared differences between neighbouring pixels (a smoothness prior)."""
    return (image[..., 1:, :] - image[..., :-1, :]).pow(2).sum() + (image[..., :, 1:] - image[..., :, :-1]).pow(2).sum()


def synthesize_tv(
    content_image: Tensor, style_image: Tensor, *, alpha: float = 1e-3, beta: float = 1.0,
    tv_weight: float = 1.0, steps: int = 300, seed: int = 0, model: VGG19Features | None = None,
    content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
) -> tuple[Tensor, list[float]]:
    """Eq. (7) plus ``tv_weight * tv_loss``, with L-BFGS from white noise. Returns (image, totals)."""
    r = synthesize(content_image, style_image, content_layers=content_layers, style_layers=style_layers,
                   alpha=alpha, beta=beta, steps=steps, seed=seed, model=model or feature_model(),
                   progress=False, warn_slow=False, extra_loss=lambda x: tv_weight * tv_loss(x))
    return r.image, r.history.total


def mean_responses(model: VGG19Features, image: Tensor, layers: Sequence[str] = STYLE_LAYERS) -> dict[str, float]:
    """Mean response of each layer to ``image`` (over filters and positions)."""
    with torch.no_grad():
        return {n: float(F.mean()) for n, F in model(image, list(layers)).items()}


def style_layer_losses(model: VGG19Features, image: Tensor, style_image: Tensor,
                       layers: Sequence[str] = STYLE_LAYERS) -> dict[str, float]:
    """E_l (eq. 4) of ``image`` against ``style_image``, per layer."""
    with torch.no_grad():
        _, A = compute_targets(model, None, style_image, [], layers)
        f = model(image, list(layers))
        return {n: float(losses.style_layer_loss(f[n], A[n])) for n in layers}


# --------------------------------------------------------------------------- command line
def _save_fig(fig: Figure, path: Path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    return path


def render_figures(
    figures: Sequence[str], size: int | None = None, steps: int | None = None,
    out_dir: Path = Path("figures"), progress: bool = True, seed: int = 0,
) -> list[Path]:
    """Compute figures "1", "2", "3" (or "all") and save them as ``figure{N}.png`` in ``out_dir``.

    Args:
        figures: any of "1", "2", "3", "all". size: long side in pixels (default 256, quick 48).
        steps: loss evaluations per synthesis (default 300, quick 8). progress: a tqdm bar.
        Figs. 2 and 3 use the paper's α/β, read in nst-edu's units (:data:`nst_edu.ratio.RatioConvention`).

    Returns:
        The paths written.
    """
    from nst_edu.teaching import config

    wanted = ["1", "2", "3"] if "all" in figures else [str(f) for f in figures]
    bad = [f for f in wanted if f not in ("1", "2", "3")]
    if bad:
        from nst_edu.errors import NstEduError
        raise NstEduError(f"unknown figure(s) {bad}: use 1, 2, 3 or all")
    s = config.setup(seed=seed)
    size, steps = size or s.size, steps or s.steps
    counts = {"1": 2 * len(STYLE_LAYERS), "2": len(FIGURE2_STYLES), "3": len(STYLE_LAYERS) * len(FIGURE3_RATIOS)}
    bar = tqdm(total=sum(counts[f] for f in wanted), desc="figures", unit="synthesis", disable=not progress)
    model = feature_model()
    content_image = images.load_image("tubingen", size)
    out_dir = Path(out_dir)
    paths = []
    try:
        for f in wanted:
            if f == "1":
                style_image = images.load_image("starry_night", size)
                c = content_reconstructions(content_image, steps=steps, seed=seed, model=model, tick=bar.update)
                st = style_reconstructions(style_image, steps=steps, seed=seed, model=model, tick=bar.update)
                fig = draw_figure1(c, st)
            elif f == "2":
                results2 = figure2(content_image, steps=steps, seed=seed, model=model, tick=bar.update)
                fig = draw_figure2(content_image, results2, dict(FIGURE2_STYLES))
            else:
                style_image = load_style("composition_vii", content_image)
                fig = draw_figure3(figure3(content_image, style_image, steps=steps, seed=seed,
                                           model=model, tick=bar.update))
            paths.append(_save_fig(fig, out_dir / f"figure{f}.png"))
    finally:
        bar.close()
    return paths
