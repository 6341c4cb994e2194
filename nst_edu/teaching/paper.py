"""The paper's equations as it prints them, one canonical text each, with nst-edu's notes beside them.

Gatys, Ecker & Bethge, "A Neural Algorithm of Artistic Style", arXiv:1508.06576v2 (2015), Methods
(eqs. (1)–(7); eq. (6) is on p. 11). Every copy of an equation that nst-edu prints — the notebooks,
the reading-session deck, the assignments, the docstrings of :mod:`nst_edu.losses` — must read as
:data:`EQUATIONS` does after :func:`normalise` (``tests/test_printed_equations.py``, selected by
``pytest -k printed``): a student copies what we print.

What a copy may add is typography (``\\left(``, ``\\,``, ``\\tfrac12``, ``\\mathsf T``) and, after a
``\\qquad``, a remark of its own (``G^l = F^l (F^l)^\\top``). Another author's formula printed beside
the paper's carries a tag of its own (``\\tag{NIS}``), never a number of the paper's.
"""
from __future__ import annotations

import re

__all__ = ["EQUATIONS", "NOTES", "SIGNATURES", "WRONG", "normalise", "equation_number"]

#: The paper's equations (1)–(7) in LaTeX, as printed (the paper writes ``^T`` for the transpose).
EQUATIONS: dict[int, str] = {
    1: r"\mathcal{L}_{content}(\vec p, \vec x, l) = \frac{1}{2} \sum_{i,j} (F^l_{ij} - P^l_{ij})^2",
    2: r"\frac{\partial \mathcal{L}_{content}}{\partial F^l_{ij}} = \begin{cases} (F^l - P^l)_{ij} & \text{if } "
       r"F^l_{ij} > 0 \\ 0 & \text{if } F^l_{ij} < 0 \end{cases}",
    3: r"G^l_{ij} = \sum_k F^l_{ik} F^l_{jk}",
    4: r"E_l = \frac{1}{4 N_l^2 M_l^2} \sum_{i,j} (G^l_{ij} - A^l_{ij})^2",
    5: r"\mathcal{L}_{style}(\vec a, \vec x) = \sum_{l=0}^{L} w_l E_l",
    6: r"\frac{\partial E_l}{\partial F^l_{ij}} = \begin{cases} \frac{1}{N_l^2 M_l^2} ((F^l)^T (G^l - A^l))_{ji} "
       r"& \text{if } F^l_{ij} > 0 \\ 0 & \text{if } F^l_{ij} < 0 \end{cases}",
    7: r"\mathcal{L}_{total}(\vec p, \vec a, \vec x) = \alpha \mathcal{L}_{content}(\vec p, \vec x) "
       r"+ \beta \mathcal{L}_{style}(\vec a, \vec x)",
}

#: What nst-edu says beside each equation: where the paper's text is terse, or where we add a convention.
NOTES: dict[int, str] = {
    1: "A sum, not a mean: its size grows with N_l·M_l (the authors' code takes a mean: nst_edu.ratio).",
    2: "F^l is read after the ReLU, so it is never negative: the paper's case F < 0 never occurs; "
       "the mask is F > 0 against F = 0, where the ReLU passes no gradient.",
    3: "G^l = F^l (F^l)^T: uncentred second moments (the paper calls them feature correlations; "
       "subtracting each filter's mean first would give covariances).",
    4: "M_l is the generated image's; nst-edu resizes the artwork to the photo's pixel count so that "
       "both have the same M_l. That is our convention, not part of eq. (4).",
    5: "w_l = 1/5 on conv1_1, conv2_1, conv3_1, conv4_1, conv5_1 and 0 on every other layer (Figs. 2–3).",
    6: "((F^l)^T (G^l − A^l))_{ji} = ((G^l − A^l) F^l)_{ij}: an N_l × M_l matrix, like F^l. "
       "As in eq. (2), F ≥ 0, so the case F < 0 never occurs.",
    7: "Only α/β matters for the image; what the paper's printed numbers mean is an open question (nst_edu.ratio).",
}

#: A display formula containing one of these (after :func:`normalise`) is a copy of that equation.
SIGNATURES: dict[int, str] = {
    1: r"(F^l_{ij}-P^l_{ij})^2",
    2: r"\partial\mathcal{L}_{content}",
    3: r"G^l_{ij}=\sum_k",
    4: r"(G^l_{ij}-A^l_{ij})^2",
    5: r"w_lE_l",
    6: r"\partialE_l",
    7: r"\alpha\mathcal{L}_{content}",
}

#: Forms that are wrong wherever they stand (any file, LaTeX or plain text): a transpose too many in eq. (6).
WRONG: dict[str, str] = {
    r")^\top_{ji}": "eq. (6) with one transpose too many: the paper prints ((F^l)^T (G^l − A^l))_{ji}",
    r")^T_{ji}": "eq. (6) with one transpose too many: the paper prints ((F^l)^T (G^l − A^l))_{ji}",
    r")^{\mathsf T}_{ji}": "eq. (6) with one transpose too many: the paper prints ((F^l)^T (G^l − A^l))_{ji}",
    ")ᵀ_{ji}": "eq. (6) with one transpose too many: the paper prints ((Fˡ)ᵀ(Gˡ − Aˡ))_{ji}",
    ")ᵀ_ji": "eq. (6) with one transpose too many: the paper prints ((Fˡ)ᵀ(Gˡ − Aˡ))_ji",
}

_DROP = re.compile(r"\\(left|right|big|Big|bigg|Bigg)(?![a-zA-Z])|\\[,;!: ]|\\displaystyle|\s+")


def normalise(latex: str) -> str:
    r"""The text of a formula without its typography, so that copies compare equal.

    Drops ``\tag{…}``, ``\left``/``\right``/``\big``, spacing commands and whitespace, ``\text{if }``;
    reads ``\tfrac12``/``\dfrac``/``\frac12`` as ``\frac{1}{2}``, ``\mathsf T``/``\top``/``T`` as the
    transpose ``^T``, ``{F^l}^T`` as ``(F^l)^T`` and ``\vec{p}`` as ``\vec p``. Keeps everything up to
    the first ``\qquad`` (what follows is a remark of the copy's own).
    """
    s = re.sub(r"\\tag\{[^}]*\}", "", latex)
    s = s.split(r"\qquad")[0]
    s = re.sub(r"\\text\{\s*if\s*\}", "", s)
    s = re.sub(r"\\(tfrac|dfrac)", r"\\frac", s)
    s = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\^\{?\\mathsf\s*\{?T\}?\}?|\^\{?\\top\}?|\^\{T\}", "^T", s)
    s = re.sub(r"\{F\^l\}\^T", "(F^l)^T", s)
    s = re.sub(r"\\vec\{(\w)\}", r"\\vec \1", s)
    s = _DROP.sub("", s.replace("\\\\", "\x00")).replace("\x00", "\\\\")  # keep LaTeX's line break \\
    return s.replace(r"\vec", r"\vec ").rstrip(".,")


def equation_number(latex: str) -> int | None:
    """Which of the paper's equations a formula is a copy of (its ``\\tag`` or its signature), if any.

    A formula tagged with anything but a number 1–7 is another author's and is none of them.
    """
    tag = re.search(r"\\tag\{([^}]*)\}", latex)
    if tag:
        return int(tag.group(1)) if tag.group(1).strip() in {str(k) for k in EQUATIONS} else None
    s = normalise(latex)
    # eq. (6) contains eq. (4)'s G − A and eq. (2)'s case split: look for the most specific first.
    for k in (6, 2, 7, 5, 4, 3, 1):
        if SIGNATURES[k] in s:
            return k
    return None
