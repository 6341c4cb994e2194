"""The checks of assignment 4: texture synthesis, the style reconstructions of Fig. 1 (top row).

Each check tests a property of eq. (5) or of what its minimum looks like, never stored numbers:
eq. (5) against an independent sum of eq. (4) and blind to where a response occurs; the student's loop
lowering E_l on *every* layer it is given; and Fig. 1's claim that matching more layers reproduces the
painting's structure "on an increasing scale" (the paper, Fig. 1 caption), measured on the pictures
shrunk 4× (:func:`coarse_match`). Re-exported by :mod:`nst_edu.grading`.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import torch
import torch.nn.functional as nnf
from torch import Tensor

from nst_edu.grading.core import Checker, CheckResult, Fail, close, describe, generator, run_check, scalar
from nst_edu.losses import gram_matrix, style_layer_loss
from nst_edu.vgg import STYLE_LAYERS, VGG19Features, vgg19

#: (N_l, H, W) of the random "layers" the eq. (5) check uses: different N and M on each.
_LAYER_SHAPES = {"conv1_1": (3, 4, 5), "conv2_1": (5, 3, 3), "conv3_1": (2, 2, 6)}
#: The judge of :func:`coarse_match`: the raw Caffe VGG-19 (max pooling, no normalisation), as
#: nst_edu.teaching.measures.
_COARSE_LAYERS = ("conv1_1", "conv2_1")


def _features(seed: int) -> dict[str, Tensor]:
    return {n: torch.rand(1, *s, generator=generator(seed + k), dtype=torch.float64)
            for k, (n, s) in enumerate(_LAYER_SHAPES.items())}


def _shuffled(maps: Mapping[str, Tensor], seed: int) -> dict[str, Tensor]:
    """The same responses at other positions: each layer's H·W positions permuted, the channels kept together."""
    out = {}
    for k, (n, F) in enumerate(maps.items()):
        flat = F.reshape(F.shape[0], F.shape[1], -1)
        perm = torch.randperm(flat.shape[-1], generator=generator(seed + k))
        out[n] = flat[..., perm].reshape(F.shape)
    return out


def _reference(features: Mapping[str, Tensor], style_features: Mapping[str, Tensor],
               weights: Mapping[str, float]) -> float:
    """Σ_l w_l E_l (eq. 5), each E_l by nst_edu.losses (eq. 4)."""
    return sum(weights[n] * float(style_layer_loss(features[n], gram_matrix(style_features[n]))) for n in features)


def check_style_loss(style_loss: Callable[..., Tensor]) -> CheckResult:
    """``style_loss(features, style_features, weights)`` = Σ_l w_l E_l (eq. 5), E_l of eq. (4) with A^l the
    Gram matrix of ``style_features[l]``: a scalar, 0 when the responses equal the painting's, unchanged when
    the painting's responses (or the image's) are moved to other positions, linear in the weights, equal to an
    independent sum, and differentiable."""
    def body(ck: Checker) -> tuple[str, Any]:
        for seed in (0, 10):
            F, S = _features(seed), _features(seed + 100)
            w = {n: 0.2 + 0.3 * k for k, n in enumerate(F)}  # unequal weights: w_l must multiply E_l
            got = scalar(ck, ck.call("computing eq. (5) for random responses on three layers", style_loss, F, S, w),
                         "the style loss")
            ck.expect(abs(scalar(ck, style_loss(S, S, w), "the style loss")) < 1e-12,
                      "when the image's responses are the painting's, every G^l equals A^l: the style loss should be 0")
            moved = scalar(ck, ck.call("moving the painting's responses to other positions", style_loss,
                                       F, _shuffled(S, seed + 50), w), "the style loss")
            if not close(moved, got):
                raise Fail("moving the painting's responses to other positions changed the loss "
                           f"({got:.6g} → {moved:.6g}): compare Gram matrices (eq. 3), which sum over positions, "
                           "not the responses themselves")
            ck.expect(close(style_loss(_shuffled(F, seed + 70), S, w), got),
                      "moving the image's responses to other positions changed the loss: its G^l (eq. 3) must not "
                      "depend on where a response occurs")
            ref = _reference(F, S, w)
            if not close(got, ref):
                ones = _reference(F, S, {n: 1.0 for n in F})
                hint = ("; the weights w_l are not used" if close(got, ones) or close(got, ones / len(F)) else
                        "; E_l is divided by 4 N_l² M_l² (eq. 4)" if close(got, 4 * ref) else "")
                raise Fail(f"eq. (5) should give Σ_l w_l E_l = {ref:.6g} for random responses on three layers, "
                           f"got {got:.6g}{hint}")
            doubled = {n: 2 * v for n, v in w.items()}
            ck.expect(close(style_loss(F, S, doubled), 2 * got), "doubling every w_l should double the style loss")
        x = {n: F.clone().requires_grad_(True) for n, F in _features(3).items()}
        ck.doing = "differentiating your style loss with autograd"
        value = style_loss(x, _features(4), {n: 1 / len(x) for n in x})
        ck.expect(isinstance(value, Tensor) and value.requires_grad,
                  "the result should stay a tensor connected to the responses (no .item() or float() inside)")
        value.backward()
        ck.expect(all(t.grad is not None and bool(t.grad.abs().sum() > 0) for t in x.values()),
                  "every layer's responses should receive a gradient")
        return "Σ w_l E_l on three layers; 0 at the painting's responses; blind to positions; linear in w_l", None
    return run_check("style_loss", body)


