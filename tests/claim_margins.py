"""Every ``assert`` measured, not only passed: the margins of the robustness sweep (``make test-robust``).

``scripts/robust_sweep.py`` loads this file into every notebook kernel (an IPython extension) and into
pytest (``-p claim_margins``). Each ``assert`` is rewritten so that the comparisons in it report how far
they were from failing (:func:`nst_edu.machinery.margins.margin`) before the assert decides as it did before:

    assert gain > 3, "…"   →   _nst_claims_.begin(LINE, "gain > 3")
                               assert _nst_claims_.end(_nst_claims_.compare((">",), [gain, 3])), "…"

The operands are evaluated once each, left to right (a chain ``a < b < c`` evaluates ``c`` even when
``a < b`` fails: the asserts we rewrite compare values, not calls with side effects). A claim's margin is
the smallest margin among the comparisons that held it up (those that came out true); a failed claim
gets the smallest of all. ``==``, ``in`` and calls such as ``torch.allclose`` give no margin: such a claim
is exact, and the report only says whether it held. ``x == pytest.approx(y, rel=…)`` gives
``1 - |x - y| / tolerance``.

Outside the sweep nothing here runs: the notebooks and ``make test`` see their asserts unchanged.
"""
from __future__ import annotations

import ast
import hashlib
import operator
from typing import Any

from nst_edu.machinery.margins import ENV, as_number, margin, write

NAME = "_nst_claims_"
_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
        ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}
_APPLY = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
          "!=": operator.ne, "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
          "is": operator.is_, "is not": operator.is_not}


def cell_key(source: str) -> str:
    """How a notebook cell is named in the log: a hash of its source (the sweep maps it back to the cell)."""
    return "cell:" + hashlib.sha1(source.encode()).hexdigest()[:16]


class _Compares(ast.NodeTransformer):
    """Inside one assert's test: each comparison becomes a call that measures it."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        ops = ast.Tuple([ast.Constant(_OPS[type(op)]) for op in node.ops], ast.Load())
        operands = ast.List([node.left, *node.comparators], ast.Load())
        call = ast.Call(ast.Attribute(ast.Name(NAME, ast.Load()), "compare", ast.Load()), [ops, operands], [])
        return ast.copy_location(call, node)


class ClaimTransformer(ast.NodeTransformer):
    """Rewrites every ``assert`` of a module (a notebook cell, a test file) as the module's docstring shows.

    An assert whose lines carry the comment ``# exact`` states an invariant that holds by construction (a
    run's inner time below its outer one, the first window under a threshold): it is logged without a
    margin, as an exact claim. ``source`` is the module's text, where the comments are."""

    def __init__(self, source: str = "") -> None:
        self.lines = source.splitlines()

    def _marked_exact(self, node: ast.Assert) -> bool:
        end = getattr(node, "end_lineno", None) or node.lineno
        return any("# exact" in line for line in self.lines[node.lineno - 1:end])

    def visit_Assert(self, node: ast.Assert) -> list[ast.stmt]:
        text = ast.unparse(node.test)
        begin = ast.Expr(ast.Call(ast.Attribute(ast.Name(NAME, ast.Load()), "begin", ast.Load()),
                                  [ast.Constant(node.lineno), ast.Constant(text)], []))
        test = node.test if self._marked_exact(node) else _Compares().visit(node.test)
        end = ast.Call(ast.Attribute(ast.Name(NAME, ast.Load()), "end", ast.Load()), [test], [])
        new = ast.Assert(end, node.msg)
        for stmt in (begin, new):
            ast.copy_location(stmt, node)
        ast.fix_missing_locations(begin)
        ast.fix_missing_locations(new)
        return [begin, new]


def _approx_margin(a: Any, b: Any) -> float | None:
    """``a == pytest.approx(b)``: the room left inside the tolerance, as a fraction of it."""
    for x, ap in ((a, b), (b, a)):
        tolerance, expected = getattr(ap, "tolerance", None), getattr(ap, "expected", None)
        value, exp = as_number(x), as_number(expected)
        if tolerance is not None and value is not None and exp is not None:
            try:
                tol = float(tolerance)
            except (TypeError, ValueError):
                return None
            return 1 - abs(value - exp) / tol if tol > 0 else None
    return None


def _elementwise(outcome: Any) -> bool:
    """A comparison of tensors or arrays answers with many truth values, not one."""
    shape = getattr(outcome, "shape", None)
    if shape is None:
        return False
    count = 1
    for n in tuple(shape):
        count *= int(n)
    return count != 1


