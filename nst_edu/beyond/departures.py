"""Why yours differs: the common departures from the paper, each as a run you can put beside the paper's (#44).

What learners ask most in the trackers of other implementations is "why does mine not look like the paper?"
(pytorch/pytorch #43457, pytorch/tutorials #3731 and #143, leongatys/PytorchNeuralStyleTransfer #11, #12 and
#14, jcjohnson/neural-style #87 and #376). Most answers are one of a few departures: max pooling, responses read
before the ReLU, torchvision's input convention fed to the Caffe network, the network as trained instead of
normalised, another implementation's loss units, another content layer, clamping the pixels inside the loop,
Adam, the photograph as start. :func:`departure` runs the paper's transfer with exactly one of them
(:data:`DEPARTURES` lists them with what each changes and the source it answers); notebook 09 draws each beside
the paper's run with its measures. Everything else stays the paper's: the layers, eqs. (1)–(7), the ratio, the
budget of loss evaluations.
"""
from __future__ import annotations

import dataclasses
import math
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import torch
from torch import Tensor

from nst_edu.beyond import conventions
from nst_edu.errors import NstEduError
from nst_edu.machinery.lbfgs import lbfgs
from nst_edu.machinery.results import SynthesisResult
from nst_edu.objective import make_objective
from nst_edu.synthesis import synthesize

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from nst_edu.vgg import CONTENT_LAYERS, IMAGENET_MEAN, IMAGENET_STD, STYLE_LAYERS, VGG19Features, vgg19


@dataclass(frozen=True)
class Departure:
    """One way of leaving the paper, what it changes, and where learners met it."""

    name: str
    what: str
    answers: str


DEPARTURES: dict[str, Departure] = {d.name: d for d in (
    Departure("max pooling", "VGG as trained, max pooling, where the paper swaps in average pooling (Methods)",
              "pytorch/tutorials #3731"),
    Departure("before the ReLU", "each layer read before its ReLU, as the PyTorch tutorial's `conv_4` is, where the "
              "paper's Caffe network gives the rectified response",
              "pytorch/tutorials advanced_source/neural_style_tutorial.py"),
    Departure("torchvision input", "RGB in [0, 1] minus ImageNet's mean over its std fed to the Caffe network, which "
              "expects BGR, 0-255, minus the mean pixel",
              "pytorch/pytorch #43457; leongatys/PytorchNeuralStyleTransfer #11"),
    Departure("original network", "the weights as trained, not normalised to mean response 1, at the same α/β",
              "leongatys/PytorchNeuralStyleTransfer #12"),
    Departure("PyTorch tutorial's units", "1e-3 typed into the PyTorch tutorial's loss (Gram ÷ N_l·M_l, means): "
              "its α/β of eq. (7)", "jcjohnson/neural-style #87; leongatys/PytorchNeuralStyleTransfer #14"),
    Departure("neural-style's units", "1e-3 typed into jcjohnson/neural-style's loss (content weight / style weight)",
              "jcjohnson/neural-style #376"),
    Departure("content on conv2_2", "content matched at conv2_2, as the PyTorch tutorial's `conv_4` is, not at conv4_2",
              "the CVPR 2016 version, Fig. 5"),
    Departure("clamped inside", "the pixels clamped to [0, 1] inside the loop, as the PyTorch tutorial does, where "
              "nst-edu clamps only the picture it shows", "pytorch/tutorials #143"),
    Departure("Adam", "Adam (lr 0.02) for the same number of loss evaluations, not L-BFGS",
              "d2l-ai/d2l-en chapter_computer-vision/neural-style.md; tensorflow/docs style_transfer.ipynb"),
    Departure("photo start", "the photograph as start image, as the released code and most tutorials do, not white "
              "noise", "leongatys/NeuralImageSynthesis ExampleNotebooks/BasicStyleTransfer.ipynb"),
)}


