"""The paper's layer names for VGG-19, and their translation to other conventions.

Gatys et al. name layers as Caffe does: ``conv4_2`` is the second convolution of block 4, read after
its ReLU (Caffe's ReLU works in place; :mod:`nst_edu.vgg`). The popular PyTorch tutorial counts
convolutions instead (its ``conv_4`` is conv2_2), torchvision numbers the modules of
``vgg19().features`` (conv2_2 is 7) and Keras says ``block2_conv2``; :func:`translate_layer`
converts between them, but nst_edu itself only speaks the paper's names.

A leaf module: the network (:mod:`nst_edu.vgg`), its weights and the estimates all import it.
"""
from __future__ import annotations

import re
from typing import Literal

from nst_edu.errors import LayerNameError, NstEduError

__all__ = ["BLOCKS", "CHANNELS", "CONTENT_LAYERS", "CONV_LAYERS", "LAYER_NAMES", "STYLE_LAYERS",
           "layer_index", "paper_name", "response_index", "translate_layer"]

# Convolutions per block of VGG-19 (configuration "E" of Simonyan & Zisserman).
BLOCKS = (2, 2, 4, 4, 4)
#: Filters N_l of the convolutions in each block.
CHANNELS = (64, 128, 256, 512, 512)


def _layer_names() -> tuple[str, ...]:
    names: list[str] = []
    for b, n_convs in enumerate(BLOCKS, start=1):
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


def _valid_names_hint() -> str:
    return "valid names are conv1_1 … conv5_4, relu1_1 … relu5_4, pool1 … pool5 (see nst_edu.layers.LAYER_NAMES)"


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


def response_index(name: str) -> int:
    """Index of the module whose output is the paper's response for ``name``.

    A "conv" name is read after its ReLU (Caffe's in-place ReLU; see the module docstring).
    """
    i = layer_index(name)
    return i + 1 if LAYER_NAMES[i].startswith("conv") else i
