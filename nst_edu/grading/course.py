"""The course as data: each assignment's tasks, their points, and what each automatic check tests.

One place for the points (the nbgrader metadata of the notebooks, their "**Points:**" lines, the course
pages and :func:`nst_edu.grading.summary` are held to it by tests/test_course.py) and for each check's
conditions, which the notebook states above the check cell word for word (so a student meets no condition
the task did not state) and the instructor page lists.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ASSIGNMENTS", "Assignment", "Task", "task"]


@dataclass(frozen=True)
class Task:
    """One graded part of an assignment.

    Attributes:
        name: the student's function (the grade_id of its solution cell; the check's name on the scoreboard)
            or, for a written answer, the grade_id of its cell.
        points: what nbgrader gives for it.
        auto: checked automatically (a check cell) or graded by hand with a rubric of COURSE.md.
        title: how the notebook and COURSE.md name it.
        conditions: what the automatic check tests, each as the notebook states it.
    """

    name: str
    points: int
    auto: bool
    title: str
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    number: int
    notebook: str
    tasks: tuple[Task, ...]

    @property
    def auto_points(self) -> int:
        return sum(t.points for t in self.tasks if t.auto)

    @property
    def hand_points(self) -> int:
        return sum(t.points for t in self.tasks if not t.auto)


#: Both gradient checks test the same properties (equations.py, _check_grad).
_GRADIENT = (
    "shaped like F",
    "0 wherever F ≤ 0 (the ReLU mask)",
    "equal to autograd's gradient through the ReLU, on four shapes",
    "feature maps (N, H, W) are accepted: the result is shaped like them",
)
_SHAPED_IMAGE = "an image shaped like `init`, finite, returned without gradients (`.detach()`)"

ASSIGNMENTS: dict[int, Assignment] = {a.number: a for a in (
    Assignment(1, "01_losses.ipynb", (
        Task("gram_matrix", 1, True, "task 1, the Gram matrix", (
            "G is N × N for F of shape (N, M)",
            "G_ij = Σ_k F_ik F_jk on four shapes (nothing divided)",
            "G is symmetric and positive semi-definite",
            "3·F gives 9·G",
            "shuffling the positions (the columns of F) leaves G unchanged",
            "feature maps (N, H, W) are accepted and flattened to (N, H·W)",
        )),
        Task("content_loss", 1, True, "task 2, the content loss", (
            "a single number",
            "0 when F = P",
            "4 times larger when F − P doubles",
            "the same with F and P swapped",
            "½ Σ (F − P)² exactly: the ½, and a sum, not a mean",
        )),
        Task("style_layer_loss", 2, True, "task 3, a layer's style loss", (
            "a single number",
            "1/4 for F of all ones and A = 0",
            "Σ (G − A)² / (4 N² M²) exactly, on four shapes",
            "0 when A is F's own Gram matrix",
            "unchanged when every position is duplicated (M → 2M, A → 2A) or every filter (N → 2N)",
            "feature maps (N, H, W) are accepted, with M = H·W",
        )),
        Task("total_loss", 1, True, "task 4, the total loss", (
            "alpha multiplies the content loss and beta the style loss",
            "α·L_content + β·L_style for three pairs (α, β)",
            "doubling α and β doubles the total",
        )),
    )),
    Assignment(2, "02_gradients.ipynb", (
        Task("content_loss_grad", 1, True, "task 1, the gradient of eq. (1)", _GRADIENT),
        Task("style_layer_loss_grad", 2, True, "task 2, the gradient of eq. (4)", _GRADIENT),
        Task("derivation", 2, False, "task 3, the derivation of eq. (6)"),
    )),
    Assignment(3, "03_synthesis_loop.ipynb", (
        Task("reconstruct_content", 2, True, "the task, your synthesis loop", (
            _SHAPED_IMAGE,
            "not the photograph itself",
            "its content loss at conv2_2 at least 2× below that of `init`, after `steps` = 20",
        )),
    )),
    Assignment(4, "04_texture_synthesis.ipynb", (
        Task("style_loss", 2, True, "task 1, the style loss", (
            "a single number that autograd can differentiate, with a gradient for every layer",
            "Σ_l w_l E_l as an independent sum computes it, on three layers with unequal weights",
            "0 when the image's responses are the painting's",
            "unchanged when the painting's or the image's responses move to other positions",
            "doubling every w_l doubles the loss",
        )),
        Task("reconstruct_style", 2, True, "task 2, a texture from white noise", (
            _SHAPED_IMAGE,
            "E_l at least 10× below the white noise's on every one of conv1_1, conv2_1 and conv3_1, "
            "after `steps` = 50",
            "no copy of the painting's pixels: its RMS distance to the painting more than a quarter of the noise's",
        )),
        Task("growing_layers", 2, True, "task 3, Fig. 1's top row", (
            "a dict with an image for each of conv1_1 … conv5_1, each shaped like `init` and finite",
            "every image matches the painting at conv1_1 at least 10× better than the white noise",
            "shrunk 4×, the set up to conv3_1 is more than 1.5× closer to the painting than conv1_1 alone",
        )),
    )),
    Assignment(5, "05_total_variation.ipynb", (
        Task("tv_loss", 2, True, "task 1, the total variation", (
            "a single number that autograd can differentiate",
            "equal to a pixel-by-pixel sum over every channel and every pair of neighbours inside the image, "
            "on three shapes",
            "0 for a flat image",
            "unchanged when a constant is added to every pixel",
        )),
        Task("written_answer", 2, False, "task 2, which TV weight"),
    )),
    Assignment(6, "06_ratio_study.ipynb", (
        Task("ratio_study", 2, True, "task 1, one image per ratio", (
            "a dict with one image per ratio, each shaped like the photograph and finite",
            "from the smallest to the largest α/β the content loss falls by more than 10 %",
            "from the smallest to the largest α/β the style loss rises by more than 10 %",
        )),
        Task("written_answer", 2, False, "task 2, the trade-off"),
        Task("layer_answer", 2, False, "task 3, the content layer"),
    )),
    Assignment(7, "07_mini_project.ipynb", (
        Task("question", 2, False, "section 1, the question and the prediction"),
        Task("method_and_figures", 4, False, "sections 2 and 3, the method and the figures"),
        Task("report", 4, False, "section 4, the report"),
    )),
)}


def task(name: str) -> Task | None:
    """The automatic task a check reports under ``name`` (function names are unique across the course)."""
    for assignment in ASSIGNMENTS.values():
        for t in assignment.tasks:
            if t.auto and t.name == name:
                return t
    return None
