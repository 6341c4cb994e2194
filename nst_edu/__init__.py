"""nst_edu: Gatys, Ecker & Bethge (2015), "A Neural Algorithm of Artistic Style", by doing it.

The paper's code, in reading order (README, "Reading the code", gives each file's length):

1. :mod:`nst_edu.layers`: the paper's layer names (conv4_2 …).
2. :mod:`nst_edu.vgg`: F^l, the responses of VGG-19 (average pooling, normalised filters).
3. :mod:`nst_edu.losses`: eqs. (1)-(6) and their gradients.
4. :mod:`nst_edu.objective`: eq. (7), what is minimised.
5. :mod:`nst_edu.minimize`: the loop (white noise, L-BFGS).
6. :mod:`nst_edu.synthesis`: ``synthesize()``, the call the notebooks make.

Beside them: :mod:`nst_edu.settings` (how, where, who watches), :mod:`nst_edu.ratio` (how α/β is
read), :mod:`nst_edu.results`, :mod:`nst_edu.devices`, :mod:`nst_edu.lbfgs`; everything else supports
the notebooks.
"""

from nst_edu.display import enable_figure_display

__version__ = "0.1.0"

# In a Jupyter kernel, every matplotlib Figure a cell returns is shown as a picture, with nothing
# for the reader to type (no `%matplotlib inline`); outside IPython this does nothing.
enable_figure_display()
