"""The two switches a run reads from its environment: quick mode and nbgrader's grading.

``NST_EDU_QUICK=1`` (``make test``) makes the notebooks draw tiny pictures in few steps
(:func:`nst_edu.teaching.config.setup`) and keeps the network in float32 (:mod:`nst_edu.machinery.precision`).
``nbgrader autograde`` sets ``NBGRADER_EXECUTION``; it does not change the mode: a submission is graded in the
mode students run, full mode unless ``NST_EDU_QUICK`` says otherwise, so that the pictures an instructor grades
a written answer by are the ones the student saw (#45).
"""
from __future__ import annotations

import os


def quick_mode() -> bool:
    """True when ``NST_EDU_QUICK`` is set to anything but "", "0", "false" or "no"; under nbgrader too."""
    value = os.environ.get("NST_EDU_QUICK")
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def under_nbgrader() -> bool:
    """True while nbgrader executes the notebook (``nbgrader autograde`` / ``validate``)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


__all__ = ["quick_mode", "under_nbgrader"]
