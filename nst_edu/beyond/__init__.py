"""Beyond the paper: its authors' follow-up and what other implementations do.

* :mod:`~nst_edu.beyond.guidance`: spatial control (Gatys et al., CVPR 2017): a painting per region.
* :mod:`~nst_edu.beyond.control`: colour control (luminance-only transfer, histogram matching) and scale control.
* :mod:`~nst_edu.beyond.multiscale`: coarse-to-fine synthesis, several α/β in one batch.
* :mod:`~nst_edu.beyond.conventions`: ten implementations' losses written as eq. (7) (notebook 03).

Notebook 07 teaches the first three. Each module is imported when first used.
"""
from nst_edu.machinery import names

__getattr__, __dir__ = names.face(__name__, names.folder_modules("beyond"))
