"""Moved to :mod:`nst_edu.synthesis` (``from nst_edu.synthesis import synthesize``); this name forwards
there for one release, so notebooks saved with the old import keep working."""
import warnings

from nst_edu.synthesis import *  # noqa: F403
from nst_edu.synthesis import __all__  # noqa: F401

warnings.warn("nst_edu.optimize moved to nst_edu.synthesis: import synthesize from nst_edu.synthesis",
              DeprecationWarning, stacklevel=2)
