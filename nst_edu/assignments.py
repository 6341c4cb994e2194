"""Moved to :mod:`nst_edu.grading.release` (``python -m nst_edu.grading.release``); this name forwards
there for one release."""
import sys
import warnings

from nst_edu.grading.release import *  # noqa: F403
from nst_edu.grading.release import ANSWER, BEGIN, END, main  # noqa: F401

warnings.warn("nst_edu.assignments moved to nst_edu.grading.release", DeprecationWarning, stacklevel=2)

if __name__ == "__main__":
    sys.exit(main())
