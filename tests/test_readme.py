"""README's "Reading the code": the files it names, in an order each file can be read in, at the length it says."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## Reading the code", 1)[1].split("\n## ", 1)[0]
PAPER = re.findall(r"^\| \d \| `nst_edu/(\w+)\.py` \| (\d+) \|", SECTION, re.M)
BESIDE = re.findall(r"^\| `nst_edu/([\w/]+)\.py` \| (\d+) \|", SECTION, re.M)


def test_the_paper_is_six_files_and_their_lengths_are_right():
    assert [name for name, _ in PAPER] == ["layers", "vgg", "losses", "objective", "minimize", "synthesis"]
    total = int(re.search(r"six files[^,]*, (\d+) lines", SECTION).group(1))
    actual = {}
    for name, said in PAPER + BESIDE:
        actual[name] = len((ROOT / "nst_edu" / f"{name}.py").read_text(encoding="utf-8").splitlines())
        assert abs(int(said) - actual[name]) <= 0.1 * actual[name], \
            f"{name}.py has {actual[name]} lines, README says {said}"
    paper_total = sum(actual[name] for name, _ in PAPER)
    assert abs(total - paper_total) <= 0.1 * paper_total


def test_each_paper_file_uses_only_the_ones_above_it():
    order = [name for name, _ in PAPER]
    for k, name in enumerate(order):
        tree = ast.parse((ROOT / "nst_edu" / f"{name}.py").read_text(encoding="utf-8"))
        used = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nst_edu"):
                used.add(node.module.split(".")[1] if "." in node.module else None)
                if node.module == "nst_edu":
                    used.update(a.name for a in node.names)
        later = used & set(order[k + 1:])
        assert not later, f"{name}.py imports {sorted(later)}, which README puts after it"