def _rms(a: Tensor, b: Tensor) -> float:
    """Root mean square pixel distance; on the CPU, wherever the student's loop left its image."""
    return float((a.detach().float().cpu() - b.detach().float().cpu()).pow(2).mean().sqrt())


def _layer_losses(net: VGG19Features, image: Tensor, targets: Mapping[str, Tensor]) -> dict[str, float]:
    with torch.no_grad():
        F = net(image, list(targets))
    return {n: float(style_layer_loss(F[n], targets[n])) for n in targets}


def check_texture_synthesis(
    reconstruct_style: Callable[..., Tensor],
    *,
    style_layers: Sequence[str] = ("conv1_1", "conv2_1", "conv3_1"),
    steps: int = 50,
    factor: float = 10.0,
    size: int = 32,
) -> CheckResult:
    """The student's loop ``reconstruct_style(model, style_image, style_layers, init, steps)`` must return an
    image whose E_l (eq. 4, measured here) is at least ``factor`` times lower than the white-noise ``init``'s
    on *every* layer in ``style_layers`` (matching conv3_1 alone lowers E at conv1_1 only about 7×; the paper's
    loop about 60× in 50 steps), while staying about as far from the painting's pixels as the noise (a
    texture, not a copy: 0.23–0.27 RMS against the noise's 0.19–0.22; a loop on the pixels' difference
    0.008). It runs on the paper's VGG-19 and a small random "painting" of coloured blobs, in a second."""
    def body(ck: Checker) -> tuple[str, Any]:
        gen = generator(0)
        net = vgg19(layers=list(style_layers))
        painting = nnf.interpolate(torch.rand(1, 3, size // 8, size // 8, generator=gen), size=(size, size),
                                   mode="bilinear", align_corners=False)
        init = 0.5 + 0.1 * (2 * torch.rand(painting.shape, generator=gen) - 1)
        with torch.no_grad():
            targets = {n: gram_matrix(F) for n, F in net(painting, list(style_layers)).items()}
        before = _layer_losses(net, init, targets)
        out = ck.call(f"running reconstruct_style(model, style_image, {list(style_layers)}, init, steps={steps})",
                      reconstruct_style, net, painting.clone(), list(style_layers), init.clone(), steps)
        ck.expect(isinstance(out, Tensor) and tuple(out.shape) == tuple(painting.shape),
                  f"reconstruct_style should return an image of shape {tuple(painting.shape)}, got {describe(out)}")
        ck.expect(not out.requires_grad, "return the image without gradients (`pixels.detach()`): the returned tensor "
                  "is still attached to the optimisation's graph")
        x = out.detach().float()
        ck.expect(bool(torch.isfinite(x).all()), "the returned image contains NaN or inf values")
        away, noise_away = _rms(x, painting), _rms(init, painting)
        ck.expect(ck.measure("the texture is no copy of the painting's pixels (RMS > noise's / 4)",
                             away, ">", noise_away / 4),
                  f"the image copies the painting pixel for pixel (RMS distance {away:.3f}; the white noise's "
                  f"{noise_away:.3f}): a texture matches the Gram matrices, which forget where things are; start "
                  "from `init` and minimise eq. (5), not the difference of the pixels")
        ck.doing = "measuring E_l of the returned image on each layer"
        after = _layer_losses(net, x, targets)
        table = ", ".join(f"{n}: {before[n]:.3g} → {after[n]:.3g}" for n in style_layers)
        stuck = [n for n in style_layers
                 if not ck.measure(f"E_l at {n} drops {factor:g}x from the noise's", after[n], "<", before[n] / factor)]
        if stuck:
            head = (f"E_l should drop at least {factor:g}× on every style layer ({table}); it did not on "
                    f"{', '.join(stuck)}")
            if _rms(x, init) < 1e-4:
                raise Fail(f"{head}: the image did not change; are the pixels optimised (a leaf tensor with "
                           "requires_grad, given to the optimiser, and optimizer.step called)?")
            if sum(after.values()) > sum(before.values()):
                raise Fail(f"{head}: eq. (5) went up, a wrong sign (gradient ascent)?")
            # The cause is the loop's speed or the loss: the same loop given four times the steps tells them apart.
            ck.doing = f"running reconstruct_style again with steps={4 * steps}, to find the cause"
            longer = _layer_losses(net, reconstruct_style(net, painting.clone(), list(style_layers), init.clone(),
                                                          4 * steps).detach().float(), targets)
            still = [n for n in stuck if not longer[n] < before[n] / factor]
            if still:
                raise Fail(f"{head}; given {4 * steps} steps it still does not on {', '.join(still)}: is every layer "
                           "of style_layers in the loss, each with weight 1/len(style_layers)?")
            raise Fail(f"{head}; given {4 * steps} steps your loop gets there, so the loss is right and the optimiser "
                       f"is too slow: with L-BFGS (max_iter=steps, max_eval=steps) {steps} evaluations are enough; "
                       "Adam moves each pixel by about its learning rate per step (pixels lie in [0, 1]): at lr 0.01 "
                       f"{steps} steps are too few, at 0.02-0.05 they are enough")
        return f"E_l dropped on every layer ({table})", x
    return run_check("reconstruct_style", body)


def coarse_match(image: Tensor, style_image: Tensor, *, shrink: int = 4, judge: VGG19Features | None = None) -> float:
    """How well ``image`` has the painting's *large* structures: Σ E_l at conv1_1 and conv2_1 between the two
    pictures shrunk ``shrink``× (average of each shrink × shrink block), the image's taken against the
    painting's. Small: alike at the coarse scale. The judge is the raw Caffe VGG-19 with max pooling (as
    :mod:`nst_edu.teaching.measures`): not the network being optimised. ``style_image`` is shrunk to the image's size
    first."""
    net = judge if judge is not None else vgg19(normalize=False, pooling="max", layers=list(_COARSE_LAYERS))
    small = lambda x: nnf.avg_pool2d(x.detach().float().cpu(), shrink)  # noqa: E731 - a one-line helper
    painting = nnf.interpolate(style_image.detach().float().cpu(), size=tuple(image.shape[-2:]), mode="area")
    with torch.no_grad():
        A = {n: gram_matrix(F) for n, F in net(small(painting), list(_COARSE_LAYERS)).items()}
        F = net(small(image.clamp(0, 1)), list(_COARSE_LAYERS))
    return sum(float(style_layer_loss(F[n], A[n])) for n in _COARSE_LAYERS)


def check_growing_layers(
    growing_layers: Callable[..., Mapping[str, Tensor]],
    model: VGG19Features,
    style_image: Tensor,
    init: Tensor,
    steps: int,
    *,
    factor: float = 1.5,
    first: float = 10.0,
) -> CheckResult:
    """Fig. 1, top row: ``growing_layers(model, style_image, init, steps)`` returns ``{last layer: image}`` for the
    style reconstructions on conv1_1; conv1_1 and conv2_1; … up to conv5_1.

    Properties, measured here: five images shaped like ``init``; each set includes conv1_1, so every image's E at
    conv1_1 is at least ``first`` (10) times below the noise's (a single layer such as conv4_1 alone leaves the
    colours and fine strokes unmatched); and the set up to conv3_1 matches the painting's large
    structures (:func:`coarse_match`) at least ``factor`` times better than conv1_1 alone. (The two highest sets
    are not compared: on a small image conv5_1's maps are a few responses wide and its optimisation converges
    slowly; the assignment's pictures show them.) ``value`` of the result is the returned dict, for display.
    """
    def body(ck: Checker) -> tuple[str, Any]:
        out = ck.call(f"running growing_layers(model, style_image, init, steps={steps})", growing_layers,
                      model, style_image, init.clone(), steps)
        ck.expect(isinstance(out, Mapping), f"growing_layers should return a dict {{last layer: image}}, got "
                  f"{describe(out)}")
        missing = [n for n in STYLE_LAYERS if n not in out]
        ck.expect(not missing, f"no image for {missing}: return one image per set, keyed by its highest layer "
                  "(conv1_1, conv2_1, …, conv5_1)")
        for n in STYLE_LAYERS:
            ck.expect(isinstance(out[n], Tensor) and tuple(out[n].shape) == tuple(init.shape)
                      and bool(torch.isfinite(out[n]).all()),
                      f"the image for {n} should be a finite tensor of shape {tuple(init.shape)}, "
                      f"got {describe(out[n])}")
        ck.doing = "measuring E at conv1_1 of each image"
        with torch.no_grad():
            A = gram_matrix(model(style_image, ["conv1_1"])["conv1_1"])
        e_first = {n: _layer_losses(model, x.detach().float(), {"conv1_1": A})["conv1_1"] for n, x in
                   {"noise": init, **out}.items()}
        lost = [n for n in STYLE_LAYERS if not ck.measure(f"the set up to {n} matches conv1_1 {first:g}x better than "
                                                          "noise", e_first[n], "<", e_first["noise"] / first)]
        ck.expect(not lost, f"the images for {', '.join(lost)} do not match the painting at conv1_1 (E_conv1_1 "
                  f"{', '.join(f'{n}: {e_first[n]:.3g}' for n in lost)}, white noise {e_first['noise']:.3g}): each "
                  "set grows from conv1_1 (conv1_1; conv1_1 and conv2_1; …), not a single layer")
        ck.doing = "measuring how well each image matches the painting's large structures"
        judge = vgg19(normalize=False, pooling="max", layers=list(_COARSE_LAYERS))
        coarse = {n: coarse_match(out[n], style_image, judge=judge) for n in STYLE_LAYERS}
        noise = coarse_match(init, style_image, judge=judge)
        closer = {n: noise / max(c, 1e-30) for n, c in coarse.items()}
        table = ", ".join(f"{n}: {closer[n]:.3g}×" for n in STYLE_LAYERS)
        ck.expect(math.isfinite(closer["conv3_1"])
                  and ck.measure(f"shrunk 4x, the set up to conv3_1 is {factor:g}x closer than conv1_1 alone",
                                 closer["conv3_1"], ">", factor * closer["conv1_1"]),
                  f"matching more layers should reproduce larger structures: shrunk 4×, the set up to conv3_1 should "
                  f"be more than {factor:g}× closer to the painting than conv1_1 alone (closer than white noise: "
                  f"{table}); are the sets growing, and is each optimised from init?")
        gain = closer["conv3_1"] / closer["conv1_1"]
        return (f"shrunk 4×, the set up to conv3_1 is {gain:.3g}× closer to the painting than conv1_1 alone (each set "
                f"against white noise: {table}; the check judges conv3_1 against conv1_1 only)", dict(out))
    return run_check("growing_layers", body)


__all__ = ["check_growing_layers", "check_style_loss", "check_texture_synthesis", "coarse_match"]
