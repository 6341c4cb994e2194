"""The synthesis: gradient descent on the pixels of an image, the network held fixed.

One function, :func:`synthesize`, runs the paper's three experiments:

* content reconstruction (Fig. 1 bottom): give ``content_image`` only;
* style reconstruction (Fig. 1 top): give ``style_image`` only;
* style transfer (Fig. 2, 3): give both and a ratio α/β.

It puts three things together: *what* is minimised (:class:`nst_edu.objective.Objective`, eq. 7),
*how* (:class:`~nst_edu.machinery.settings.Optimization`: start, optimiser, steps) and *where*
(:class:`~nst_edu.machinery.settings.Runtime`: device, network, precision); the loop is
:func:`nst_edu.minimize.minimize`. A learner's call stays short::

    synthesize(content_image, style_image, alpha=1e-3, beta=1, steps=300)
"""
from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.machinery import cache as _cache
from nst_edu.machinery import estimate as _estimate
from nst_edu.machinery.checks import check_before_work, output_size
from nst_edu.machinery.devices import device_of, run_device
from nst_edu.machinery.modes import quick_mode
from nst_edu.machinery.precision import resolve as resolve_precision
from nst_edu.machinery.results import History, StepInfo, SynthesisResult  # noqa: F401  (re-exported)
from nst_edu.machinery.settings import NOISE_AMPLITUDE, Init, Optimization, Runtime, Watch, split_settings  # noqa: F401
from nst_edu.minimize import heap_kept, initial_image, minimize  # noqa: F401  (re-exported for benchmarks)
from nst_edu.objective import GuidedStyle, StyleBlend, StyleSource, make_objective
from nst_edu.ratio import RatioConvention, check_convention
from nst_edu.vgg import CONTENT_LAYERS, STYLE_LAYERS, VGG19Features, vgg19

__all__ = ["NOISE_AMPLITUDE", "History", "Init", "Optimization", "Runtime", "StepInfo", "SynthesisResult", "Watch",
           "heap_kept", "initial_image", "minimize", "split_settings", "synthesize"]


