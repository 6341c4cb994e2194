"""Interactive widgets for the notebooks: this package is the only place that imports ipywidgets.

* :class:`StyleTransferExplorer`: pick a photograph and an artwork (and a second one to blend with),
  α/β, layers, size, steps, init and pooling; Run starts :func:`~nst_edu.synthesis.synthesize` in a
  background thread, so the kernel stays responsive; a live preview, a progress bar and a loss plot
  follow it; Stop ends it within one step and keeps the best image; Save writes a PNG.
* :class:`FeatureMapBrowser`, :class:`GramViewer`: look at F^l and G^l of an image.
* :class:`RatioExplorer` and :func:`ratio_grid`: a slider over α/β results computed once.

Every object displays as its ``.widget``. Mistakes (a file that is not an image, no layer ticked, Run
while running, a control moved during a run) show up as one line in the widget, never as a traceback;
``inputs.py`` holds what makes a user's input safe (uploads decoded, huge photos shrunk, decompression
bombs refused; exceptions in handlers turned into a line).

Modules: ``explorer.py`` (the explorer's run control: Run, Stop, Save, the worker thread, previews),
``panel.py`` (the explorer's widgets built and arranged, and the images and layers chosen), ``inputs.py``,
``viewers.py`` (the read-only viewers), ``pictures.py`` (images, heat maps and loss plots as PNG bytes).
"""
from __future__ import annotations

from nst_edu.widgets.explorer import UPLOADED, StyleTransferExplorer
from nst_edu.widgets.pictures import heatmap_png, loss_plot_png, png_bytes
from nst_edu.widgets.viewers import DEFAULT_RATIOS, FeatureMapBrowser, GramViewer, RatioExplorer, ratio_grid

__all__ = ["StyleTransferExplorer", "FeatureMapBrowser", "GramViewer", "RatioExplorer", "ratio_grid",
           "DEFAULT_RATIOS", "png_bytes", "heatmap_png", "loss_plot_png", "UPLOADED"]
