"""Notebooks are committed without outputs or execution counts (nbval runs them in CI)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").rglob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks found under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path: Path) -> None:
    if ".ipynb_checkpoints" in path.parts:
        pytest.skip("Jupyter checkpoint")
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i for i, cell in enumerate(nb["cells"])
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs or execution counts; "
        "clear them (jupyter nbconvert --clear-output --inplace)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_nbformat(path: Path) -> None:
    # nbformat 4.5 cells need an id; a cell added by a script without one warns today, fails later.
    import nbformat

    nb = json.loads(path.read_text(encoding="utf-8"))
    ids = [cell.get("id") for cell in nb["cells"]]  # before validate(), which fills missing ids in
    assert None not in ids and len(set(ids)) == len(ids), (
        f"{path.name}: cells without or with repeated ids; run nbformat's normalize"
    )
    nbformat.validate(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_installs_on_colab_and_nowhere_else(path: Path) -> None:
    """One setup cell, the same first lines everywhere; the tag it installs is this version's."""
    import tomllib

    from nst_edu.teaching.config import COLAB_SETUP

    nb = json.loads(path.read_text(encoding="utf-8"))
    first = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
    assert first.startswith(COLAB_SETUP), (f"{path.name}: the setup cell should start with "
                                           "nst_edu.teaching.config.COLAB_SETUP")
    assert sum("google.colab" in "".join(c["source"]) for c in nb["cells"]) == 1
    version = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml")
                            .read_text())["project"]["version"]
    assert f"@v{version}\"" in COLAB_SETUP


def test_the_colab_branch_is_skipped_outside_colab() -> None:
    """The branch runs IPython's %pip only under Colab; elsewhere the cell is a no-op (nbval and the
    wheel test run it for real; here, its transformed code with a recording `get_ipython`)."""
    import sys

    from IPython.core.inputtransformer2 import TransformerManager

    from nst_edu.teaching.config import COLAB_SETUP

    code = TransformerManager().transform_cell(COLAB_SETUP)
    assert "run_line_magic('pip'" in code
    calls: list = []

    class Shell:
        def run_line_magic(self, *args):
            calls.append(args)

    ns = {"get_ipython": Shell}
    exec(compile(code, "<setup>", "exec"), ns)
    assert calls == [] and "google.colab" not in sys.modules
