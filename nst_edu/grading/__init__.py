"""Automatic, property-based checks for the course assignments (notebooks/assignments).

Each ``check_*`` takes the student's function, tests it against properties of the paper's
equations (symmetry, scaling, invariances, agreement with an independent computation or with
autograd) rather than against stored numbers, and returns a :class:`CheckResult` that prints as
one plain-language line. Every result is also recorded in a module-level scoreboard, so the last
cell of a notebook can show ``summary()`` in points ("Score: 5/5 points checked automatically", and the
parts graded by hand); each task's points and its check's conditions are defined once, in
:mod:`nst_edu.grading.course`.

A function that raises ``NotImplementedError`` (the student version's placeholder) is reported as
"not implemented yet"; any other exception becomes a one-line message naming it and what the check
was doing. In a notebook checks never raise: the student reads the line and the next cell runs.
Under nbgrader (``NBGRADER_EXECUTION`` set) a check that does not pass raises ``AssertionError``
with that line, because nbgrader gives a test cell full marks unless it raises.
"""
from nst_edu.grading.core import (
    ERROR,
    FAILED,
    NOT_IMPLEMENTED,
    PASSED,
    CheckResult,
    Summary,
    reset,
    summary,
)
from nst_edu.grading.equations import (
    check_content_loss,
    check_content_loss_grad,
    check_gram_matrix,
    check_style_layer_loss,
    check_style_layer_loss_grad,
    check_total_loss,
)
from nst_edu.grading.smoothness import check_tv_loss
from nst_edu.grading.synthesis import check_ratio_study, check_synthesis_loop, try_run
from nst_edu.grading.texture import check_growing_layers, check_style_loss, check_texture_synthesis, coarse_match

__all__ = [
    "ERROR", "FAILED", "NOT_IMPLEMENTED", "PASSED", "CheckResult", "Summary",
    "check_content_loss", "check_content_loss_grad", "check_gram_matrix", "check_growing_layers",
    "check_ratio_study", "check_style_layer_loss", "check_style_layer_loss_grad", "check_style_loss",
    "check_synthesis_loop", "check_texture_synthesis", "check_total_loss", "check_tv_loss", "coarse_match",
    "reset", "summary", "try_run",
]
