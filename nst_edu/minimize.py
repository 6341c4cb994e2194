"""How eq. (7) is minimised: the start image, the optimiser loop, callbacks and stopping.

:class:`nst_edu.objective.Objective` says *what* is minimised; :mod:`nst_edu.machinery.settings` holds *how*
(:class:`~nst_edu.machinery.settings.Optimization`: start, optimiser, steps), *where*
(:class:`~nst_edu.machinery.settings.Runtime`: device, network, memory layout, precision) and *who watches*
(:class:`~nst_edu.machinery.settings.Watch`: progress bar, live callback, Stop). :func:`minimize` is the loop;
:func:`nst_edu.synthesis.synthesize` puts the pieces together.

Steps are counted as loss evaluations (one forward and one backward pass), which is what costs
time; an L-BFGS iteration takes one evaluation, a few more when its line search backtracks.
"""
from __future__ import annotations

import contextlib
import math
import time
import warnings
from contextlib import AbstractContextManager

import torch
from torch import Tensor
from tqdm.auto import tqdm

from nst_edu.errors import NstEduError
from nst_edu.machinery.allocator import helps as helps_keep_freed
from nst_edu.machinery.allocator import keep_freed_memory
from nst_edu.machinery.lbfgs import lbfgs
from nst_edu.machinery.modes import quick_mode
from nst_edu.machinery.precision import resolve as resolve_precision
from nst_edu.machinery.results import History, StepInfo, SynthesisResult
from nst_edu.machinery.settings import NOISE_AMPLITUDE, Init, Optimization, Runtime, Watch
from nst_edu.objective import Objective
from nst_edu.vgg import VGG19Features


