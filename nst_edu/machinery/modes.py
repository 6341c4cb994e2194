"""The two switches a run reads from its environment: quick mode and nbgrader's grading.

``NST_EDU_QUICK=1`` (``make test``) makes the notebooks draw tiny pictures in few steps
(:func:`nst_edu.teaching.config.setup`) and keeps the network in float32 (:mod:`nst_edu.machinery.precision`);
``nbgrader autograde`` sets ``NBGRADER_EXECUTION``, which means quick mode unless ``NST_EDU_QUICK`` says
otherwise.
"""
from __future__ import annotations

import os


def quick_mode() -> bool:
    """True when ``NST_EDU_QUICK`` is set to anything but "", "0", "false" or "no", or, with
    ``NST_EDU_QUICK`` unset, when nbgrader is grading (:func:`under_nbgrader`)."""
    value = os.environ.get("NST_EDU_QUICK")
    if value is None:
        return under_nbgrader()
    return value.strip().lower() not in ("", "0", "false", "no")


def under_nbgrader() -> bool:
    """True while nbgrader executes the notebook (``nbgrader autograde`` / ``validate``)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


__all__ = ["quick_mode", "under_nbgrader"]
