"""The settings of a synthesis, in three groups: *how* eq. (7) is minimised (:class:`Optimization`),
*where* it runs (:class:`Runtime`) and *who watches* (:class:`Watch`); :func:`split_settings` routes
``synthesize``'s keyword settings to them by name. The loop that uses them is :mod:`nst_edu.minimize`.
"""
from __future__ import annotations

import math
import threading
import warnings
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, Literal

import torch
from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.machinery.lbfgs import DEFAULT_HISTORY_SIZE
from nst_edu.machinery.precision import Precision
from nst_edu.machinery.precision import check as check_precision
from nst_edu.machinery.results import StepInfo
from nst_edu.machinery.vgg_weights import Pooling, Weights

__all__ = ["GROUPS", "NOISE_AMPLITUDE", "Init", "Optimization", "Runtime", "Watch", "split_settings"]

Init = Literal["noise", "content"] | Tensor
#: Half-width of the uniform white noise the synthesis starts from, around 0.5. The paper gives no
#: amplitude; benchmarks/results/ratio_calibration.md measures that it does not move the balance.
NOISE_AMPLITUDE = 0.1


@dataclass(frozen=True)
class Optimization:
    """How eq. (7) is minimised.

    Attributes:
        init: "noise" (the paper's white noise), "content", or a (B, 3, H, W) image.
        noise_amplitude: half-width of the uniform noise around 0.5 (full range would be 0.5).
        optimizer: "lbfgs" (CVPR 2016, §2.3; the arXiv paper says gradient descent) or "adam". lr: its step
            size (default L-BFGS 1.0, Adam 0.02).
        steps: number of loss evaluations. history_size: L-BFGS memory (pairs).
        line_search: L-BFGS line search. "strong_wolfe" (default) costs a few extra evaluations
            but never blows up; None is one evaluation per iteration but can diverge from noise.
        seed: makes the noise, and so the whole CPU run, reproducible bit for bit.
        divergence_factor: stop when the loss is NaN or exceeds this multiple of its first value.
            Not checked under the strong-Wolfe line search: its trial steps may overshoot (up to
            10× the last step) and it rejects them itself; only its accepted steps move the image.
        settle: stop when the picture has stopped changing: when, over the last ``settle_window``
            steps, its pixels moved less than this root mean square, in 8-bit grey levels (0–255);
            the result's ``stop_reason`` is then "settled". None (default): always do ``steps``.
            Not in the paper, which fixes no number of steps; benchmarks/README.md ("Time to a
            picture") measures what it saves.
        settle_window: the steps over which ``settle`` compares the picture.
    """

    init: Init = "noise"
    noise_amplitude: float = NOISE_AMPLITUDE
    optimizer: Literal["lbfgs", "adam"] = "lbfgs"
    steps: int = 300
    lr: float | None = None
    history_size: int = DEFAULT_HISTORY_SIZE
    line_search: Literal["strong_wolfe"] | None = "strong_wolfe"
    seed: int | None = 0
    divergence_factor: float = 1e4
    settle: float | None = None
    settle_window: int = 25

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise NstEduError(f"steps must be at least 1, got {self.steps}")
        if self.settle is not None and not (self.settle > 0 and math.isfinite(self.settle)):
            raise NstEduError(f"settle must be a positive number of grey levels (e.g. 0.5) or None, got {self.settle}")
        if self.settle_window < 1:
            raise NstEduError(f"settle_window must be at least 1 step, got {self.settle_window}")
        if self.optimizer not in ("lbfgs", "adam"):
            raise NstEduError(f"unknown optimizer {self.optimizer!r}: use 'lbfgs' (L-BFGS, CVPR 2016) or 'adam'")
        if not 0 <= self.noise_amplitude <= 0.5:
            raise NstEduError(
                f"noise_amplitude must lie in [0, 0.5] (pixels stay in [0, 1]), got {self.noise_amplitude}"
            )


@dataclass(frozen=True)
class Runtime:
    """Where the synthesis runs; none of it changes the result beyond float rounding.

    Attributes:
        device: default CUDA if available, else CPU.
        weights, pooling: the network built when none is given (paper: "caffe", "avg").
        channels_last: run the network on an NHWC copy of the image (same math; faster oneDNN /
            cuDNN kernels).
        precision: the network's number format (:mod:`nst_edu.machinery.precision`): "auto" (default: bfloat16
            where the processor computes it natively, float32 elsewhere and in quick mode), "float32" or
            "bfloat16". Responses are cast back and every loss is computed in float32.
    """

    device: str | torch.device | None = None
    weights: Weights = "caffe"
    pooling: Pooling = "avg"
    channels_last: bool = True
    precision: Precision = "auto"

    def __post_init__(self) -> None:
        check_precision(self.precision)


@dataclass
class Watch:
    """Who follows the run while it goes.

    Attributes:
        callback: called with a :class:`StepInfo` every ``callback_every`` steps (live previews).
        stop_event: set it (e.g. from a Stop button) to end the run after the current step.
        progress: show a tqdm bar (a widget in notebooks, text in terminals).
        warn_slow: warn with a one-line estimate (:mod:`nst_edu.machinery.estimate`) when the run is
            estimated to take more than a minute.
    """

    callback: Callable[[StepInfo], None] | None = None
    callback_every: int = 10
    stop_event: threading.Event | None = None
    progress: bool = True
    warn_slow: bool = True


GROUPS: tuple[type, ...] = (Optimization, Runtime, Watch)


def split_settings(settings: dict[str, Any]) -> tuple[Optimization, Runtime, Watch]:
    """Route keyword settings (``steps=100, device="cuda", progress=False`` …) to their group.

    Whole groups may come as ``how=``, ``where=``, ``watch=``; a setting given by name overrides
    its group's.

    Raises:
        NstEduError: for a name that belongs to no group (naming the ones that do), or a group of
            the wrong type.
    """
    rest = dict(settings)
    if "autocast" in rest:  # its old name, for one release (README, "Old names")
        warnings.warn("autocast= is now precision= ('bfloat16' for autocast=True, 'float32' for False)",
                      DeprecationWarning, stacklevel=3)
        rest.setdefault("precision", "bfloat16" if rest.pop("autocast") else "float32")
    groups = []
    for key, cls in zip(("how", "where", "watch"), GROUPS):
        base = rest.pop(key, None)
        if base is not None and not isinstance(base, cls):
            raise NstEduError(f"{key}= takes a {cls.__name__}, got {type(base).__name__}: build one, "
                              "or pass its settings by name")
        names = {f.name for f in fields(cls)}
        picked = {k: rest.pop(k) for k in list(rest) if k in names}
        groups.append(replace(base, **picked) if base is not None else cls(**picked))
    if rest:
        known = sorted(f.name for cls in GROUPS for f in fields(cls))
        raise NstEduError(f"unknown setting(s) {sorted(rest)}: use one of {', '.join(known)}")
    return groups[0], groups[1], groups[2]
