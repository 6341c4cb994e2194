"""What a synthesis reports: per-step losses, what a live callback sees, and the final result."""
from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor


@dataclass
class History:
    """Per-step losses. ``content`` is L_content (eq. 1 summed over content layers), ``style`` is
    L_style (eq. 5), ``style_layers[l]`` is E_l (eq. 4), ``total`` is what was minimised:
    α Σ_l c_l L_content,l + β L_style (+ any extra loss), where c_l is the content layer's factor of
    the ratio convention (:func:`nst_edu.ratio.content_weight`; 1 under ``convention="printed"``, where
    ``total`` is eq. (7) as printed, α L_content + β L_style)."""

    step: list[int] = field(default_factory=list)
    content: list[float] = field(default_factory=list)
    style: list[float] = field(default_factory=list)
    style_layers: dict[str, list[float]] = field(default_factory=dict)
    total: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.step)


@dataclass
class StepInfo:
    """What a callback sees every ``callback_every`` steps."""

    step: int
    steps: int
    total: float
    content: float
    style: float
    image: Tensor  # the image just evaluated, (1, 3, H, W) on the CPU, clamped to [0, 1]


@dataclass
class SynthesisResult:
    """The outcome of :func:`synthesize`.

    Attributes:
        image: the final image (1, 3, H, W), CPU, clamped to [0, 1]. L-BFGS: ``best_image`` (the
            run ends inside a line search); Adam: its last step, or ``best_image`` if it diverged.
        best_image: the evaluated image with the lowest total loss (what Stop or a failure keeps).
        best_loss: its total loss; best_step: its step (1-based).
        history: per-step losses; wall_time: seconds spent in the loop (targets excluded).
        steps: loss evaluations done; interrupted: True when stopped early by Ctrl-C or a stop event.
        stop_reason: "finished", "settled" (the picture stopped changing: ``settle``), "interrupted",
            "stopped" or the divergence message.
    """

    image: Tensor
    best_image: Tensor
    best_loss: float
    best_step: int
    history: History
    wall_time: float
    steps: int
    interrupted: bool = False
    stop_reason: str = "finished"
