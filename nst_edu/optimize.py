"""The synthesis loop: gradient descent on the pixels of an image, the network held fixed.

One function, :func:`synthesize`, runs the paper's three experiments:

* content reconstruction (Fig. 1 bottom): give ``content_image`` only;
* style reconstruction (Fig. 1 top): give ``style_image`` only;
* style transfer (Fig. 2, 3): give both and a ratio α/β.

Steps are counted as loss evaluations (one forward and one backward pass), which is what costs
time; an L-BFGS iteration takes one evaluation, a few more when its line search backtracks.
"""
from __future__ import annotations

import math
import threading
import time
import warnings
from contextlib import AbstractContextManager
from typing import Callable, Literal, Mapping, Sequence

import torch
from torch import Tensor
from tqdm.auto import tqdm

from nst_edu import cache as _cache
from nst_edu import estimate as _estimate
from nst_edu.allocator import helps as helps_keep_freed
from nst_edu.allocator import keep_freed_memory
from nst_edu.errors import NstEduError
from nst_edu.lbfgs import DEFAULT_HISTORY_SIZE, lbfgs
from nst_edu.losses import RatioConvention
from nst_edu.objective import make_objective
from nst_edu.results import History, StepInfo, SynthesisResult
from nst_edu.vgg import (
    CONTENT_LAYERS,
    STYLE_LAYERS,
    Pooling,
    VGG19Features,
    Weights,
    default_device,
    vgg19,
)

Init = Literal["noise", "content"] | Tensor
#: Half-width of the uniform white noise the synthesis starts from, around 0.5.
NOISE_AMPLITUDE = 0.1