class Recorder:
    """Collects the comparisons of the assert being evaluated and writes one line per assert."""

    def __init__(self) -> None:
        self.where = ""
        self._stack: list[tuple[int, str, list[tuple[bool, float | None, list]]]] = []

    def begin(self, line: int, text: str) -> None:
        self._stack.append((line, text, []))

    def compare(self, ops: tuple[str, ...], values: list[Any]) -> Any:
        result: Any = True
        for op, a, b in zip(ops, values, values[1:]):
            outcome = _APPLY[op](a, b)
            if self._stack:
                m = margin(a, op, b) if op in ("<", "<=", ">", ">=") else (_approx_margin(a, b) if op == "==" else None)
                try:
                    held = bool(outcome)
                except (TypeError, ValueError, RuntimeError):  # an elementwise comparison: decided later
                    held = True
                self._stack[-1][2].append((held, m, [as_number(a), op, as_number(b)]))
            if _elementwise(outcome):
                return outcome  # a tensor or array of comparisons: the assert decides with all()/any()
            if not outcome:
                return outcome
            result = outcome
        return result

    def end(self, value: Any) -> Any:
        if not self._stack:
            return value
        line, text, seen = self._stack.pop()
        try:
            passed = bool(value)
        except Exception:  # noqa: BLE001 - the assert itself raises the same error next
            return value
        measured = [m for held, m, _ in seen if m is not None and (held or not passed)]
        path = _log_path()
        if path:
            write(path, {"where": self.where, "line": line, "claim": text, "passed": passed,
                         "margin": min(measured) if measured else None,
                         "values": [v for _, m, v in seen if m is not None][:4]})
        return value


RECORDER = Recorder()


def _log_path() -> str | None:
    import os
    return os.environ.get(ENV) or None


# --- in a notebook kernel ---------------------------------------------------------------------------------
def load_ipython_extension(ip: Any) -> None:
    """Measure every assert of the cells this kernel runs; each line names its cell by :func:`cell_key`."""
    ip.user_ns[NAME] = RECORDER
    transformer = ClaimTransformer()
    ip.ast_transformers.append(transformer)

    def before(info: Any) -> None:
        RECORDER.where = cell_key(info.raw_cell or "")
        transformer.lines = (info.raw_cell or "").splitlines()  # for the `# exact` comments
        ip.user_ns[NAME] = RECORDER  # a cell that cleared the namespace gets it back

    ip.events.register("pre_run_cell", before)


# --- in pytest (-p claim_margins) ---------------------------------------------------------------------------
def pytest_configure(config: Any) -> None:
    """Add the measuring rewrite in front of pytest's own assert rewrite (test files and conftests)."""
    from _pytest.assertion import rewrite

    import nst_edu.machinery.margins
    # In pytest a test's own asserts are the claims: an assignment check that a test feeds a wrong answer on
    # purpose must fail, and its thresholds are no claim (the instructor notebooks' checks are, in the kernels).
    nst_edu.machinery.margins.record = lambda *args, **kwargs: None
    original = rewrite.rewrite_asserts

    def measuring(mod: ast.Module, source: bytes, module_path: str | None = None, config: Any = None) -> None:
        root = getattr(config, "rootpath", None) if config is not None else None
        if not _ours(module_path, root):  # a plugin's own asserts (hypothesis …) are not our claims
            return original(mod, source, module_path, config)
        ClaimTransformer(source.decode("utf-8", "replace")).visit(mod)
        position = 0  # after the docstring and `from __future__` imports
        for k, stmt in enumerate(mod.body):
            is_doc = k == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            if is_doc or (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
                position = k + 1
        imp = ast.ImportFrom("claim_margins", [ast.alias("RECORDER", NAME)], 0)
        mod.body.insert(position, ast.fix_missing_locations(imp))
        original(mod, source, module_path, config)

    rewrite.rewrite_asserts = measuring


def _ours(module_path: str | None, root: Any = None) -> bool:
    """A test file or conftest under the session's root folder (not an installed package's module)."""
    from pathlib import Path
    if not module_path:
        return False
    path, root = Path(module_path).resolve(), Path(root or Path(__file__).resolve().parents[1]).resolve()
    if not path.is_relative_to(root):
        return False
    parts = path.relative_to(root).parts
    return not any(p.startswith(".") or p == "site-packages" for p in parts)


def pytest_runtest_setup(item: Any) -> None:
    RECORDER.where = "test:" + item.nodeid
