"""Which text says what (#43): every place a learner reads credits each fact to the text that says it.

``pytest -k attribution`` selects these. The texts: the 2015 arXiv paper, the NIPS 2015 texture paper, the CVPR 2016
version, the released code (nst_edu.teaching.sources). The notebooks (markdown and code comments), the deck, the
README, the course page and every docstring and comment of the package may not credit the 2015 paper with L-BFGS or
with the normalised network: those come from the later texts.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nst_edu.teaching import sources

REPO = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "DEVELOPERS.md", "notebooks/assignments/README.md", "notebooks/assignments/COURSE.md",
        "benchmarks/README.md"]


def _places() -> list[tuple[str, str]]:
    """(where, text) for every cell of every notebook, every document and every package file."""
    out = []
    for path in sorted((REPO / "notebooks").rglob("*.ipynb")):
        for k, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            out.append((f"{path.relative_to(REPO)} cell {k}", "".join(cell["source"])))
    # the README's copy of the table is the table itself (held to it below), not prose about it
    out += [(name, re.sub(r"<!-- which-text -->.*?<!-- /which-text -->", "", (REPO / name).read_text(encoding="utf-8"),
                          flags=re.S)) for name in DOCS]
    for p in sorted((REPO / "nst_edu").rglob("*.py")):
        if p.name != "sources.py":  # the checker's own patterns
            out += [(f"{p.relative_to(REPO)} line {line}", text) for line, text in _prose(p)]
    return out


def _prose(path: Path) -> list[tuple[int, str]]:
    """What a reader of a module reads: each docstring, string (messages) and comment, apart from the code."""
    import io
    import tokenize
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type in (tokenize.STRING, tokenize.COMMENT):
            found.append((tok.start[0], tok.string))
    return found


def test_attribution_nothing_credits_the_2015_paper_with_lbfgs_or_the_normalised_network():
    found = [f"{where}: {p}" for where, text in _places() for p in sources.attribution_problems(text)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("planted", [
    "The paper uses L-BFGS.",
    "We optimise with L-BFGS, as in the paper.",
    "VGG-19, normalised as in the paper so each filter's mean response is 1.",
    "The paper (Methods): \"We normalized the network by scaling the weights such that the mean activation of each "
    "convolutional filter over images and positions is equal to one.\"",
    "the paper's normalised VGG-19",
])
def test_attribution_check_fails_on_a_planted_claim(planted):
    assert sources.attribution_problems(f"Some text. {planted} More text.") != []


@pytest.mark.parametrize("fine", [
    "The paper says gradient descent; L-BFGS is the CVPR 2016 version's choice (§2.3).",
    "The normalised network is in the NIPS 2015 texture paper and the CVPR 2016 version, not in the arXiv paper.",
    "No normalisation by N or M, exactly as in the paper.",  # eq. (4)'s factor, not the network
    "L-BFGS converges faster than Adam here.",  # no credit to the paper
])
def test_attribution_check_passes_a_sentence_that_credits_the_right_text(fine):
    assert sources.attribution_problems(fine) == []


def test_attribution_every_cell_of_the_table_names_its_place():
    assert set(sources.TEXTS) == set(sources.TEXT_NAMES)
    for choice, said in sources.WHICH_TEXT.items():
        assert set(said) == set(sources.TEXTS), choice
        for text, cell in said.items():
            assert cell in (sources.NOT_SAID, sources.NOT_CHECKED) or cell.where, (choice, text)
    assert set(sources.NST_EDU) == set(sources.WHICH_TEXT)
    # what the arXiv paper does not say is said as such: no optimiser but gradient descent, no normalisation
    assert "L-BFGS" not in sources.WHICH_TEXT["optimiser"]["arXiv 2015"].what
    assert "no normalisation" in sources.WHICH_TEXT["network"]["arXiv 2015"].what
    assert "L-BFGS" in sources.WHICH_TEXT["optimiser"]["CVPR 2016"].what


def test_attribution_the_readme_prints_the_table_as_the_module_holds_it():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- which-text -->\n(.*?)\n<!-- /which-text -->", readme, re.S)
    assert block, "README: the table between <!-- which-text --> markers"
    assert block.group(1) == sources.which_text_table(), "update README's which-text block from which_text_table()"
