"""Checks of the assignments that run a synthesis: the student's own loop and the α/β study.

Re-exported by :mod:`nst_edu.grading`; see there for the result objects and the scoreboard.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import Tensor

from nst_edu.grading.core import NOT_IMPLEMENTED, Checker, CheckResult, Fail, describe, run_check
from nst_edu.losses import content_loss, gram_matrix, style_layer_loss
from nst_edu.vgg import CONTENT_LAYERS, STYLE_LAYERS, VGG19Features, vgg19


def try_run(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; if it is not implemented yet, say so and return None instead of raising."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        print(f"{getattr(fn, '__name__', 'this function')} is {NOT_IMPLEMENTED}: skipped")
        return None


def _image(ck: Checker, x: Any, shape: tuple[int, ...], what: str) -> Tensor:
    ck.expect(isinstance(x, Tensor) and tuple(x.shape) == tuple(shape),
              f"{what} should be an image tensor of shape {tuple(shape)}, got {describe(x)}")
    ck.expect(bool(torch.isfinite(x).all()), f"{what} contains NaN or inf values")
    return x.detach().float()


def check_synthesis_loop(
    reconstruct_content: Callable[..., Tensor],
    *,
    model: VGG19Features | None = None,
    content_image: Tensor | None = None,
    layer: str = "conv2_2",
    steps: int = 20,
    factor: float = 2.0,
    size: int = 24,
) -> CheckResult:
    """The student's loop ``reconstruct_content(model, content_image, layer, init, steps)`` must
    return an image whose content loss (eq. 1, measured here) is at least ``factor`` times lower
    than that of the white-noise ``init`` it was given.

    By default it runs on a small random-weight VGG (``weights=None``) and a random image, so it
    takes a second; pass ``model``/``content_image`` to check on real data.
    """
    def body(ck: Checker) -> tuple[str, Any]:
        gen = torch.Generator().manual_seed(0)
        net = model
        if net is None:
            with torch.random.fork_rng():
                torch.manual_seed(0)
                net = vgg19(weights=None, layers=[layer])
        photo = content_image if content_image is not None else torch.rand(1, 3, size, size, generator=gen)
        init = torch.rand(photo.shape, generator=gen)
        with torch.no_grad():
            P = net(photo, [layer])[layer]
            before = float(content_loss(net(init, [layer])[layer], P))
        out = ck.call(f"running reconstruct_content(model, content_image, {layer!r}, init, steps={steps})",
                      reconstruct_content, net, photo.clone(), layer, init.clone(), steps)
        x = _image(ck, out, tuple(photo.shape), "the returned image")
        ck.expect(not out.requires_grad, "return the image without gradients (`x.detach()`): the returned tensor is "
                  "still attached to the optimisation's graph")
        ck.expect(not torch.equal(x, photo), "the loop returned the photograph itself: start from `init` and "
                  "change its pixels by gradient descent")
        ck.doing = "measuring the content loss of the returned image"
        with torch.no_grad():
            after = float(content_loss(net(x.to(photo.device), [layer])[layer], P))
        ck.expect(math.isfinite(after), "the content loss of the returned image is not finite")
        if not ck.measure(f"the content loss drops {factor:g}x from init's", after, "<=", before / factor):
            trend = "increased: a wrong sign (gradient ascent)?" if after > before else \
                "barely changed: is optimizer.step called and are the pixels (not the network) optimised?"
            raise Fail(f"the content loss at {layer} went from {before:.4g} (init) to {after:.4g}; it should drop "
                        f"at least {factor:g}× in {steps} steps, but it {trend}")
        return f"content loss at {layer} {before:.3g} → {after:.3g} ({before / max(after, 1e-30):.3g}× lower)", x
    return run_check("reconstruct_content", body)


def _losses_of(net: VGG19Features, image: Tensor, content_image: Tensor, style_image: Tensor,
               content_layers: Sequence[str], style_layers: Sequence[str]) -> tuple[float, float]:
    """L_content (eq. 1) and L_style (eq. 5, equal weights) of ``image``, measured independently."""
    layers = list(content_layers) + list(style_layers)
    with torch.no_grad():
        f, p, a = net(image, layers), net(content_image, content_layers), net(style_image, style_layers)
        lc = sum(float(content_loss(f[n], p[n])) for n in content_layers)
        ls = sum(float(style_layer_loss(f[n], gram_matrix(a[n]))) for n in style_layers) / len(style_layers)
    return lc, ls


def check_ratio_study(
    ratio_study: Callable[..., Mapping[float, Tensor]],
    content_image: Tensor,
    style_image: Tensor,
    *,
    ratios: Sequence[float] = (1e-4, 1e-2, 1.0),
    steps: int = 8,
    model: VGG19Features | None = None,
    content_layers: Sequence[str] = CONTENT_LAYERS,
    style_layers: Sequence[str] = STYLE_LAYERS,
    margin: float = 0.1,
) -> CheckResult:
    """``ratio_study(content_image, style_image, ratios, steps)`` returns ``{ratio: image}``.

    Properties (losses measured here with ``model``, default the normalised VGG-19 of CVPR 2016): one
    image per ratio, shaped like the photograph; as α/β grows the content loss goes down and the
    style loss goes up between the smallest and the largest ratio, each by more than ``margin``
    (10 %), so that noise cannot pass for a trend.
    ``value`` of the result is the returned dict, for display.
    """
    def body(ck: Checker) -> tuple[str, Any]:
        out = ck.call(f"running ratio_study(content_image, style_image, ratios={list(ratios)}, steps={steps})",
                      ratio_study, content_image, style_image, list(ratios), steps)
        ck.expect(isinstance(out, Mapping), f"ratio_study should return a dict {{ratio: image}}, got {describe(out)}")
        missing = [r for r in ratios if r not in out]
        ck.expect(not missing, f"no image for ratio(s) {missing}: return one image per α/β ratio, keyed by the ratio")
        ck.doing = "building VGG-19 to measure the losses"
        net = model if model is not None else vgg19(layers=list(content_layers) + list(style_layers))
        ck.doing = "measuring the content and style losses of each image"
        measured = {}
        for r in ratios:
            x = _image(ck, out[r], tuple(content_image.shape), f"the image for α/β = {r:g}")
            measured[r] = _losses_of(net, x, content_image, style_image, content_layers, style_layers)
        lo, hi = min(ratios), max(ratios)
        (c_lo, s_lo), (c_hi, s_hi) = measured[lo], measured[hi]
        table = ", ".join(f"α/β={r:g}: L_content={c:.3g}, L_style={s:.3g}" for r, (c, s) in measured.items())
        ck.expect(
            ck.measure(f"content loss at the largest ratio > {margin:.0%} below the smallest's", c_hi, "<",
                       (1 - margin) * c_lo),
            f"a larger α/β should give a clearly lower content loss (by > {margin:.0%}; {table}): are α and β swapped, "
            "or is the ratio ignored?",
        )
        ck.expect(
            ck.measure(f"style loss at the largest ratio > {margin:.0%} above the smallest's", s_hi, ">",
                       (1 + margin) * s_lo),
            f"a larger α/β should give a clearly higher style loss (by > {margin:.0%}; {table}): are α and β swapped?",
        )
        return f"content loss falls and style loss rises with α/β ({table})", dict(out)
    return run_check("ratio_study", body)


__all__ = ["CheckResult", "check_ratio_study", "check_synthesis_loop", "try_run"]