class _BeforeRelu(VGG19Features):
    """The network, answering ``convX_Y`` with the convolution's output before its ReLU."""

    def forward(self, image: Tensor, layers: Any = None) -> dict[str, Tensor]:
        names = list(layers) if layers is not None else list(self.available_layers)
        out: dict[str, Tensor] = {}
        x = self.preprocess(image)
        wanted = {list(self.layers._modules).index(n.replace("relu", "conv")): n for n in names}
        for i, module in enumerate(self.layers):
            if i > max(wanted):
                break
            x = module(x)
            if i in wanted:
                out[wanted[i]] = x
        return {n: out[n] for n in names}


class _TorchvisionInput(VGG19Features):
    """The Caffe network fed torchvision's convention: RGB in [0, 1], minus ImageNet's mean, over its std."""

    def preprocess(self, image: Tensor) -> Tensor:
        mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1)
        return (image.to(self.device) - mean) / std


def _other_units(name: str, ratio: float, content_positions: int, style_positions: list[int]) -> dict[str, Any]:
    """α, β and w_l of eq. (7) that another implementation's loss gives when ``ratio`` is its content weight over
    its style weight (its own per-layer factors kept: :mod:`nst_edu.beyond.conventions`)."""
    c = next(c for c in conventions.IMPLEMENTATIONS if c.name == name)
    style_weight = c.style_weights[0]
    scaled = dataclasses.replace(c, content_weight=ratio * style_weight, content_filters=512,
                                 style_filters=(64, 128, 256, 512, 512),
                                 style_weights=tuple(w / style_weight for w in c.style_weights)[:1] * 5)
    alpha, beta, w = conventions.as_eq7(scaled, content_positions, style_positions)
    return {"alpha": alpha, "beta": beta, "style_weights": w, "convention": "printed"}


def _clamped_inside(content_image: Tensor, style_image: Tensor, ratio: float, steps: int, seed: int,
                    model: VGG19Features) -> SynthesisResult:
    """The paper's objective and L-BFGS (CVPR 2016 §2.3), the pixels clamped to [0, 1] before every evaluation."""
    from nst_edu.machinery.results import History
    from nst_edu.minimize import initial_image, loss_unit

    objective = make_objective(model, content_image, style_image, list(CONTENT_LAYERS), list(STYLE_LAYERS),
                               alpha=ratio, beta=1.0)
    x = initial_image("noise", tuple(content_image.shape), content_image, seed).to(model.device).requires_grad_(True)
    history, unit, done = History(style_layers={n: [] for n in STYLE_LAYERS}), [], []

    def closure() -> Tensor:
        if len(history.total) >= steps:
            raise StopIteration
        with torch.no_grad():
            x.clamp_(0, 1)  # the PyTorch tutorial's `input_img.data.clamp_(0, 1)`
        x.grad = None
        terms = objective(model(x, objective.layers), x)
        loss = terms.total.sum()
        history.total.append(float(loss.detach()))
        history.content.append(float(terms.content.detach().sum()))
        history.style.append(float(terms.style.detach().sum()))
        if not unit:
            unit.append(loss_unit(float(loss.detach())))
        (loss / unit[0]).backward()
        return loss / unit[0]

    try:
        lbfgs(closure, x, max_iter=steps, max_eval=steps + 25, tolerance_grad=-1.0, tolerance_change=-1.0)
    except StopIteration:
        done.append(True)
    image = x.detach().clamp(0, 1).cpu()
    return SynthesisResult(image=image, best_image=image, best_loss=min(history.total), best_step=len(history.total),
                           history=history, wall_time=math.nan, steps=len(history.total), interrupted=False,
                           stop_reason="finished")


#: The departures that change the network (its pooling, where it is read, its input, its weights).
NETWORK_DEPARTURES = ("max pooling", "before the ReLU", "torchvision input", "original network")


