"""Make the student versions of the assignment notebooks: ``python -m nst_edu.assignments SRC DST``.

Instructor notebooks mark solutions nbgrader-style::

    def gram_matrix(F):
        ### BEGIN SOLUTION
        # HINT: flatten with as_matrix, then multiply by the transpose
        ...
        ### END SOLUTION

In code cells each block (markers included) becomes ``raise NotImplementedError("<hint>")`` at the
indentation of its BEGIN line, the hint taken from a ``# HINT:`` line inside the block (else a
generic one). In markdown cells (written answers) a block becomes "YOUR ANSWER HERE". Nothing else
in the cell changes. Outputs, execution counts and metadata are stripped. The notebooks are written
to a temporary folder next to DST which then replaces DST, so DST is never half written.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
GENERIC_HINT = "replace this line with your solution"
ANSWER = "YOUR ANSWER HERE"
_HINT = re.compile(r"^\s*#\s*HINT:\s*(.*?)\s*$")
_KEEP_METADATA = ("kernelspec", "language_info")


class SolutionMarkerError(ValueError):
    """A BEGIN without END (or the reverse) in an instructor notebook."""


def strip_solutions(source: str, markdown: bool = False, where: str = "cell") -> str:
    """Replace every solution block of one cell's source (see the module docstring)."""
    out: list[str] = []
    block: list[str] | None = None
    indent = ""
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if block is not None:
                raise SolutionMarkerError(f"{where}, line {number}: {BEGIN!r} inside another solution block")
            block, indent = [], line[: len(line) - len(line.lstrip())]
        elif stripped.startswith(END):
            if block is None:
                raise SolutionMarkerError(f"{where}, line {number}: {END!r} without a {BEGIN!r} before it")
            out.append(indent + _placeholder(block, markdown))
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise SolutionMarkerError(f"{where}: {BEGIN!r} without a matching {END!r}")
    return "\n".join(out)


def _placeholder(block: list[str], markdown: bool) -> str:
    hints = [m.group(1) for m in map(_HINT.match, block) if m and m.group(1)]
    if markdown:
        return ANSWER + (f" (hint: {hints[0]})" if hints else "")
    return f"raise NotImplementedError({json.dumps(hints[0] if hints else GENERIC_HINT, ensure_ascii=False)})"


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """A copy of ``nb`` with solutions replaced and outputs, counts and metadata stripped."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # deep copy
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in _KEEP_METADATA}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type in ("code", "markdown"):
            cell.source = strip_solutions(cell.source, cell.cell_type == "markdown", f"{name}, cell {i}")
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.pop("attachments", None)
    return nb


def generate(src: str | os.PathLike, dst: str | os.PathLike) -> list[Path]:
    """Write the student version of every ``*.ipynb`` in ``src`` into ``dst`` (replaced as a whole)."""
    src, dst = Path(src), Path(dst)
    notebooks = sorted(p for p in src.glob("*.ipynb") if p.is_file())
    if not notebooks:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {src}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}-", dir=dst.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private (0700); the release folder is not
    try:
        for path in notebooks:
            nb = student_notebook(nbformat.read(path, as_version=4), path.name)
            nbformat.validate(nb)
            nbformat.write(nb, tmp / path.name)
        old = dst.with_name(f".{dst.name}-old")
        if old.exists():
            shutil.rmtree(old)
        if dst.exists():
            dst.rename(old)
        tmp.rename(dst)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return [dst / p.name for p in notebooks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nst_edu.assignments", description=__doc__.splitlines()[0])
    parser.add_argument("src", help="folder of instructor notebooks (notebooks/assignments)")
    parser.add_argument("dst", help="output folder, replaced as a whole (release/assignments)")
    args = parser.parse_args(argv)
    try:
        written = generate(args.src, args.dst)
    except (OSError, SolutionMarkerError, nbformat.ValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
