"""How stylised is a result? Two numbers from a fixed judge network, for tests, notebooks and benchmarks.

The judge is the raw Caffe VGG-19 with max pooling and no normalisation: it does not change with the
settings under test (pooling, normalisation statistics, ratio convention).

* style gain   = geometric mean over conv1_1 … conv5_1 of E_l(photo, painting) / E_l(result, painting):
  how many times closer the result's Gram matrices (eq. 3) are to the painting's than the photo's are;
* content keep = MSE_conv4_2(painting, photo) / MSE_conv4_2(result, photo): how many times closer the
  result's conv4_2 responses are to the photo's than the painting's are (1: nothing of the photo left).

A painted photograph, the paper's look, has both well above 1; the photo itself has style gain 1,
a pure texture content keep about 1.

``benchmarks/ratio_calibration.py`` stores where the two are equal (the *balance*: where style takes
over) for many settings in ``nst_edu/data/ratio_balance.json``; :func:`balance_measurements` reads it and
:func:`draw_balance` plots it against image size in both conventions (notebook 03).
"""
from __future__ import annotations

import json
import math
from typing import Callable, Mapping

import torch
from matplotlib.figure import Figure
from torch import Tensor

from nst_edu import losses
from nst_edu.machinery.paths import PACKAGE_DATA
from nst_edu.objective import make_objective
from nst_edu.ratio import RatioConvention
from nst_edu.teaching.images import match_size
from nst_edu.vgg import CONTENT_LAYERS, STYLE_LAYERS, vgg19

_LAYERS = list(STYLE_LAYERS) + ["conv4_2"]
#: Measurements of benchmarks/ratio_calibration.py (one record per setting; α/β in mean units: the content term a
#: mean over the content layer's N_l·M_l entries, style eq. (5); nst_edu's units without K).
BALANCE_FILE = PACKAGE_DATA / "ratio_balance.json"


class TransferMeasure:
    """Style gain and content keep of results for one photograph and one artwork."""

    def __init__(self, content_image: Tensor, style_image: Tensor) -> None:
        self.net = vgg19(normalize=False, pooling="max", layers=_LAYERS)
        with torch.no_grad():
            self.P = self.net(content_image, ["conv4_2"])["conv4_2"]
            self.A = {n: losses.gram_matrix(F) for n, F in self.net(style_image, list(STYLE_LAYERS)).items()}
        self.photo = self._distances(content_image)
        self.painting = self._distances(match_size(style_image, content_image))

    def _distances(self, image: Tensor) -> tuple[dict[str, float], float]:
        with torch.no_grad():
            F = self.net(image, _LAYERS)
        e = {n: float(losses.style_layer_loss(F[n], self.A[n])) for n in STYLE_LAYERS}
        return e, float((F["conv4_2"] - self.P).pow(2).mean())

    def __call__(self, image: Tensor) -> tuple[float, float]:
        """(style gain, content keep) of ``image`` (1, 3, H, W), the photo's size."""
        e, c = self._distances(image)
        logs = [math.log(self.photo[0][n] / max(e[n], 1e-30)) for n in STYLE_LAYERS]
        return math.exp(sum(logs) / len(logs)), self.painting[1] / max(c, 1e-30)


