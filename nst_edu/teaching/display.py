"""What a notebook shows: matplotlib figures as pictures, and the checks that hold notebooks to it.

Our drawing functions return a bare :class:`matplotlib.figure.Figure` (not a pyplot figure: no
global state, no second copy shown at the end of the cell). IPython turns such an object into a PNG
only once a formatter is registered for it, which normally happens when the inline backend starts,
i.e. when pyplot first makes a figure. Without it a cell shows ``<Figure size 1160x260 with 5 Axes>``.
:func:`enable_figure_display` registers IPython's own ``print_figure`` as the PNG formatter of
``Figure``; ``import nst_edu`` calls it, so every figure in a kernel that imported the package (ours,
or one a student builds with ``Figure(...)``) is shown once, as a picture, in JupyterLab, Notebook 7,
VS Code, Colab and ``nbconvert --execute`` alike.

The second half is used by the notebook display test (``notebooks/conftest.py``) and the book
builder (``book/build.py``): :func:`output_problems` says what is wrong with one cell's outputs,
:func:`declared_figures` reads how many pictures a notebook promises to show, and
:func:`figure_count_problems` holds every code cell to its own promise.

Why a promise per cell: a notebook-wide count alone can be lowered along with a cell that stopped
drawing, and nothing would notice. Each code cell that shows pictures says how many in its cell
metadata (``{"nst_edu": {"figures": 2}}``, next to the code that draws them), a cell that calls a
drawing function must promise at least one, and the notebook's total must be the sum of its cells'.
"""
from __future__ import annotations

import ast
import re
import sys
from typing import Any, Iterable, Mapping

#: A notebook's promise, in its metadata: ``{"nst_edu": {"figures": 3, "paper": "Fig. 1"}}``.
METADATA_KEY = "nst_edu"

# A cell "draws" when it calls one of our drawing functions or builds a Figure.
_DRAWS = re.compile(r"\b(draw_\w+|show_images?|Figure)\s*\(")
_FIGURE_REPR = "<Figure size"


#: The PNG text chunk that carries a picture's smallest text, in the PNG's own pixels (the deck's
#: font-size test reads it back in Chromium: ``tests/test_slides.py``).
TEXT_PX_KEY = "nst-edu smallest text px"


def smallest_text_px(fig: Any) -> float | None:
    """The height of the smallest text the figure draws, in pixels of its PNG (points × dpi / 72).

    Counts every visible, non-empty text: titles, labels, annotations, tick labels of axes that are
    drawn. None when the figure has no text. What it measures is the em size matplotlib renders, the
    same quantity as a CSS ``font-size``.
    """
    from matplotlib.text import Text

    hidden: set[int] = set()
    for ax in fig.axes:
        if not ax.axison:  # ``axis("off")``: its tick labels and axis labels are not drawn
            hidden.update(id(t) for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(Text))
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    return min(sizes) * fig.dpi / 72 if sizes else None


def _png(fig: Any) -> str:
    from IPython.core.pylabtools import print_figure  # IPython is there: a shell asked for this

    px = smallest_text_px(fig)
    metadata = {TEXT_PX_KEY: f"{px:.2f}"} if px is not None else {}
    return print_figure(fig, fmt="png", base64=True, metadata=metadata)