def synthesize(
    content_image: Tensor | None = None,
    style_image: StyleSource | None = None,
    *,
    alpha: float | Sequence[float] = 1.0,
    beta: float | Sequence[float] = 1e3,
    content_layers: Sequence[str] = CONTENT_LAYERS,
    style_layers: Sequence[str] = STYLE_LAYERS,
    style_weights: Mapping[str, float] | Sequence[float] | None = None,
    style_blend: StyleBlend | None = None,
    convention: RatioConvention = "calibrated",
    extra_loss: Callable[[Tensor], Tensor] | None = None,
    size: tuple[int, int] | None = None,
    model: VGG19Features | None = None,
    **settings: Any,
) -> SynthesisResult:
    """Synthesise an image matching a content target, a style target, or both (eq. 7).

    Args:
        content_image: the photograph p⃗, (1, 3, H, W) in [0, 1]; None for style reconstruction.
        style_image: the artwork a⃗, (1, 3, H', W'); None for content reconstruction. Beyond the
            paper (Gatys et al. 2017, notebook 07): a list of artworks, their Gram matrices
            blended with ``style_blend``; or a :class:`~nst_edu.beyond.guidance.Guidance`, a painting
            per region of the output (spatial control).
        alpha, beta: weights of eq. (7); only α/β matters (1e-3 or 1e-4 in Fig. 2): the optimiser
            sees the loss in a unit set by its first value (:func:`nst_edu.minimize.loss_unit`).
        content_layers: layers of L_content (paper: conv4_2). style_layers: layers of L_style
            (paper: conv1_1 … conv5_1). style_weights: w_l (default 1/len(style_layers) each).
        style_blend: with several style images, a weight each (e.g. [0.7, 0.3]; normalised to
            sum 1), or per image {layer: weight} (scale control: fine layers from one painting,
            coarse from another); default equal weights.
        convention: how α/β is read (:data:`nst_edu.ratio.RatioConvention`): "calibrated" (default,
            nst-edu's units: the content term a mean over each content layer, times the measured K) or
            "printed" (eq. (1) as printed, a sum: its α/β depends on image size).
        extra_loss: a term added to eq. (7), a function of the image x (e.g. total variation,
            notebook 05); it counts in ``history.total``, not in content or style.
        size: (H, W) of the output when there is no content image (default: the style image's).
        model: a ready :class:`VGG19Features`; otherwise one is built from ``weights``, ``pooling``.
            It decides where the run happens unless ``device`` is named (:mod:`nst_edu.machinery.devices`);
            the images may be on any device.
        **settings: how and where it runs, by name, or whole groups as ``how=``, ``where=``,
            ``watch=``:

            * :class:`~nst_edu.machinery.settings.Optimization`: ``init`` ("noise", the paper; "content";
              an image), ``noise_amplitude``, ``optimizer`` ("lbfgs", CVPR 2016's; "adam"),
              ``steps`` (loss evaluations, default 300), ``lr``, ``history_size``,
              ``line_search``, ``seed`` (default 0: reproducible), ``divergence_factor``;
            * :class:`~nst_edu.machinery.settings.Runtime`: ``device`` (default: the model's, else
              :func:`~nst_edu.machinery.devices.default_device`), ``weights``, ``pooling`` (paper:
              "avg"), ``channels_last``, ``precision`` ("auto": bfloat16 where the processor has it,
              :mod:`nst_edu.machinery.precision`);
            * :class:`~nst_edu.machinery.settings.Watch`: ``callback``, ``callback_every``, ``stop_event``,
              ``progress``, ``warn_slow``.

    Batches: with ``alpha``/``beta`` sequences of length B, B images are synthesised in one
    forward pass (image and history are then (B, 3, H, W) and sums over the batch); see
    :func:`nst_edu.beyond.multiscale.synthesize_batch`.

    Returns:
        A :class:`SynthesisResult`, its images on the CPU. Ctrl-C, the stop event and divergence end the run
        early and still return the best image so far.

    Raises:
        NstEduError: nothing to match, no layers, a bad setting, an α or β that is not a finite number
            ≥ 0, an image too large for the device's memory (one line naming the fix), all before any work.
    """
    how, where, watch = split_settings(settings)
    if content_image is None and style_image is None:
        raise NstEduError("nothing to match: give a content_image, a style_image or both")
    use_content = content_image is not None and len(content_layers) > 0
    use_style = style_image is not None and len(style_layers) > 0
    if not (use_content or use_style):
        raise NstEduError("no layers to match: give content_layers and/or style_layers")
    device = run_device(where.device, model)
    where = replace(where, precision=resolve_precision(where.precision, device, quick_mode()))  # keyed as it runs
    c_layers = list(content_layers) if use_content else []
    s_layers = list(style_layers) if use_style else []
    out_hw = output_size(content_image, style_image, size)  # None only for guidance without a size
    check_before_work(content_image, style_image, out_hw, alpha, beta, c_layers, s_layers, device)
    convention = check_convention(convention)  # an old name warns here, at the caller's line
    what = dict(content_image=content_image, style_image=style_image, alpha=alpha, beta=beta,
                content_layers=content_layers, style_layers=style_layers, style_weights=style_weights,
                style_blend=style_blend,
                convention=convention, extra_loss=extra_loss, size=size, model=model)
    cache_key = _cache.synthesis_key(what, how, where, watch, device)  # None unless NST_EDU_CACHE_DIR is set
    if (cached := _cache.load(cache_key)) is not None:  # the book's rebuilds: a result computed before
        return cached
    if model is not None and device_of(model) != device:  # device= named: a copy there, the caller's stays
        model = copy.deepcopy(model).to(device)
    if model is None:
        model = vgg19(weights=where.weights, pooling=where.pooling, layers=c_layers + s_layers, device=device)
        if where.channels_last:  # our own copy: NHWC weights spare oneDNN/cuDNN a reorder every call
            model = model.to(memory_format=torch.channels_last)
    fmt = torch.channels_last if where.channels_last else torch.contiguous_format
    content_image = content_image.to(device).contiguous(memory_format=fmt) if content_image is not None else None
    style_image = _to(style_image, device, fmt)
    objective = make_objective(model, content_image, style_image, c_layers, s_layers, style_weights=style_weights,
                               style_blend=style_blend, alpha=alpha, beta=beta, convention=convention,
                               extra_loss=extra_loss, output_size=out_hw)

    shape = (objective.batch, 3, *out_hw)  # B syntheses start from the same image
    init = how.init
    if isinstance(init, Tensor) and init.shape[0] == 1:
        init = init.expand(shape)
    x = initial_image(init, shape, content_image, how.seed, how.noise_amplitude).to(device)
    if watch.warn_slow:  # a long run says so, with a smaller size that would be quick
        _estimate.warn_if_slow(tuple(shape[-2:]), c_layers + s_layers, device, how.steps, batch=shape[0])
    result = minimize(objective, model, x, how, where, watch)
    _cache.store(cache_key, result)  # finished runs, when caching is on
    return result


def _to(style_image: StyleSource | None, device: torch.device, fmt: torch.memory_format) -> StyleSource | None:
    """The style image(s) on ``device`` in layout ``fmt`` (a guidance's paintings too)."""
    if style_image is None:
        return None
    if isinstance(style_image, Tensor):
        return style_image.to(device).contiguous(memory_format=fmt)
    if isinstance(style_image, GuidedStyle):
        return style_image.to(device, fmt)
    return [s.to(device).contiguous(memory_format=fmt) for s in style_image]
