"""Make the student versions of the assignment notebooks: ``python -m nst_edu.grading.release SRC DST``.

The instructor notebooks are nbgrader source notebooks (cell metadata, schema version 3: solution
cells, locked autograded check cells with ``grade_id`` and ``points``, the written answer a manually
graded cell), and mark solutions the nbgrader way::

    def gram_matrix(F):
        # HINT: flatten with as_matrix, then multiply by the transpose
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

With nbgrader, ``nbgrader generate_assignment`` makes the student versions. Without it, this module
makes the same ones: each block (markers included) becomes nbgrader's stub at the indentation of its
BEGIN line — ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` in code, "YOUR ANSWER HERE" in
markdown — so hints belong *above* the block, where students keep them. Nothing else in the cell
changes. Outputs, execution counts and metadata are stripped. The students' course page, ``COURSE.md``, goes
with them (the notebooks point to it by that name; the folder's README.md is the instructors'). Everything is
written to a temporary folder next to DST which then replaces DST, so DST is never half written.
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

__all__ = ["ANSWER", "BEGIN", "CODE_STUB", "END", "STUDENT_PAGE", "SolutionMarkerError", "generate", "main",
           "strip_solutions", "student_notebook"]

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"  # nbgrader's delimiters, matched anywhere in a line
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")  # nbgrader's ClearSolutions stubs
ANSWER = "YOUR ANSWER HERE"
_HINT = re.compile(r"^\s*#\s*HINT:")
_KEEP_METADATA = ("kernelspec", "language_info")


class SolutionMarkerError(ValueError):
    """A BEGIN without END (or the reverse), or a hint the students would lose, in an instructor notebook."""


def strip_solutions(source: str, markdown: bool = False, where: str = "cell") -> str:
    """Replace every solution block of one cell's source (see the module docstring)."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN in line:
            if inside:
                raise SolutionMarkerError(f"{where}, line {number}: {BEGIN!r} inside another solution block")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in ((ANSWER,) if markdown else CODE_STUB))
        elif END in line:
            if not inside:
                raise SolutionMarkerError(f"{where}, line {number}: {END!r} without a {BEGIN!r} before it")
            inside = False
        elif inside:
            if _HINT.match(line):
                raise SolutionMarkerError(f"{where}, line {number}: a # HINT: inside a solution block is removed "
                                          "with it; move it above the BEGIN SOLUTION line")
        else:
            out.append(line)
    if inside:
        raise SolutionMarkerError(f"{where}: {BEGIN!r} without a matching {END!r}")
    return "\n".join(out)


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


#: The students' course page, copied into the release beside the notebooks (which point to it by this name);
#: the folder's README.md is the instructors' page and stays behind.
STUDENT_PAGE = "COURSE.md"


def generate(src: str | os.PathLike, dst: str | os.PathLike) -> list[Path]:
    """Write the student version of every ``*.ipynb`` in ``src``, and the students' course page
    (:data:`STUDENT_PAGE`), into ``dst`` (replaced as a whole).

    Only the notebooks directly in ``src``: its sub-folders are the instructor's (``instructor/`` holds the
    solutions to the walkthrough's exercises) and nothing in them reaches the students.
    """
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
        pages = [src / STUDENT_PAGE] if (src / STUDENT_PAGE).is_file() else []
        for page in pages:
            shutil.copyfile(page, tmp / page.name)
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
    return [dst / p.name for p in notebooks + pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nst_edu.grading.release", description=__doc__.splitlines()[0])
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
