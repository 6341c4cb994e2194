"""Every printed copy of the paper's equations reads as the paper prints it (``pytest -k printed``).

A copy is a typeset formula — ``$$…$$``, ``\\begin{equation}``, ``$…$`` in a notebook's markdown (the
walkthrough, the deck, the assignments) or in a Markdown file, a ``.. math::`` block in a docstring —
that carries the paper's ``\\tag{k}`` or contains the signature of eq. (k) (``nst_edu.teaching.paper.SIGNATURES``).
It must equal ``nst_edu.teaching.paper.EQUATIONS[k]`` after ``nst_edu.teaching.paper.normalise``. Beside that, the
known-wrong forms (``nst_edu.teaching.paper.WRONG``) may stand in no tracked file, LaTeX or plain text.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest

from nst_edu.teaching import paper

ROOT = Path(__file__).resolve().parents[1]
_MATH = re.compile(r"\$\$(.+?)\$\$|\\begin\{equation\*?\}(.+?)\\end\{equation\*?\}|(?<![\\$])\$([^$\n]+?)\$", re.S)


def formulas_in_markdown(text: str) -> list[str]:
    """The typeset formulas of a Markdown text, display and inline."""
    return [next(g for g in m.groups() if g is not None) for m in _MATH.finditer(text)]


def formulas_in_docstrings(source: str) -> list[str]:
    """The ``.. math::`` blocks of a module's docstrings (the directive's line and the lines indented below it)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            doc = ast.get_docstring(node, clean=True) or ""
            lines = doc.splitlines()
            for i, line in enumerate(lines):
                if ".. math::" in line:
                    indent = len(line) - len(line.lstrip())
                    block = [line.split(".. math::", 1)[1]]
                    for more in lines[i + 1:]:
                        if not more.strip() or len(more) - len(more.lstrip()) <= indent:
                            break
                        block.append(more)
                    out.append("\n".join(block))
    return out


def printed_formulas() -> list[tuple[str, str]]:
    """(where, formula) for every typeset formula nst-edu shows a reader."""
    found = []
    for nb in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb.parts:
            continue
        for i, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "markdown":
                for f in formulas_in_markdown("".join(cell["source"])):
                    found.append((f"{nb.relative_to(ROOT)} cell {i}", f))
    for md in [ROOT / "README.md", ROOT / "DEVELOPERS.md", *sorted((ROOT / "notebooks").rglob("*.md"))]:
        for f in formulas_in_markdown(md.read_text(encoding="utf-8")):
            found.append((str(md.relative_to(ROOT)), f))
    for py in sorted((ROOT / "nst_edu").rglob("*.py")):
        for f in formulas_in_docstrings(py.read_text(encoding="utf-8")):
            found.append((str(py.relative_to(ROOT)), f))
    return found


def misprinted(formulas: list[tuple[str, str]]) -> list[str]:
    """One line per copy of an equation that does not read as the paper prints it."""
    problems = []
    for where, formula in formulas:
        k = paper.equation_number(formula)
        if k is not None and paper.normalise(formula) != paper.normalise(paper.EQUATIONS[k]):
            problems.append(f"{where}: eq. ({k}) printed as {paper.normalise(formula)!r}, "
                            f"the paper prints {paper.normalise(paper.EQUATIONS[k])!r}")
    return problems


def test_printed_equations_read_as_the_paper_prints_them():
    formulas = printed_formulas()
    copies = {paper.equation_number(f) for _, f in formulas}
    assert copies >= set(paper.EQUATIONS), f"the scan found no copy of eqs. {set(paper.EQUATIONS) - copies}"
    assert not misprinted(formulas), "\n".join(misprinted(formulas))


