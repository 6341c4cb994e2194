"""nst_edu: Gatys, Ecker & Bethge (2015), "A Neural Algorithm of Artistic Style", by doing it.

The paper's code is the six files at this folder's root, in reading order (README, "Reading the code", gives
each file's length):

1. :mod:`nst_edu.layers`: the paper's layer names (conv4_2 …).
2. :mod:`nst_edu.vgg`: F^l, the responses of VGG-19 (average pooling, normalised filters).
3. :mod:`nst_edu.losses`: eqs. (1)-(6) and their gradients.
4. :mod:`nst_edu.objective`: eq. (7), what is minimised.
5. :mod:`nst_edu.minimize`: the loop (white noise, L-BFGS).
6. :mod:`nst_edu.synthesis`: ``synthesize()``, the call the notebooks make.

Beside them :mod:`nst_edu.ratio` (how α/β is read) and :mod:`nst_edu.errors`. The rest, each in a folder:
``beyond/`` (the authors' 2017 controls, other implementations' conventions), ``teaching/`` (what the
notebooks draw and measure: figures, the deck, images and the catalogue, ``setup``), ``machinery/`` (settings,
results, checks, caching, devices, precision, files), ``widgets/`` and ``grading/`` (the course).

This face hands on, by their short names and only when first used: ``nst_edu.setup(...)`` (the notebooks'
setup call, :func:`nst_edu.teaching.config.setup`), ``nst_edu.caffe_vgg19()`` (VGG-19 with the original
weights as a plain ``nn.Sequential``, :func:`nst_edu.machinery.vgg_weights.caffe_vgg19`) and the modules of
``beyond/`` and ``teaching/`` (``from nst_edu import figures, images``). Old import paths of the flat layout
work for one release, with a warning (:mod:`nst_edu.machinery.names`).
"""

from nst_edu.machinery import names
from nst_edu.teaching.display import enable_figure_display

__version__ = "0.1.0"

names.install()  # old module paths (nst_edu.figures …) still import, with a DeprecationWarning
__getattr__, __dir__ = names.face(
    __name__,
    {**names.folder_modules("beyond"), **names.folder_modules("teaching"),
     **{folder: f"nst_edu.{folder}" for folder in ("beyond", "teaching", "machinery", "widgets", "grading")}},
    {"setup": lambda: __import__("nst_edu.teaching.config", fromlist=["setup"]).setup,
     # the weights hand-over: VGG-19 with the Caffe weights as a plain nn.Sequential (notebook 08)
     "caffe_vgg19": lambda: __import__("nst_edu.machinery.vgg_weights", fromlist=["caffe_vgg19"]).caffe_vgg19},
)

# In a Jupyter kernel, every matplotlib Figure a cell returns is shown as a picture, with nothing
# for the reader to type (no `%matplotlib inline`); outside IPython this does nothing.
enable_figure_display()
