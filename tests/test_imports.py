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


#: The paper's code (README, "Reading the code"), at the package's root with the two modules it uses.
PAPER = {"nst_edu.layers", "nst_edu.vgg", "nst_edu.losses", "nst_edu.objective", "nst_edu.minimize",
         "nst_edu.synthesis"}
ROOT_LEAVES = {"nst_edu.layers", "nst_edu.errors"}  # import nothing of the package: every folder may use them


def _part(module: str) -> str:
    """The part of the package a module belongs to: a folder (``machinery`` …), or ``root`` for the files at
    nst_edu's root (the paper, ratio, errors, the CLI and the faces)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else "root"


#: The parts from the ground up (#42): each may import the parts below it, never one above. The paper's root
#: files may use the machinery; the notebooks' support, the paper; beyond the paper, both; widgets and the
#: course stand on all of them. The root's two leaves (layer names, errors) are used by every part.
ORDER = ["machinery", "root", "teaching", "beyond", "widgets", "grading"]
TOP = {"nst_edu", "nst_edu.__main__"}  # the package's face and the CLI: above everything


def _upward_imports(graph: dict[str, set[str]]) -> list[str]:
    rank = {p: k for k, p in enumerate(ORDER)}
    bad = []
    for m, targets in graph.items():
        if m in TOP:
            continue
        for t in targets - ROOT_LEAVES - TOP:
            if rank[_part(t)] > rank[_part(m)]:
                bad.append(f"{m} ({_part(m)}) imports {t} ({_part(t)})")
    return sorted(bad)


def test_no_part_imports_a_part_above_it():
    graph = _graph()
    assert {_part(m) for m in graph} - {"root"} <= set(ORDER), sorted({_part(m) for m in graph})
    assert _upward_imports(graph) == []


def test_the_layering_check_sees_an_import_up():
    graph = {"nst_edu.machinery.settings": {"nst_edu.vgg", "nst_edu.layers"}, "nst_edu.vgg": set(),
             "nst_edu.layers": set(), "nst_edu.teaching.figures": {"nst_edu.beyond.guidance"},
             "nst_edu.beyond.guidance": set()}
    assert _upward_imports(graph) == ["nst_edu.machinery.settings (machinery) imports nst_edu.vgg (root)",
                                      "nst_edu.teaching.figures (teaching) imports nst_edu.beyond.guidance (beyond)"]


def test_the_paper_is_six_files_at_the_root_and_the_folders_hold_the_rest():
    from nst_edu.machinery import names
    at_root = {p.stem for p in PACKAGE.glob("*.py")}
    assert at_root == {"__init__", "__main__", "errors", "ratio"} | {m.split(".")[1] for m in PAPER}
    for folder, modules in names.FOLDERS.items():
        assert {p.stem for p in (PACKAGE / folder).glob("*.py")} == {"__init__", *modules}, folder


def test_no_module_imports_an_old_path():
    from nst_edu.machinery import names
    old = {o for o in names.MOVED if o.count(".") == 1}
    used = sorted(f"{_module_name(p)} imports {t}" for p in PACKAGE.rglob("*.py") for t, names in _imports(p)
                  if t in old or any(f"{t}.{n}" in old for n in names))
    assert used == []


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


def _old_module_paths():
    from nst_edu.machinery import names
    return sorted((o, n) for o, n in names.MOVED.items() if o.count(".") == 1)


@pytest.fixture(scope="module")
def old_imports() -> dict[str, dict]:
    """Every old module path imported twice in one fresh interpreter: its warnings and whether it is the module
    at its new path."""
    import json
    code = ("import importlib, json, warnings; warnings.simplefilter('always')\n"
            "from nst_edu.machinery.names import MOVED\n"
            "out = {}\n"
            "for old, new in MOVED.items():\n"
            "    if old.count('.') != 1: continue\n"
            "    with warnings.catch_warnings(record=True) as seen:\n"
            "        first = importlib.import_module(old); again = importlib.import_module(old)\n"
            "    out[old] = {'same': first is again is importlib.import_module(new),\n"
            "                'warnings': [str(w.message) for w in seen if w.category is DeprecationWarning]}\n"
            "print(json.dumps(out))")
    return json.loads(_run(code))


@pytest.mark.parametrize("old, new", _old_module_paths())
def test_an_old_module_path_warns_once_and_is_the_module_itself(old_imports, old, new):
    seen = old_imports[old]
    assert seen["same"] and len(seen["warnings"]) == 1, seen
    assert seen["warnings"][0] == f"{old} moved to {new}: use that (the old name goes in nst-edu 0.2.0)"


@pytest.mark.parametrize("old, new", [
    ("losses.paper_ratio", "ratio.calibrated_ratio"), ("losses.exact_ratio", "ratio.printed_ratio"),
    ("losses.content_weight", "ratio.content_weight"),
    ("losses.PAPER_RATIO_CALIBRATION", "ratio.PAPER_RATIO_CALIBRATION"),
    ("losses.RatioConvention", "ratio.RatioConvention"), ("ratio.exact_ratio", "ratio.printed_ratio"),
    ("ratio.paper_ratio", "ratio.calibrated_ratio"),
])
def test_a_moved_or_renamed_name_forwards_with_a_warning(old, new):
    import importlib
    old_module, name = old.split(".")
    new_module, new_name = new.split(".")
    module = importlib.import_module(f"nst_edu.{old_module}")
    with pytest.warns(DeprecationWarning, match=f"nst_edu.{old} moved to nst_edu.{new}"):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(f"nst_edu.{new_module}"), new_name)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        module.nothing  # noqa: B018 - an unknown name is still an error


def test_the_old_convention_names_warn_and_mean_the_new_ones():
    from nst_edu import ratio
    with pytest.warns(DeprecationWarning, match="convention='paper' is now convention='calibrated'"):
        assert ratio.content_weight("paper", 512, 12) == ratio.content_weight("calibrated", 512, 12)
    with pytest.warns(DeprecationWarning, match="convention='exact' is now convention='printed'"):
        assert ratio.content_weight("exact", 512, 12) == 1.0
    from nst_edu.errors import NstEduError
    with pytest.raises(NstEduError, match="unknown ratio convention 'literal'"):
        ratio.content_weight("literal", 512, 12)


def test_the_face_hands_on_short_names_without_a_warning():
    code = ("import warnings; warnings.simplefilter('error')\n"
            "import sys, nst_edu\n"
            "assert 'torch' not in sys.modules, 'import nst_edu stays light'\n"
            "from nst_edu import figures, images, catalog, guidance, conventions, losses\n"
            "import nst_edu.teaching.figures, nst_edu.beyond.guidance\n"
            "assert figures is nst_edu.teaching.figures and guidance is nst_edu.beyond.guidance\n"
            "assert nst_edu.setup is nst_edu.teaching.config.setup and nst_edu.machinery.paths.PACKAGE_DATA.is_dir()\n"
            "assert {'setup', 'figures', 'teaching'} <= set(dir(nst_edu))\n"
            "print('ok')")
    assert _run(code).strip() == "ok"


def test_a_learner_who_asks_for_a_name_that_is_not_there_gets_an_attribute_error():
    import nst_edu
    with pytest.raises(AttributeError, match="module 'nst_edu' has no attribute 'figure'"):
        nst_edu.figure  # noqa: B018