class _Stop(Exception):
    """Raised inside the closure to leave the optimiser cleanly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def initial_image(init: Init, shape: tuple[int, ...], content_image: Tensor | None, seed: int | None,
                  noise_amplitude: float = NOISE_AMPLITUDE) -> Tensor:
    """White noise (the paper), a copy of the photograph, or a given image, as a (B, 3, H, W) tensor."""
    if isinstance(init, Tensor):
        if tuple(init.shape) != tuple(shape):
            raise NstEduError(f"init image has shape {tuple(init.shape)} but the output is {tuple(shape)}: resize it")
        return init.detach().float().contiguous().clone()
    if init == "content":
        if content_image is None:
            raise NstEduError("init='content' needs a content_image: give one or use init='noise'")
        return content_image.detach().expand(shape).contiguous().clone()
    if init == "noise":
        # White noise of small amplitude around mid-grey. The paper gives no amplitude; full-range
        # noise (0 … 1) leaves a high-frequency residue that L-BFGS removes only very slowly.
        # Drawn on the CPU from its own generator so a seed gives the same image on every device.
        g = torch.Generator().manual_seed(seed if seed is not None else torch.seed())
        return 0.5 + noise_amplitude * (2 * torch.rand(shape, generator=g) - 1)
    raise NstEduError(f"unknown init {init!r}: use 'noise' (the paper), 'content' or an image tensor")


def loss_unit(first_loss: float) -> float:
    """The power of two nearest the first loss: the optimiser minimises eq. (7) divided by it.

    Only α/β shapes the image, yet α and β's common scale sets the loss's size, and L-BFGS has a few
    absolute constants (its curvature check y·s > 1e-10, the first step min(1, 1/|g|₁)·lr; Adam's
    ε = 1e-8): at α = 1e-9, β = 1e-6 they stop the run. Divided by this unit, the loss starts
    between ½√2 and √2 whatever the scale. A power of two, because dividing by one changes no digit:
    a run whose loss already started near 1 is unchanged to the bit.
    """
    if not math.isfinite(first_loss) or first_loss <= 0:
        return 1.0
    return 2.0 ** round(math.log2(first_loss))


def settled(before: list[Tensor], x: Tensor, levels: float) -> bool:
    """True when the picture ``x`` is within ``levels`` grey levels (root mean square, of 255) of ``before``
    (an empty list: no earlier picture yet), both clamped to [0, 1] as they are shown. The pixels, not the
    loss: a loss that still falls by a percent may move nothing one can see, or a lot."""
    if not before:
        return False
    change = (x.detach().clamp(0, 1) - before[0].clamp(0, 1)).pow(2).mean().sqrt().item()
    return 255.0 * change < levels


def heap_kept(x: Tensor) -> AbstractContextManager[None]:
    """On a CPU from ~256 px, keep freed responses in the heap for the next step of a synthesis of
    ``x`` instead of page-faulting them in again (:mod:`nst_edu.machinery.allocator`)."""
    largest = 64 * x.shape[0] * x.shape[-2] * x.shape[-1] * x.element_size()  # conv1_x's responses
    return keep_freed_memory(x.device.type == "cpu" and helps_keep_freed(largest))


def minimize(
    objective: Objective,
    model: VGG19Features,
    x: Tensor,
    how: Optimization = Optimization(),
    where: Runtime = Runtime(),
    watch: Watch | None = None,
) -> SynthesisResult:
    """Minimise ``objective`` over the pixels of ``x`` (B, 3, H, W), the network held fixed.

    Ctrl-C, the stop event and divergence end the run early and still return the best image so far.
    """
    watch = watch or Watch()
    steps = how.steps
    x = x.requires_grad_(True)
    s_layers = objective.style_layers
    # Only for bfloat16: entering autocast, even disabled, fails on a device type without it.
    bfloat16 = resolve_precision(where.precision, x.device, quick_mode()) == "bfloat16"
    amp = torch.autocast(x.device.type, dtype=torch.bfloat16) if bfloat16 else contextlib.nullcontext()
    hist = History(style_layers={name: [] for name in s_layers})
    best = {"loss": math.inf, "image": x.detach().clone(), "step": 0}
    bar = tqdm(total=steps, desc="synthesis", disable=not watch.progress, leave=False)

    guard_blowup = how.optimizer == "adam" or how.line_search is None
    unit: list[Tensor] = []  # the loss's unit for the optimiser, fixed at the first evaluation
    before: list[Tensor] = []  # the picture settle_window steps ago

    def closure() -> Tensor:
        if watch.stop_event is not None and watch.stop_event.is_set():
            raise _Stop("stopped")
        if len(hist) >= steps:
            raise _Stop("finished")
        x.grad = None
        inp = x.contiguous(memory_format=torch.channels_last) if where.channels_last else x
        with amp:  # the network in bfloat16 if asked; every loss in float32
            feats = {n: F.float() for n, F in model(inp, objective.layers).items()}
        terms = objective(feats, x)
        loss = terms.total.sum()
        # One device→host transfer per step (not one per number): cheap on CPU, a sync on CUDA.
        values = torch.stack([loss.detach(), terms.content.sum().detach(), terms.style.sum().detach()]
                             + [terms.layers[n].sum().detach() for n in s_layers]).tolist()
        value = values[0]
        if not math.isfinite(value) or (guard_blowup and hist.total and value > how.divergence_factor * hist.total[0]):
            raise _Stop(
                f"loss diverged at step {len(hist) + 1} ({value:.3g}): lower the learning rate "
                f"(lr) or use optimizer='lbfgs'; the best image so far was kept"
            )
        if not unit:  # one unit per image of a batch: each sees what it would see alone
            units = [loss_unit(v) for v in terms.total.detach().reshape(-1).tolist()]
            unit.append(torch.tensor(units, dtype=terms.total.dtype, device=terms.total.device))
        scaled = (terms.total.reshape(-1) / unit[0]).sum()  # what the optimiser sees; the history keeps eq. (7)'s units
        scaled.backward()
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
        if watch.callback is not None and (step % max(1, watch.callback_every) == 0 or step == steps):
            img = x.detach().clamp(0, 1).cpu()
            watch.callback(StepInfo(step, steps, value, hist.content[-1], hist.style[-1], img))
        if how.settle is not None and step % how.settle_window == 0:
            if settled(before, x, how.settle):
                raise _Stop("settled")
            before[:] = [x.detach().clone()]
        return scaled

    reason, interrupted = "finished", False
    start = time.perf_counter()
    with heap_kept(x):
        try:
            if how.optimizer == "lbfgs":
                # nst_edu.machinery.lbfgs, not torch.optim's (which imports torch._dynamo: ≈1.3 s at startup).
                # One long run capped by evaluations (the closure stops it at `steps`), with
                # tolerances off so it does the steps it was asked for.
                lbfgs(closure, x, max_iter=steps, max_eval=steps + 25, lr=how.lr or 1.0,
                      history_size=how.history_size, line_search=how.line_search,
                      tolerance_grad=-1.0, tolerance_change=-1.0)
            else:
                adam = torch.optim.Adam([x], lr=how.lr or 0.02)
                while len(hist) < steps:
                    adam.step(closure)
        except _Stop as stop:
            reason = stop.reason
            interrupted = reason == "stopped"
            if reason not in ("stopped", "finished", "settled"):
                warnings.warn(reason, RuntimeWarning, stacklevel=3)
        except KeyboardInterrupt:
            reason, interrupted = "interrupted", True
        finally:
            bar.close()
    failed = reason not in ("stopped", "finished", "interrupted", "settled")
    # L-BFGS: the run ends inside a line search, and x is back at the step it started from; the
    # best evaluated point (often one of that search's trials) is further on. A divergence leaves
    # Adam's x at the bad point: the message promises the best image instead.
    keep_best = failed or how.optimizer == "lbfgs"
    return SynthesisResult(
        image=(best["image"] if keep_best else x.detach()).clamp(0, 1).cpu(),
        best_image=best["image"].clamp(0, 1).cpu(),
        best_loss=best["loss"],
        best_step=best["step"],
        history=hist,
        wall_time=time.perf_counter() - start,
        steps=len(hist),
        interrupted=interrupted,
        stop_reason=reason,
    )
