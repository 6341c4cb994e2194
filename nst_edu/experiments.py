"""Moved to :mod:`nst_edu.figures` (``from nst_edu import figures``); this name forwards there for one
release, so notebooks saved with the old import keep working."""
import warnings

from nst_edu.figures import *  # noqa: F403
from nst_edu.figures import __all__  # noqa: F401

warnings.warn("nst_edu.experiments moved to nst_edu.figures: use `from nst_edu import figures`",
              DeprecationWarning, stacklevel=2)