def test_printed_known_wrong_forms_stand_nowhere():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    own = {"nst_edu/teaching/paper.py", "tests/test_printed_equations.py"}
    problems = []
    for name in files:
        path = ROOT / name
        if name in own or not path.is_file() or path.suffix not in {".py", ".ipynb", ".md", ".j2", ".txt", ".json"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace").replace("\\\\", "\\")  # a notebook's JSON escapes
        problems += [f"{name}: {why}" for wrong, why in paper.WRONG.items() if wrong in text]
    assert not problems, "\n".join(problems)


def test_printed_masks_say_the_responses_are_never_negative():
    """Where eq. (2) or (6) is printed in a notebook, the same cell says the case F < 0 cannot occur."""
    missing = []
    for nb in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for i, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
            text = "".join(cell["source"])
            numbers = {paper.equation_number(f) for f in formulas_in_markdown(text)}
            if cell["cell_type"] == "markdown" and numbers & {2, 6}:
                if "never negative" not in text:
                    missing.append(f"{nb.relative_to(ROOT)} cell {i}")
    assert not missing, f"eq. (2)/(6) printed without saying F is never negative (the F < 0 case is vacuous): {missing}"


# The checker itself: each planted misprint is found, each typographic variant passes.
@pytest.mark.parametrize("wrong", [
    r"\frac{\partial E_l}{\partial F^l_{ij}} = \begin{cases} \frac{1}{N_l^2 M_l^2}\left(\left(F^l\right)^\top\left(G^l - A^l\right)\right)^\top_{ji} & \text{if } F^l_{ij} > 0 \\ 0 & \text{if } F^l_{ij} < 0 \end{cases}",  # noqa: E501
    r"E_l = \frac{1}{N_l^2 M_l^2} \sum_{i,j}\left(G^l_{ij} - A^l_{ij}\right)^2",  # the 4 forgotten
    r"\mathcal{L}_{content}(\vec p, \vec x, l) = \sum_{i,j}\left(F^l_{ij} - P^l_{ij}\right)^2",  # the ½ forgotten
    r"\mathcal{L}_{total}(\vec p, \vec a, \vec x) = \beta\,\mathcal{L}_{content}(\vec p, \vec x) + \alpha\,\mathcal{L}_{style}(\vec a, \vec x) \tag{7}",  # noqa: E501
    r"G^l_{ij} = \sum_k F^l_{ik} F^l_{kj}",
])
def test_printed_misprints_are_found(wrong):
    assert misprinted([("planted", wrong)])


@pytest.mark.parametrize("variant", [
    r"\mathcal{L}_{content}(\vec{p}, \vec{x}, l) = \tfrac12 \sum_{i,j}\left(F^l_{ij} - P^l_{ij}\right)^2 \tag{1}",
    r"G^l_{ij} = \sum_k F^l_{ik}\, F^l_{jk} \qquad \left(G^l = F^l {F^l}^{\mathsf T}\right)",
    r"\frac{\partial E_l}{\partial F^l_{ij}} = \begin{cases} \frac{1}{N_l^2 M_l^2}\big(\left(F^l\right)^{\mathsf T}\left(G^l - A^l\right)\big)_{ji} & F^l_{ij} > 0 \\ 0 & F^l_{ij} < 0 \end{cases}",  # noqa: E501
    r"\frac{1}{N_l M_l}\sum_{i,j}(F^l_{ij}-P^l_{ij})^2 \tag{NIS}",  # another author's, labelled as such
])
def test_printed_typographic_variants_pass(variant):
    assert not misprinted([("variant", variant)])


def test_printed_formulas_are_found_in_docstrings_and_markdown():
    doc = ('def f():\n    r"""Eq. (4).\n\n    .. math:: E_l = \\frac{1}{4 N_l^2 M_l^2}\n'
           '              \\sum_{i,j} x\n\n    Args: none\n    """\n')
    words = ["E_l", "=", "\\frac{1}{4", "N_l^2", "M_l^2}", "\\sum_{i,j}", "x"]
    assert [f.split() for f in formulas_in_docstrings(doc)] == [words]
    assert formulas_in_markdown("a $x$ and $$y \\tag{1}$$ but not \\$5 or $") == ["x", "y \\tag{1}"]
