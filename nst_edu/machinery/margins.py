"""How far an asserted claim is from failing: its margin, written down for the robustness sweep.

A claim such as ``style_gain > 3`` holds on one machine with some room to spare. The *margin* is that room
as a fraction of the numbers compared: for ``a < b`` (or ``b > a``) it is ``(b - a) / max(|a|, |b|)``, 0.25
when the smaller side is a quarter below the larger, negative when the claim fails. ``make test-robust``
(``scripts/robust_sweep.py``) runs every notebook and the synthesis tests under several machines' worth of
variation (CPU kernels, threads, seeds) and reports each claim's smallest margin: a claim with little
room on one machine fails on the next one.

Nothing is written unless ``NST_EDU_MARGINS`` names a file (the sweep sets it); then each call of
:func:`record` appends one JSON line. The notebooks' and tests' ``assert`` statements are measured without
a change to them (``tests/claim_margins.py`` rewrites them during the sweep); the assignment checks
(:mod:`nst_edu.grading`) call :func:`record` for the thresholds they hold a student's result to.
"""
from __future__ import annotations

import json
import math
import os
from typing import Any

ENV = "NST_EDU_MARGINS"
#: The comparisons a margin is defined for, and which side must be the larger one.
ORDERS = {"<": "right", "<=": "right", ">": "left", ">=": "left"}


def as_number(x: Any) -> float | None:
    """``x`` as a float when it is one real number (int, float, a one-element tensor or array), else None."""
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    numel = getattr(x, "numel", None) or getattr(x, "size", None)
    try:
        count = numel() if callable(numel) else numel
        if count == 1 and hasattr(x, "item"):
            value = x.item()
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    except (TypeError, ValueError, RuntimeError):
        return None
    return None


def margin(lhs: Any, op: str, rhs: Any) -> float | None:
    """The room ``lhs op rhs`` has, relative to the larger of the two (see the module's docstring); None when
    ``op`` is not an order or a side is not one real number (an exact claim: it holds or it does not)."""
    a, b = as_number(lhs), as_number(rhs)
    if op not in ORDERS or a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    gap = (b - a) if ORDERS[op] == "right" else (a - b)
    scale = max(abs(a), abs(b))
    return gap / scale if scale > 0 else 0.0


def record(claim: str, lhs: Any, op: str, rhs: Any, *, where: str = "", passed: bool | None = None) -> None:
    """Append ``claim``'s margin to the file ``NST_EDU_MARGINS`` names (nothing when it is unset)."""
    path = os.environ.get(ENV)
    if not path:
        return
    m = margin(lhs, op, rhs)
    if passed is None:
        passed = m is not None and m >= 0 and (m > 0 or op in ("<=", ">="))
    write(path, {"where": where, "claim": claim, "passed": bool(passed), "margin": m,
                 "values": [[as_number(lhs), op, as_number(rhs)]]})


def write(path: str, entry: dict[str, Any]) -> None:
    """One JSON line, tagged with the sweep's variation (``NST_EDU_VARIATION``)."""
    entry = {"variation": os.environ.get("NST_EDU_VARIATION", ""), **entry}
    with open(path, "a", encoding="utf-8") as f:  # one short line a claim: appends from one process at a time
        f.write(json.dumps(entry) + "\n")


__all__ = ["ENV", "as_number", "margin", "record", "write"]
