"""Where a name lives: the package's faces, and the one table of names that moved.

* **Faces.** A learner types short names: ``import nst_edu`` then ``nst_edu.setup(...)``, and
  ``from nst_edu import figures, images``. :func:`face` makes a package hand on the modules of its folders
  by their short names, imported on first use (PEP 562), so ``python -m nst_edu`` stays as light as it was.
  Each module has one home (``nst_edu/teaching/figures.py``); the short name is how the face hands it on.
* **Moved names** (:data:`MOVED`, #42): the old import paths of the flat layout, the four renamed modules
  before it, and the ratio conversions renamed with their conventions (#43; the conventions' old values
  "paper" and "exact" are read by ``nst_edu.ratio.check_convention``). ``import nst_edu.figures`` and
  ``from nst_edu.losses import paper_ratio`` still work for one release (until :data:`REMOVED_IN`) and warn once
  with a ``DeprecationWarning`` that names the new path.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any, Callable

#: The release in which the old names of :data:`MOVED` stop working (README, "Old names").
REMOVED_IN = "0.2.0"

#: The folders and their modules (README, "Reading the code"): the paper's files stay at the package's root.
FOLDERS: dict[str, tuple[str, ...]] = {
    "beyond": ("guidance", "control", "multiscale", "conventions", "departures"),
    "teaching": ("figures", "diagram", "deck", "display", "measures", "images", "catalog", "config", "paper",
                 "sources"),
    "machinery": ("settings", "results", "checks", "estimate", "cache", "allocator", "devices", "lbfgs", "files",
                  "paths", "vgg_weights", "precision", "margins", "modes", "names"),
}

#: Old path → new path, for one release. Modules of the flat layout (#42), the four renamed before it, and
#: the α/β names that lived in nst_edu.losses.
MOVED: dict[str, str] = {
    **{f"nst_edu.{m}": f"nst_edu.{folder}.{m}" for folder, ms in FOLDERS.items() for m in ms
       if m not in ("modes", "names", "sources", "departures")},  # new in #42-#44: no old path
    "nst_edu.experiments": "nst_edu.teaching.figures",
    "nst_edu.optimize": "nst_edu.synthesis",
    "nst_edu.assignments": "nst_edu.grading.release",
    "nst_edu.grading_synthesis": "nst_edu.grading.synthesis",
    **{f"nst_edu.losses.{n}": f"nst_edu.ratio.{n}"
       for n in ("RatioConvention", "PAPER_RATIO_CALIBRATION", "content_weight")},
    # the conversions, renamed with the conventions (#43): "paper" → "calibrated", "exact" → "printed"
    "nst_edu.losses.exact_ratio": "nst_edu.ratio.printed_ratio",
    "nst_edu.losses.paper_ratio": "nst_edu.ratio.calibrated_ratio",
    "nst_edu.ratio.exact_ratio": "nst_edu.ratio.printed_ratio",
    "nst_edu.ratio.paper_ratio": "nst_edu.ratio.calibrated_ratio",
}


def _warn(old: str, new: str, stacklevel: int) -> None:
    warnings.warn(f"{old} moved to {new}: use that (the old name goes in nst-edu {REMOVED_IN})",
                  DeprecationWarning, stacklevel=stacklevel)


class _Alias(importlib.abc.Loader):
    """Loads an old module path as the module at its new one (the same object: state is shared)."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        _warn(self.old, self.new, stacklevel=3)  # import machinery's frames are skipped: the importer's line
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        pass  # already executed under its new name

    def get_code(self, fullname: str):  # noqa: ANN201 - `python -m <old name>` runs the new one
        return compile(f"import runpy, warnings\nwarnings.warn({self.old!r} + ' moved to ' + {self.new!r}, "
                       f"DeprecationWarning)\nrunpy.run_module({self.new!r}, run_name='__main__', alter_sys=True)",
                       f"<{self.old}>", "exec")


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None or "." not in new or fullname.count(".") != 1:
            return None
        try:  # an old attribute path (nst_edu.losses.x) is not a module: only modules are aliased here
            importlib.util.find_spec(new)
        except (ImportError, ValueError):
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(fullname, new))


def install() -> None:
    """Put the finder of old module paths on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())


def forward(module: str) -> Callable[[str], Any]:
    """A module's ``__getattr__`` that hands on the names :data:`MOVED` lists under it, warning."""
    def __getattr__(name: str) -> Any:
        new = MOVED.get(f"{module}.{name}")
        if new is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        _warn(f"{module}.{name}", new, stacklevel=3)
        home, _, attr = new.rpartition(".")
        return getattr(importlib.import_module(home), attr)
    return __getattr__


def face(package: str, modules: dict[str, str], extra: dict[str, Callable[[], Any]] | None = None
         ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package that hands on ``modules`` ({short name: module}) and
    ``extra`` ({name: a function that returns it}), each imported when first asked for."""
    extra = extra or {}

    def __getattr__(name: str) -> Any:
        if name in modules:
            return importlib.import_module(modules[name])
        if name in extra:
            return extra[name]()
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*sys.modules[package].__dict__, *modules, *extra})

    return __getattr__, __dir__


def folder_modules(folder: str) -> dict[str, str]:
    """{short name: module} of one folder of :data:`FOLDERS`."""
    return {m: f"nst_edu.{folder}.{m}" for m in FOLDERS[folder]}


__all__ = ["FOLDERS", "MOVED", "REMOVED_IN", "face", "folder_modules", "forward", "install"]