class _Stop(Exception):
    """Raised inside the closure to leave the optimiser cleanly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def initial_image(init: Init, shape: tuple[int, ...], content_image: Tensor | None, seed: int | None) -> Tensor:
    """White noise (the paper), a copy of the photograph, or a given image, as a (1, 3, H, W) tensor."""
    if isinstance(init, Tensor):
        if tuple(init.shape) != tuple(shape):
            raise NstEduError(f"init image has shape {tuple(init.shape)} but the output is {tuple(shape)}: resize it")
        return init.detach().float().contiguous().clone()
    if init == "content":
        if content_image is None:
            raise NstEduError("init='content' needs a content_image: give one or use init='noise'")
        return content_image.detach().contiguous().clone()
    if init == "noise":
        # White noise of small amplitude around mid-grey. The paper gives no amplitude; full-range
        # noise (0 … 1) leaves a high-frequency residue that L-BFGS removes only very slowly.
        # Drawn on the CPU from its own generator so a seed gives the same image on every device.
        g = torch.Generator().manual_seed(seed if seed is not None else torch.seed())
        return 0.5 + NOISE_AMPLITUDE * (2 * torch.rand(shape, generator=g) - 1)
    raise NstEduError(f"unknown init {init!r}: use 'noise' (the paper), 'content' or an image tensor")


def heap_kept(x: Tensor) -> AbstractContextManager[None]:
    """On a CPU from ~256 px, keep freed responses in the heap for the next step of a synthesis of
    ``x`` instead of page-faulting them in again (:mod:`nst_edu.allocator`)."""
    largest = 64 * x.shape[0] * x.shape[-2] * x.shape[-1] * x.element_size()  # conv1_x's responses
    return keep_freed_memory(x.device.type == "cpu" and helps_keep_freed(largest))


def synthesize(
    content_image: Tensor | None = None,
    style_image: Tensor | None = None,
    *,
    content_layers: Sequence[str] = CONTENT_LAYERS,
    style_layers: Sequence[str] = STYLE_LAYERS,
    style_weights: Mapping[str, float] | Sequence[float] | None = None,
    alpha: float | Sequence[float] = 1.0,
    beta: float | Sequence[float] = 1e3,
    convention: RatioConvention = "paper",
    init: Init = "noise",
    optimizer: Literal["lbfgs", "adam"] = "lbfgs",
    steps: int = 300,
    lr: float | None = None,
    history_size: int = DEFAULT_HISTORY_SIZE,
    line_search: Literal["strong_wolfe"] | None = "strong_wolfe",
    seed: int | None = 0,
    size: tuple[int, int] | None = None,
    model: VGG19Features | None = None,
    weights: Weights = "caffe",
    pooling: Pooling = "avg",
    device: str | torch.device | None = None,
    callback: Callable[[StepInfo], None] | None = None,
    callback_every: int = 10,
    stop_event: threading.Event | None = None,
    progress: bool = True,
    divergence_factor: float = 1e4,
    channels_last: bool = True,
    autocast: bool = False,
    warn_slow: bool = True,
    extra_loss: Callable[[Tensor], Tensor] | None = None,
) -> SynthesisResult:
    """Synthesise an image matching a content target, a style target, or both (eq. 7).

    Args:
        content_image: the photograph p⃗, (1, 3, H, W) in [0, 1]; None for style reconstruction.
        style_image: the artwork a⃗, (1, 3, H', W'); None for content reconstruction.
        content_layers: layers of L_content (paper: conv4_2). style_layers: layers of L_style
            (paper: conv1_1 … conv5_1). style_weights: w_l (default 1/len(style_layers) each).
        alpha, beta: weights of eq. (7); only α/β matters (1e-3 or 1e-4 in Fig. 2).
        convention: how α/β is read (:data:`nst_edu.losses.RatioConvention`): "paper" (default:
            the paper's printed ratios, the content term a mean over each content layer as in the
            authors' code) or "exact" (eq. (1) as printed, a sum: its α/β depends on image size).
        init: "noise" (the paper's white noise), "content", or a (1, 3, H, W) image.
        optimizer: "lbfgs" (the paper) or "adam". lr: its step size (L-BFGS 1.0, Adam 0.02).
        steps: number of loss evaluations. history_size: L-BFGS memory (pairs).
        line_search: L-BFGS line search. "strong_wolfe" (default) costs a few extra evaluations
            but never blows up; None is one evaluation per iteration but can diverge from noise.
        seed: makes noise, and so the whole CPU run, reproducible bit for bit.
        size: (H, W) of the output when there is no content image (default: the style image's).
        model: a ready :class:`VGG19Features`; otherwise one is built from ``weights``, ``pooling``.
        device: default CUDA if available, else CPU.
        callback: called with a :class:`StepInfo` every ``callback_every`` steps (live previews).
        stop_event: set it (e.g. from a Stop button) to end the run after the current step.
        progress: show a tqdm bar (a widget in notebooks, text in terminals).
        divergence_factor: stop when the loss is NaN or exceeds this multiple of its first value.
        channels_last: run the network on an NHWC copy of the image (same math; faster oneDNN /
            cuDNN kernels). autocast: run the network in bfloat16 (CUDA, or CPUs with AMX);
            responses are cast back and every loss is computed in float32.
        extra_loss: a term added to eq. (7), a function of the image x (e.g. total variation,
            notebook 05); it counts in ``history.total``, not in content or style.
        warn_slow: warn with a one-line estimate (:mod:`nst_edu.estimate`) when the run is
            estimated to take more than a minute.

    Batches: with ``alpha``/``beta`` sequences of length B, B images are synthesised in one
    forward pass (image and history are then (B, 3, H, W) and sums over the batch); see
    :func:`nst_edu.multiscale.synthesize_batch`.

    Returns:
        A :class:`SynthesisResult`. Ctrl-C, the stop event and divergence end the run early and
        still return the best image so far.
    """
    arguments = dict(locals())  # every argument by name, for the result cache (nst_edu.cache)
    if content_image is None and style_image is None:
        raise NstEduError("nothing to match: give a content_image, a style_image or both")
    if steps < 1:
        raise NstEduError(f"steps must be at least 1, got {steps}")
    use_content = content_image is not None and len(content_layers) > 0
    use_style = style_image is not None and len(style_layers) > 0
    if not (use_content or use_style):
        raise NstEduError("no layers to match: give content_layers and/or style_layers")
    device = torch.device(device) if device is not None else default_device()
    c_layers = list(content_layers) if use_content else []
    s_layers = list(style_layers) if use_style else []
    cache_key = _cache.synthesis_key(arguments, device)  # None unless NST_EDU_CACHE_DIR is set
    cached = _cache.load(cache_key) if cache_key else None
    if cached is not None:
        return cached
    if model is None:
        model = vgg19(weights=weights, pooling=pooling, layers=c_layers + s_layers, device=device)
        if channels_last:  # our own copy: NHWC weights spare oneDNN/cuDNN a reorder every call
            model = model.to(memory_format=torch.channels_last)
    content_image = content_image.to(device) if content_image is not None else None
    style_image = style_image.to(device) if style_image is not None else None
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    objective = make_objective(
        model, content_image.contiguous(memory_format=fmt) if content_image is not None else None,
        style_image.contiguous(memory_format=fmt) if style_image is not None else None, c_layers, s_layers,
        style_weights=style_weights, alpha=alpha, beta=beta, convention=convention)
    batch = objective.batch

    if content_image is not None:
        shape = tuple(content_image.shape)
    elif size is not None:
        shape = (1, 3, int(size[0]), int(size[1]))
    else:
        shape = tuple(style_image.shape)  # type: ignore[union-attr]
    if batch > 1:  # one batch of B syntheses: the same start for each (noise is drawn once per image)
        shape = (batch,) + tuple(shape[1:])
        if isinstance(init, Tensor) and init.shape[0] == 1:
            init = init.expand(shape)
        elif isinstance(init, str) and init == "content" and content_image is not None:
            init = content_image.expand(shape)
    x = initial_image(init, shape, content_image, seed).to(device).requires_grad_(True)
    if warn_slow:
        msg = _estimate.warning_message(tuple(shape[-2:]), c_layers + s_layers, device, steps, batch=shape[0])
        if msg:
            warnings.warn(msg, _estimate.SlowRunWarning, stacklevel=2)
    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=bool(autocast))

    if optimizer not in ("lbfgs", "adam"):
        raise NstEduError(f"unknown optimizer {optimizer!r}: use 'lbfgs' (the paper) or 'adam'")

    hist = History(style_layers={name: [] for name in s_layers})
    best = {"loss": math.inf, "image": x.detach().clone(), "step": 0}
    bar = tqdm(total=steps, desc="synthesis", disable=not progress, leave=False)

    def closure() -> Tensor:
        if stop_event is not None and stop_event.is_set():
            raise _Stop("stopped")
        if len(hist) >= steps:
            raise _Stop("finished")
        x.grad = None
        inp = x.contiguous(memory_format=torch.channels_last) if channels_last else x
        with amp:  # the network in bfloat16 if asked; every loss in float32
            feats = {n: F.float() for n, F in model(inp, objective.layers).items()}
        terms = objective(feats)
        loss = terms.total.sum()
        if extra_loss is not None:
            loss = loss + extra_loss(x)
        # One device→host transfer per step (not one per number): cheap on CPU, a sync on CUDA.
        values = torch.stack([loss.detach(), terms.content.sum().detach(), terms.style.sum().detach()]
                             + [terms.layers[n].sum().detach() for n in s_layers]).tolist()
        value = values[0]
        if not math.isfinite(value) or (hist.total and value > divergence_factor * hist.total[0]):
            raise _Stop(
                f"loss diverged at step {len(hist) + 1} ({value:.3g}): lower the learning rate "
                f"(lr) or use optimizer='lbfgs'; the best image so far was kept"
            )
        loss.backward()
        step = len(hist) + 1
        hist.step.append(step)
        hist.content.append(values[1])
        hist.style.append(values[2])
        for n, v in zip(s_layers, values[3:]):
            hist.style_layers[n].append(v)
        hist.total.append(value)
        if value < best["loss"]:
            best.update(loss=value, image=x.detach().clone(), step=step)
        bar.update(1)
        bar.set_postfix(loss=f"{value:.3g}", refresh=False)
        if callback is not None and (step % max(1, callback_every) == 0 or step == steps):
            img = x.detach().clamp(0, 1).cpu()
            callback(StepInfo(step, steps, value, hist.content[-1], hist.style[-1], img))
        return loss

    reason, interrupted = "finished", False
    start = time.perf_counter()
    with heap_kept(x):
        try:
            if optimizer == "lbfgs":
                # nst_edu.lbfgs, not torch.optim's (which imports torch._dynamo: ≈1.3 s at startup).
                # One long run capped by evaluations (the closure stops it at `steps`), with
                # tolerances off so it does the steps it was asked for.
                lbfgs(closure, x, max_iter=steps, max_eval=steps + 25, lr=lr or 1.0, history_size=history_size,
                      line_search=line_search, tolerance_grad=-1.0, tolerance_change=-1.0)
            else:
                adam = torch.optim.Adam([x], lr=lr or 0.02)
                while len(hist) < steps:
                    adam.step(closure)
        except _Stop as stop:
            reason = stop.reason
            interrupted = reason == "stopped"
            if reason not in ("stopped", "finished"):
                warnings.warn(reason, RuntimeWarning, stacklevel=2)
        except KeyboardInterrupt:
            reason, interrupted = "interrupted", True
        finally:
            bar.close()
    wall = time.perf_counter() - start
    result = SynthesisResult(
        image=x.detach().clamp(0, 1).cpu(),
        best_image=best["image"].clamp(0, 1).cpu(),
        best_loss=best["loss"],
        best_step=best["step"],
        history=hist,
        wall_time=wall,
        steps=len(hist),
        interrupted=interrupted,
        stop_reason=reason,
    )
    if cache_key and reason == "finished":
        _cache.store(cache_key, result)
    return result
