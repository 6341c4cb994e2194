"""Where nst_edu reads and writes files, in a git checkout and in an installed package alike.

* **Package data** (read only, shipped in the wheel): ``nst_edu/data/`` holds the image catalogue
  (``catalog.json``), the VGG-19 normalisation statistics (``vgg19_caffe_filter_means.pt``) and the
  measured ratio balance (``ratio_balance.json``). Nothing at run time reads the top-level ``data/``.
* **The image cache** (written on first use): ``$NST_EDU_DATA_DIR`` if set; else ``data/cache/`` of
  a writable checkout (``make lab``, ``make test``); else the per-user cache folder of the platform
  (``~/.cache/nst-edu/images`` on Linux, honouring ``XDG_CACHE_HOME``; via ``platformdirs``), which
  is what ``pip install``, Colab, Binder and JupyterHub images get.
"""
from __future__ import annotations

import os
from pathlib import Path

#: Files shipped inside the package (nst_edu/data/; this file is nst_edu/machinery/paths.py).
PACKAGE_DATA = Path(__file__).resolve().parents[1] / "data"
#: The folder above the package: the checkout's root, or site-packages when installed.
_ABOVE = Path(__file__).resolve().parents[2]


def checkout_root() -> Path | None:
    """The root of the git checkout nst_edu runs from, or None for an installed package."""
    return _ABOVE if (_ABOVE / "pyproject.toml").is_file() and (_ABOVE / "notebooks").is_dir() else None


def image_cache_dir() -> Path:
    """The folder downloaded (or mirrored) catalogue images are kept in (see the module docstring)."""
    configured = os.environ.get("NST_EDU_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    root = checkout_root()
    if root is not None and os.access(root, os.W_OK):
        return root / "data" / "cache"
    import platformdirs  # only here: a checkout never needs it

    return Path(platformdirs.user_cache_dir("nst-edu", appauthor=False)) / "images"
