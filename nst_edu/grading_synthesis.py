"""Moved to :mod:`nst_edu.grading.synthesis` (and importable from :mod:`nst_edu.grading`); this name
forwards there for one release."""
import warnings

from nst_edu.grading.synthesis import *  # noqa: F403
from nst_edu.grading.synthesis import __all__  # noqa: F401

warnings.warn("nst_edu.grading_synthesis moved to nst_edu.grading.synthesis; import the checks from "
              "nst_edu.grading", DeprecationWarning, stacklevel=2)
