"""The display test, riding on nbval: each cell nbval runs is also checked for what a reader sees.

nbval (``pytest --nbval-lax notebooks/``) executes every cell in a fresh kernel and fails on an
exception. This hook then looks at the outputs nbval collected for the cell (``item.test_outputs``)
and fails the cell when it shows a figure's text repr (``<Figure size …>``) instead of the picture,
a tensor dump where a picture is meant, a traceback, or draws without producing an ``image/png``.
After a notebook's last cell it holds every code cell to the number of pictures its own metadata
promises (``{"nst_edu": {"figures": k}}``) and the notebook's total to their sum
(:func:`nst_edu.teaching.display.figure_count_problems`). No notebook is executed a second time.
"""
from __future__ import annotations

import pytest
from nbval.plugin import IPyNbCell, NbCellError

from nst_edu.teaching.display import count_pictures, figure_count_problems, output_problems

_seen: dict[str, dict[int, int]] = {}  # notebook node id -> {cell number: pictures shown}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    result = yield  # nbval runs the cell; an exception there fails it as before
    if not isinstance(item, IPyNbCell) or item.test_outputs is None:
        return result
    source, outputs = item.cell.source, item.test_outputs
    problems = output_problems(source, outputs)
    if problems:
        raise NbCellError(item.cell_num, "the reader would see " + "; ".join(problems), source)
    notebook = item.parent
    seen = _seen.setdefault(notebook.nodeid, {})
    seen[item.cell_num] = count_pictures(outputs)
    n_code = sum(1 for cell in notebook.nb.cells if cell.cell_type == "code")
    if len(seen) == n_code:  # the whole notebook ran: hold each cell and the total to their promises
        code = [cell for cell in notebook.nb.cells if cell.cell_type == "code"]
        problems = figure_count_problems(notebook.nb.metadata,
                                         [(c.source, c.metadata, seen[k]) for k, c in enumerate(code)])
        if problems:
            raise NbCellError(item.cell_num, f"{notebook.name}: " + "; ".join(problems), source)
    return result