def departure_network(name: str | None, model: VGG19Features) -> VGG19Features:
    """The network a departure runs: ``model`` (the paper's) for None and for the departures that keep it, else
    the same weights with max pooling, read before the ReLU, fed torchvision's input or not normalised."""
    if name == "max pooling":
        return vgg19(pooling="max", device=model.device)
    if name == "before the ReLU":
        return _BeforeRelu(model.weights).to(model.device)
    if name == "torchvision input":
        return _TorchvisionInput(model.weights).to(model.device)
    if name == "original network":
        return vgg19(normalize=False, device=model.device)
    return model


def departure(name: str | None, content_image: Tensor, style_image: Tensor, *, ratio: float = 1e-3,
              steps: int = 100, seed: int = 0, model: VGG19Features | None = None, **settings: Any) -> SynthesisResult:
    """The paper's transfer (content conv4_2, style conv1_1 … conv5_1, α/β = ``ratio`` in nst-edu's units, white
    noise; L-BFGS as in CVPR 2016 §2.3, ``steps`` loss evaluations), with the departure ``name`` (a key of
    :data:`DEPARTURES`), or as the paper does it when ``name`` is None. ``model``: the paper's network (built
    when None); the departures that need another network build it. ``settings`` go to ``synthesize``."""
    if name is not None and name not in DEPARTURES:
        raise NstEduError(f"unknown departure {name!r}: use one of {', '.join(DEPARTURES)}")
    model = model if model is not None else vgg19()
    run = dict(alpha=ratio, beta=1.0, steps=steps, seed=seed, model=model, progress=False, warn_slow=False,
               **settings)
    if name is None:
        return synthesize(content_image, style_image, **run)
    if name in NETWORK_DEPARTURES:
        return synthesize(content_image, style_image, **dict(run, model=departure_network(name, model)))
    if name in ("PyTorch tutorial's units", "neural-style's units"):
        implementation = "PyTorch tutorial" if name.startswith("PyTorch") else "jcjohnson/neural-style"
        with torch.no_grad():
            shapes = {n: F.shape for n, F in model(content_image, [*CONTENT_LAYERS, *STYLE_LAYERS]).items()}
        positions = {n: s[-2] * s[-1] for n, s in shapes.items()}
        units = _other_units(implementation, ratio, positions[CONTENT_LAYERS[0]],
                             [positions[n] for n in STYLE_LAYERS])
        return synthesize(content_image, style_image, **dict(run, **units))
    if name == "content on conv2_2":
        return synthesize(content_image, style_image, content_layers=["conv2_2"], **run)
    if name == "clamped inside":
        return _clamped_inside(content_image, style_image, ratio, steps, seed, model)
    if name == "Adam":
        return synthesize(content_image, style_image, **dict(run, optimizer="adam"))
    return synthesize(content_image, style_image, **dict(run, init="content"))  # "photo start"


def draw_departures(pictures: Mapping[str, Tensor], measures: Mapping[str, tuple[float, ...]],
                    size: float = 3.2) -> Figure:
    """The paper's picture (key ``"the paper"``) beside each departure's, with its style gain and content keep
    (:class:`nst_edu.teaching.measures.TransferMeasure`), the photo's edges when a third number is given
    (:func:`nst_edu.teaching.measures.edge_agreement`) and, under a departure, the source it answers."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size * len(pictures), size * 0.75 + 1.1), layout="constrained")
    for ax, (name, picture) in zip(fig.subplots(1, len(pictures), squeeze=False)[0], pictures.items()):
        ax.imshow(picture[0].detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy())
        gain, keep, *edges = measures[name]
        title = f"{name}\nstyle gain {gain:.1f}, content keep {keep:.1f}"
        ax.set_title(title + "".join(f"\nthe photo's edges {e:.2f}" for e in edges), fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        if name in DEPARTURES:
            ax.set_xlabel(textwrap.fill(DEPARTURES[name].answers.split(";")[0], 36), fontsize=7)
    return fig


__all__ = ["DEPARTURES", "NETWORK_DEPARTURES", "Departure", "departure", "departure_network", "draw_departures"]
