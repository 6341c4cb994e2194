"""The check of assignment 5: the total-variation term, a smoothness prior the paper does not use.

Later implementations add it to eq. (7) to remove the high-frequency noise that an optimisation from
white noise leaves (jcjohnson/neural-style, ``neural_style.lua``: ``-tv_weight 1e-3``; CS231n's
style-transfer assignment grades a ``tv_loss``). Re-exported by :mod:`nst_edu.grading`.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

from nst_edu.grading.core import Checker, CheckResult, Fail, close, generator, run_check, scalar

_SHAPES = ((1, 3, 5, 7), (1, 3, 4, 4), (1, 1, 6, 2))  # (1, C, H, W): wide, square, tall with one channel


def _reference(x: Tensor) -> float:
    """Σ (x[i+1, j] − x[i, j])² + Σ (x[i, j+1] − x[i, j])², pixel by pixel: neighbours inside the image only."""
    _, channels, height, width = x.shape
    total = 0.0
    for c in range(channels):
        for i in range(height):
            for j in range(width):
                if i + 1 < height:
                    total += float(x[0, c, i + 1, j] - x[0, c, i, j]) ** 2
                if j + 1 < width:
                    total += float(x[0, c, i, j + 1] - x[0, c, i, j]) ** 2
    return total


def _diagnosis(tv_loss: Callable[[Tensor], Tensor], x: Tensor, got: float) -> str:
    """Which common slip the value matches, as a hint; empty when none does."""
    dy, dx = (x[..., 1:, :] - x[..., :-1, :]).pow(2), (x[..., :, 1:] - x[..., :, :-1]).pow(2)
    down, across = float(dy.sum()), float(dx.sum())
    per_channel = (dy.sum((0, 2, 3)) + dx.sum((0, 2, 3))).tolist()
    wrapped = float((x.roll(-1, -2) - x).pow(2).sum() + (x.roll(-1, -1) - x).pow(2).sum())
    rows, columns = x[..., 1:, :].numel(), x[..., :, 1:].numel()  # how many vertical and horizontal pairs
    if not close(float(tv_loss(2 * x)), 4 * got):
        return ": doubling the image should multiply it by 4; are the differences squared (not absolute values)?"
    for c, alone in enumerate(per_channel if len(per_channel) > 1 else []):
        if close(got, alone, rtol=1e-6):
            return (f": only colour channel {c} is counted; sum over all {len(per_channel)} channels (the image's "
                    "shape is (1, C, H, W): keep every channel in the differences)")
    for value, slip in ((down, "only the vertical neighbours are counted; add the horizontal ones"),
                        (across, "only the horizontal neighbours are counted; add the vertical ones"),
                        (wrapped, "the last row (column) is compared with the first: torch.roll wraps around the "
                                  "image; compare neighbours inside it only"),
                        ((down + across) / (rows + columns), "a mean, not a sum"),
                        (down / rows + across / columns, "a mean in each direction, not a sum")):
        if close(got, value, rtol=1e-6):
            return f": {slip}"
    return ""


def check_tv_loss(tv_loss: Callable[[Tensor], Tensor]) -> CheckResult:
    """TV(x) = Σ_c Σ_ij (x_{c,i+1,j} − x_{c,i,j})² + (x_{c,i,j+1} − x_{c,i,j})²: a scalar that autograd can
    differentiate, 0 on a flat image, blind to a constant added, quadratic in the image, and equal to a
    pixel-by-pixel sum over vertical and horizontal neighbours inside the image (no wrap-around)."""
    def body(ck: Checker) -> tuple[str, Any]:
        for k, shape in enumerate(_SHAPES):
            x = torch.rand(*shape, generator=generator(k), dtype=torch.float64)
            got = scalar(ck, ck.call(f"computing the total variation of a random image of shape {shape}", tv_loss, x),
                         "the total variation")
            flat = torch.full(shape, 0.7, dtype=torch.float64)
            ck.expect(abs(scalar(ck, tv_loss(flat), "the total variation")) < 1e-12,
                      "a flat image (every pixel the same) has no variation: its total variation should be 0")
            ck.expect(close(scalar(ck, tv_loss(x + 0.25), "the total variation"), got),
                      "adding the same constant to every pixel should not change the total variation: it measures "
                      "differences between neighbours, not the pixels themselves")
            ref = _reference(x)
            if not close(got, ref, rtol=1e-6):
                raise Fail(f"for a random image of shape {shape} the total variation should be {ref:.6g} (the sum over "
                           f"vertical and horizontal neighbours of their squared difference), got {got:.6g}"
                           f"{_diagnosis(tv_loss, x, got)}")
        x = torch.rand(1, 3, 5, 6, generator=generator(9), dtype=torch.float64, requires_grad=True)
        ck.doing = "differentiating your total variation with autograd"
        value = tv_loss(x)
        ck.expect(isinstance(value, Tensor) and value.requires_grad,
                  "the result should stay a tensor connected to the image (no .item(), float() or numpy inside), "
                  "so that the optimiser can follow its gradient")
        value.backward()
        ck.expect(x.grad is not None and bool(x.grad.abs().sum() > 0), "the gradient of the total variation is zero")
        return "Σ of squared differences of vertical and horizontal neighbours; 0 when flat; differentiable", None
    return run_check("tv_loss", body)


__all__ = ["check_tv_loss"]
