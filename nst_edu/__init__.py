"""nst_edu: Gatys, Ecker & Bethge (2015), "A Neural Algorithm of Artistic Style", by doing it."""

from nst_edu.display import enable_figure_display

__version__ = "0.1.0"

# In a Jupyter kernel, every matplotlib Figure a cell returns is shown as a picture, with nothing
# for the reader to type (no `%matplotlib inline`); outside IPython this does nothing.
enable_figure_display()