def objective_terms(image: Tensor, content_image: Tensor, style_image: Tensor, *, alpha: float, beta: float = 1.0,
                    extra_loss: Callable[[Tensor], Tensor] | None = None,
                    convention: RatioConvention = "calibrated") -> dict[str, float]:
    """The terms of eq. (7) that :func:`~nst_edu.synthesis.synthesize` minimises, for ``image``, in the units it
    minimises them (the default layers, the normalised VGG-19 in float32):

    ``{"content": α Σ_l c_l L_content,l, "style": β L_style, "extra": extra_loss(image), "total": their sum}``,

    where c_l is the convention's factor (:func:`nst_edu.ratio.content_weight`: in nst-edu's units the content
    loss averaged over the layer's N_l·M_l responses, times 2K). ``total`` is what ``history.total`` records;
    it is not α·L_content + β·L_style unless ``convention="printed"``.
    """
    net = vgg19(layers=list(CONTENT_LAYERS) + list(STYLE_LAYERS))
    objective = make_objective(net, content_image, style_image, CONTENT_LAYERS, STYLE_LAYERS, alpha=alpha, beta=beta,
                               convention=convention)
    with torch.no_grad():
        x = image.detach().float().to(net.device)
        terms = objective(net(x, objective.layers), x)
        extra = float(extra_loss(x)) if extra_loss is not None else 0.0
    style = beta * float(terms.style[0])
    content = float(terms.total[0]) - style  # α Σ_l c_l L_content,l: the objective's total has no extra term here
    return {"content": content, "style": style, "extra": extra, "total": content + style + extra}


def edge_agreement(image: Tensor, content_image: Tensor) -> float:
    """How many of the photo's exact edges ``image`` keeps, from about 0 (none) to 1 (the photo's edges in place).

    The cosine of the centred vectors of the two images' brightness differences between neighbouring pixels
    (the correlation of their gradients). The paper's transfer scores about 0: conv4_2 keeps the arrangement of
    objects, not the exact pixels (notebook 01); content matched at a low layer or a start from the photo keep
    edges (notebook 09). Both (1, 3, H, W), the same size.
    """
    def gradients(x: Tensor) -> Tensor:
        g = x.detach().float().cpu().mean(1)
        down, right = g[..., 1:, :-1] - g[..., :-1, :-1], g[..., :-1, 1:] - g[..., :-1, :-1]
        return torch.cat([down.flatten(), right.flatten()])

    a, b = gradients(image), gradients(content_image)
    return float(torch.nn.functional.cosine_similarity(a - a.mean(), b - b.mean(), dim=0))


def balance_measurements(**where: object) -> list[dict]:
    """The stored measurements whose fields equal ``where`` (e.g. ``steps=300, stats="committed"``).

    Each record: size, steps, init, noise, stats, pooling, content_layer, units, ratios, gains, keeps,
    balance (the α/β, in ``units``, where style gain = content keep; None when outside the ratios
    measured), seconds per run, and for the records of one named run, series (``series=None`` selects
    the others).
    """
    records = json.loads(BALANCE_FILE.read_text(encoding="utf-8"))
    return [r for r in records if all(r.get(k) == v for k, v in where.items())]


def draw_balance(balance: Mapping[int, float], entries: Mapping[int, int], calibration: float) -> Figure:
    """Where style takes over against image size, in three readings of α/β.

    Args:
        balance: {long side in px: balance α/β in mean units (content averaged over N_l·M_l)}.
        entries: {long side in px: N_l·M_l of the content layer at that size}.
        calibration: :data:`nst_edu.ratio.PAPER_RATIO_CALIBRATION` (nst_edu's units = mean units / it).
    """
    sizes = sorted(balance)
    fig = Figure(figsize=(5.6, 3.4), layout="constrained")
    ax = fig.subplots()
    exact = [2 * balance[s] / entries[s] for s in sizes]  # (α/β)_exact = 2 (α/β)_mean / (N_l M_l)
    ax.loglog(sizes, exact, "o-", label="eq. (1) as printed (a sum)")
    ax.loglog(sizes, [balance[s] for s in sizes], "s-", label="mean units (content averaged)")
    ax.loglog(sizes, [balance[s] / calibration for s in sizes], "^-", label=f"nst_edu's units (mean / {calibration:g})")
    ax.axhline(1e-3, color="grey", ls="--", lw=1, label="the paper's α/β = 1e-3")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("long side of the image (px)")
    ax.set_ylabel("α/β where style takes over")
    ax.legend(fontsize=7, loc="center right")  # the lines leave the right middle free
    return fig