def enable_figure_display(shell: Any = None) -> bool:
    """Make the running IPython shell show :class:`matplotlib.figure.Figure` objects as PNG.

    Registered by name, so matplotlib is not imported until a figure is shown. A formatter that is
    already there (the inline backend, or the user's ``%config InlineBackend.figure_formats``) is
    left alone, so a figure is never rendered twice or in a format the user did not choose.

    Args:
        shell: an ``InteractiveShell``; default the running one. Outside IPython nothing happens.

    Returns:
        True when a formatter for figures is in place afterwards.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")  # never import IPython ourselves (CLI start-up)
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    png = shell.display_formatter.formatters["image/png"]
    key = ("matplotlib.figure", "Figure")
    registered = key in png.deferred_printers or any(
        f"{t.__module__}.{t.__qualname__}" == "matplotlib.figure.Figure" for t in png.type_printers)
    if not registered:
        png.for_type_by_name(*key, _png)
    return True


def cell_draws(source: str) -> bool:
    """True when a code cell calls a drawing function (``draw_*``, ``show_image(s)``, ``Figure``).

    A cell that only defines functions (and imports) draws nothing when it runs: the cell that calls them does.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (%pip, !ls): judge by the text
        tree = None
    if tree is not None and tree.body and all(
            isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) for node in tree.body):
        return False
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    return bool(_DRAWS.search(code))


def _text(value: str | Iterable[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def count_pictures(outputs: Iterable[Mapping[str, Any]]) -> int:
    """The outputs shown as a picture (``image/png``)."""
    return sum(1 for out in outputs if "image/png" in out.get("data", {}))


def output_problems(source: str, outputs: Iterable[Mapping[str, Any]]) -> list[str]:
    """What a reader would see wrong in one executed code cell; empty when it shows what it should.

    A figure's text repr instead of its picture, a tensor dump where a picture is meant, a
    traceback, or a drawing cell without any ``image/png`` output.
    """
    outputs = list(outputs)
    problems = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "error":
            problems.append(f"a traceback ({out.get('ename')}: {out.get('evalue')})")
        elif kind == "stream" and _FIGURE_REPR in _text(out.get("text", "")):
            problems.append("a figure printed as text ('<Figure size …>')")
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            plain = _text(data.get("text/plain", ""))
            if _FIGURE_REPR in plain and "image/png" not in data:
                problems.append("a figure shown as its text repr ('<Figure size …>'), not as a picture")
            elif plain.lstrip().startswith("tensor(") and cell_draws(source):
                problems.append("a tensor dump where a picture is meant")
    if cell_draws(source) and count_pictures(outputs) == 0 and not problems:
        problems.append("the cell draws but shows no picture (no image/png output)")
    return problems


def declared_figures(metadata: Mapping[str, Any]) -> int | None:
    """How many pictures a notebook's metadata says it shows, or None when it says nothing."""
    value = metadata.get(METADATA_KEY, {}).get("figures")
    return int(value) if value is not None else None


def declared_cell_figures(metadata: Mapping[str, Any]) -> int:
    """How many pictures one code cell's metadata says it shows (0 when it says nothing)."""
    return int(metadata.get(METADATA_KEY, {}).get("figures", 0))


def figure_count_problems(notebook_metadata: Mapping[str, Any],
                          cells: Iterable[tuple[str, Mapping[str, Any], int | None]]) -> list[str]:
    """What is wrong with a notebook's pictures, cell by cell; empty when each shows what it promises.

    Args:
        notebook_metadata: the notebook's metadata (its total, ``{"nst_edu": {"figures": N}}``).
        cells: per code cell, in order: its source, its metadata and the pictures it showed when run
            (``None``: not run, only the promises are checked).
    """
    problems, promised = [], 0
    for k, (source, metadata, shown) in enumerate(cells):
        declared = declared_cell_figures(metadata)
        promised += declared
        if cell_draws(source) and declared < 1:
            problems.append(f"code cell {k} draws but promises no picture: add "
                            f'{{"{METADATA_KEY}": {{"figures": {max(shown or 0, 1)}}}}} to its metadata')
        elif shown is not None and shown != declared:
            problems.append(f"code cell {k} showed {shown} pictures but its metadata promises {declared}")
    total = declared_figures(notebook_metadata)
    if total is None:
        problems.append(f'it does not declare how many pictures it shows: add {{"{METADATA_KEY}": '
                        f'{{"figures": {promised}}}}} to its metadata')
    elif total != promised:
        problems.append(f"it declares {total} pictures but its cells promise {promised}")
    return problems
