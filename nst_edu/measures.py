"""How stylised is a result? Two numbers from a fixed judge network, for tests, notebooks and benchmarks.

The judge is the raw Caffe VGG-19 with max pooling and no normalisation: it does not change with the
settings under test (pooling, normalisation statistics, ratio convention).

* style gain   = geometric mean over conv1_1 … conv5_1 of E_l(photo, painting) / E_l(result, painting):
  how many times closer the result's Gram matrices (eq. 3) are to the painting's than the photo's are;
* content keep = MSE_conv4_2(painting, photo) / MSE_conv4_2(result, photo): how many times closer the
  result's conv4_2 responses are to the photo's than the painting's are (1: nothing of the photo left).

A painted photograph, the paper's look, has both well above 1; the photo itself has style gain 1,
a pure texture content keep about 1.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from nst_edu import losses
from nst_edu.images import match_size
from nst_edu.vgg import STYLE_LAYERS, vgg19

_LAYERS = list(STYLE_LAYERS) + ["conv4_2"]


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
