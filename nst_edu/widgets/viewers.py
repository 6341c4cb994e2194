"""Read-only widgets: a feature-map browser, a Gram-matrix viewer and a pre-computed α/β slider.

Part of :mod:`nst_edu.widgets` (import them from there). Every viewer computes what it shows up front or
caches it, so moving a slider is instant. What they show is encoded by ``pictures.py``; :class:`Displayable`
(an object shown as its ``.widget``) is shared with the explorer (``panel.py``, ``explorer.py``).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
import torch
from torch import Tensor

from nst_edu import losses
from nst_edu.errors import NstEduError
from nst_edu.synthesis import SynthesisResult, synthesize
from nst_edu.teaching.images import load_image, match_pixel_count
from nst_edu.vgg import (
    CONTENT_LAYERS,
    CONV_LAYERS,
    STYLE_LAYERS,
    Pooling,
    VGG19Features,
    Weights,
    vgg19,
)
from nst_edu.widgets.pictures import heatmap_png, png_bytes

#: α/β values of the pre-computed grid (Fig. 3 of the paper spans 1e-5 … 1e-2).
DEFAULT_RATIOS: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2)


class Displayable:
    """Jupyter shows the object as its ``widget`` (the root box)."""

    widget: widgets.Widget

    def _repr_mimebundle_(self, **kwargs):  # noqa: ANN003
        return self.widget._repr_mimebundle_(**kwargs)


class _LayerViewer(Displayable):
    """What the two viewers share: one image, one network, a layer dropdown, a per-layer cache."""

    def __init__(self, image: Tensor | str, size: int | None, layers: Sequence[str], model: VGG19Features | None,
                 weights: Weights, pooling: Pooling, display_size: int) -> None:
        self.image = load_image(image, size)
        self.model = model or vgg19(weights=weights, pooling=pooling, layers=layers)
        self._cache: dict[str, Tensor] = {}
        self._display = display_size
        self.layer = widgets.Dropdown(options=list(layers), value=list(layers)[0], description="layer")
        self.info = widgets.Label()


class FeatureMapBrowser(_LayerViewer):
    """Pick a layer and a channel; see that filter's response map F^l_i next to the input image.

    Args:
        image: a (1, 3, H, W) tensor, catalogue name or path. size: its long side in pixels.
        layers: offered layers (default: the 16 convolutions). model: a ready network, else one is
            built from ``weights`` and ``pooling``.
    """

    def __init__(self, image: Tensor | str, *, size: int | None = 128, layers: Sequence[str] = CONV_LAYERS,
                 model: VGG19Features | None = None, weights: Weights = "caffe", pooling: Pooling = "avg",
                 display_size: int = 192) -> None:
        super().__init__(image, size, layers, model, weights, pooling, display_size)
        self.channel = widgets.IntSlider(0, min=0, max=0, description="channel", continuous_update=True)
        self.input_view = widgets.Image(value=png_bytes(self.image, display_size), format="png")
        self.map_view = widgets.Image(format="png")
        self.layer.observe(lambda _: self._layer_changed(), "value")
        self.channel.observe(lambda _: self._draw(), "value")
        self._layer_changed()
        self.widget = widgets.VBox([widgets.HBox([self.layer, self.channel]),
                                    widgets.HBox([self.input_view, self.map_view]), self.info])

    def responses(self, layer: str) -> Tensor:
        """F^l of the image at ``layer``, (N_l, H_l, W_l), computed once per layer."""
        if layer not in self._cache:
            with torch.no_grad():
                self._cache[layer] = self.model(self.image, [layer])[layer][0].cpu()
        return self._cache[layer]

    def _layer_changed(self) -> None:
        n = self.responses(self.layer.value).shape[0]
        self.channel.max = n - 1
        self.channel.value = min(self.channel.value, n - 1)
        self._draw()

    def _draw(self) -> None:
        F = self.responses(self.layer.value)
        fmap = F[self.channel.value].numpy()
        self.map_view.value = heatmap_png(fmap, self._display, cmap="magma")
        self.info.value = (f"{self.layer.value}, channel {self.channel.value} of {F.shape[0]}: "
                           f"{fmap.shape[0]}×{fmap.shape[1]} map, mean {fmap.mean():.3g}, max {fmap.max():.3g}")


class GramViewer(_LayerViewer):
    """Pick a layer; see its Gram matrix G^l (eq. 3), N_l × N_l, as a heat map (log scale by default)."""

    def __init__(self, image: Tensor | str, *, size: int | None = 128, layers: Sequence[str] = CONV_LAYERS,
                 model: VGG19Features | None = None, weights: Weights = "caffe", pooling: Pooling = "avg",
                 display_size: int = 256) -> None:
        super().__init__(image, size, layers, model, weights, pooling, display_size)
        self.scale = widgets.ToggleButtons(options=["log", "linear"], value="log", description="scale")
        self.heatmap = widgets.Image(format="png")
        self.layer.observe(lambda _: self._draw(), "value")
        self.scale.observe(lambda _: self._draw(), "value")
        self._draw()
        self.widget = widgets.VBox([widgets.HBox([self.layer, self.scale]), self.heatmap, self.info])

    def gram(self, layer: str) -> Tensor:
        """G^l = F^l F^lᵀ of the image (N_l × N_l), computed once per layer."""
        if layer not in self._cache:
            with torch.no_grad():
                self._cache[layer] = losses.gram_matrix(self.model(self.image, [layer])[layer]).squeeze(0).cpu()
        return self._cache[layer]

    def _draw(self) -> None:
        G = self.gram(self.layer.value).numpy()
        shown = np.log10(np.maximum(G, 0) + 1e-6 * max(float(G.max()), 1e-12)) if self.scale.value == "log" else G
        self.heatmap.value = heatmap_png(shown, self._display)
        self.info.value = f"G of {self.layer.value}: {G.shape[0]}×{G.shape[1]}, trace {np.trace(G):.3g}"


def _as_tensor(value: Tensor | SynthesisResult) -> Tensor:
    return value.image if isinstance(value, SynthesisResult) else value


class RatioExplorer(Displayable):
    """Slide through results computed once for several α/β: switching only swaps stored PNGs.

    Args:
        results: ``{ratio: image}`` (tensors or :class:`SynthesisResult`), e.g. from :func:`ratio_grid`.
    """

    def __init__(self, results: Mapping[float, Tensor | SynthesisResult], *, display_size: int = 256) -> None:
        if not results:
            raise NstEduError("RatioExplorer got no results: compute some with nst_edu.widgets.ratio_grid(...)")
        self.ratios = sorted(float(r) for r in results)
        self.images = {float(r): _as_tensor(v) for r, v in results.items()}
        self._png = {r: png_bytes(self.images[r], display_size) for r in self.ratios}
        start = min(self.ratios, key=lambda r: abs(np.log10(r) + 3))  # nearest to the paper's 1e-3
        self.slider = widgets.SelectionSlider(options=[(f"{r:.0e}", r) for r in self.ratios], value=start,
                                              description="α/β", continuous_update=True)
        self.image = widgets.Image(value=self._png[start], format="png")
        self.image.add_class("nst-ratio-image")
        self.slider.observe(lambda change: self._show(change["new"]), "value")
        self.widget = widgets.VBox([self.slider, self.image])

    @property
    def value(self) -> float:
        """The ratio shown now."""
        return float(self.slider.value)

    def select(self, ratio: float) -> None:
        """Show the stored result whose ratio is nearest to ``ratio`` (on a log scale)."""
        self.slider.value = min(self.ratios, key=lambda r: abs(np.log10(r) - np.log10(ratio)))

    def _show(self, ratio: float) -> None:
        self.image.value = self._png[ratio]


def ratio_grid(content: Tensor | str, style: Tensor | str, ratios: Sequence[float] = DEFAULT_RATIOS, *,
               size: int | None = None, steps: int = 300, model: VGG19Features | None = None,
               weights: Weights = "caffe", pooling: Pooling = "avg", **kwargs) -> dict[float, Tensor]:  # noqa: ANN003
    """Run :func:`~nst_edu.synthesis.synthesize` once per α/β (α = 1, β = 1/ratio), sharing one network.

    Extra keyword arguments (``content_layers``, ``init``, ``seed`` …) go to ``synthesize``.
    Returns ``{ratio: final image}``, ready for :class:`RatioExplorer`.
    """
    if not ratios or any(float(r) <= 0 for r in ratios):
        raise NstEduError(f"ratios must be positive numbers such as 1e-3, got {list(ratios)!r}")
    c = load_image(content, size)
    s = match_pixel_count(load_image(style), c)  # equal M_l for eq. (4), as everywhere else
    if model is None:
        layers = list(kwargs.get("content_layers", CONTENT_LAYERS)) + list(kwargs.get("style_layers", STYLE_LAYERS))
        model = vgg19(weights=weights, pooling=pooling, layers=layers)
    kwargs.setdefault("progress", False)
    return {float(r): synthesize(c, s, alpha=1.0, beta=1.0 / float(r), steps=steps, model=model, **kwargs).image
            for r in ratios}
