"""The package's import graph: no cycles, and no private names taken from another module.

Every ``import``/``from … import`` of an ``nst_edu`` module counts, at module level or inside a
function: an import inside a function is how a cycle is usually patched over, and it is still one.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nst_edu"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported nst_edu module, names taken from it) for every import in one file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("nst_edu")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("nst_edu"):
            out.append((node.module, [a.name for a in node.names]))
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, names in _imports(path):
            # `from nst_edu import losses` imports the module nst_edu.losses
            hits = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules] or [target]
            graph[name].update(h for h in hits if h in modules and h != name and h != "nst_edu")
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_package_has_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_no_module_takes_a_private_name_from_another():
    taken = [f"{_module_name(p)} takes {n} from {target}"
             for p in PACKAGE.rglob("*.py") for target, names in _imports(p)
             for n in names if n.startswith("_") and not n.startswith("__")]
    assert not taken, "; ".join(taken)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


#: The paper's code (README, "Reading the code") and the machinery that serves it.
PAPER = {"nst_edu.layers", "nst_edu.vgg", "nst_edu.losses", "nst_edu.objective", "nst_edu.minimize",
         "nst_edu.synthesis"}
SUPPORT = {"nst_edu.vgg_weights", "nst_edu.lbfgs", "nst_edu.allocator", "nst_edu.cache", "nst_edu.estimate",
           "nst_edu.checks",
           "nst_edu.files", "nst_edu.paths", "nst_edu.display", "nst_edu.devices"}


def test_support_code_takes_only_layer_names_from_the_papers_code():
    graph = _graph()
    assert SUPPORT <= set(graph) and PAPER <= set(graph)
    taken = {m: sorted(graph[m] & (PAPER - {"nst_edu.layers"})) for m in SUPPORT}
    assert not any(taken.values()), {m: t for m, t in taken.items() if t}


@pytest.mark.parametrize("old, new, name", [
    ("nst_edu.optimize", "nst_edu.synthesis", "synthesize"),
    ("nst_edu.experiments", "nst_edu.figures", "figure3"),
    ("nst_edu.grading_synthesis", "nst_edu.grading.synthesis", "check_ratio_study"),
    ("nst_edu.assignments", "nst_edu.grading.release", "generate"),
])
def test_a_renamed_module_forwards_for_one_release_with_a_deprecation_warning(old, new, name):
    code = ("import warnings; warnings.simplefilter('always')\n"
            "with warnings.catch_warnings(record=True) as seen:\n"
            f"    import {old} as old\n"
            f"import {new} as new; assert old.{name} is new.{name}\n"
            "print([str(w.message) for w in seen if w.category is DeprecationWarning])")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert f"{old} moved to {new}" in out
