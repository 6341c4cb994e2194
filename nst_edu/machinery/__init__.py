"""What the paper's code runs on, not needed to follow the paper.

Settings and results of a run (:mod:`~nst_edu.machinery.settings`, :mod:`~nst_edu.machinery.results`); bad input
refused before any work (:mod:`~nst_edu.machinery.checks`, :mod:`~nst_edu.machinery.estimate`); where and in what
number format it runs (:mod:`~nst_edu.machinery.devices`, :mod:`~nst_edu.machinery.precision`,
:mod:`~nst_edu.machinery.modes`); the L-BFGS port (:mod:`~nst_edu.machinery.lbfgs`), the weights
(:mod:`~nst_edu.machinery.vgg_weights`), memory (:mod:`~nst_edu.machinery.allocator`), the result cache
(:mod:`~nst_edu.machinery.cache`), files and paths (:mod:`~nst_edu.machinery.files`,
:mod:`~nst_edu.machinery.paths`), and the margins of asserted claims (:mod:`~nst_edu.machinery.margins`).
Nothing here imports the paper's code above ``layers`` and ``errors``.
"""
from nst_edu.machinery import names

__getattr__, __dir__ = names.face(__name__, names.folder_modules("machinery"))
