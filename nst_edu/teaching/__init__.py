"""What the notebooks, the book and the deck show: the paper's figures drawn and measured.

* :mod:`~nst_edu.teaching.config`: the notebooks' one setup call (quick or full mode, size, steps, seed).
* :mod:`~nst_edu.teaching.figures`, :mod:`~nst_edu.teaching.diagram`, :mod:`~nst_edu.teaching.deck`: Figs. 1–3
  computed and drawn, Fig. 1 as the paper draws it, the reading session's pictures.
* :mod:`~nst_edu.teaching.measures`: style gain and content keep, the measured ratio balance.
* :mod:`~nst_edu.teaching.display`: every figure shown as a picture, and the checks of what a notebook shows.
* :mod:`~nst_edu.teaching.images`, :mod:`~nst_edu.teaching.catalog`: the paper's images, loaded and credited.
* :mod:`~nst_edu.teaching.paper`: the paper's equations as it prints them.

Each module is imported when first used.
"""
from nst_edu.machinery import names

__getattr__, __dir__ = names.face(__name__, names.folder_modules("teaching"))
