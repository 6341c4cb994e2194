"""The assignment notebooks and their student versions (nst_edu.assignments).

Instructor notebooks must pass every check when executed in quick mode; the generated student
notebooks must run to the end, report "not implemented yet" and score 0, and contain no solution.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nst_edu.grading import release as assignments
from nst_edu.grading.course import ASSIGNMENTS
from nst_edu.grading.release import BEGIN, END, SolutionMarkerError, generate, strip_solutions

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "notebooks" / "assignments"
NOTEBOOKS = sorted(p.name for p in SRC.glob("*.ipynb"))
#: automatic points per notebook (nst_edu/grading/course.py): the summary must show this many.
EXPECTED_CHECKS = {a.notebook: a.auto_points for a in ASSIGNMENTS.values()}  # assignment 7: 0, a project
AUTOGRADED = [name for name, checks in sorted(EXPECTED_CHECKS.items()) if checks]
PROJECT = "07_mini_project.ipynb"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits this process's environment.
    monkeypatch.setenv("NST_EDU_QUICK", "1")
    mirror = ROOT.parent / "shared" / "images"
    if "NST_EDU_MIRROR" not in os.environ and mirror.is_dir():
        monkeypatch.setenv("NST_EDU_MIRROR", str(mirror))


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("release") / "assignments"
    generate(SRC, dst)
    return dst


def _execute(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _texts(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def _score(nb: nbformat.NotebookNode) -> tuple[int, int]:
    text = _texts(nb.cells[-1])
    m = re.search(r"Score: (\d+)/(\d+)", text)
    assert m, f"the last cell should print the score, got {text!r}"
    return int(m.group(1)), int(m.group(2))


def _solution_lines(nb: nbformat.NotebookNode) -> list[str]:
    lines, inside = [], False
    for cell in nb.cells:
        for line in cell.source.split("\n"):
            s = line.strip()
            if BEGIN in s:
                inside = True
            elif END in s:
                inside = False
            elif inside and s:
                lines.append(s)
    return lines


def test_every_notebook_is_known() -> None:
    assert NOTEBOOKS == sorted(EXPECTED_CHECKS)


@pytest.mark.parametrize("name", AUTOGRADED)
def test_instructor_notebook_passes_all_checks(name: str) -> None:
    nb = _execute(SRC / name)
    assert _score(nb) == (EXPECTED_CHECKS[name], EXPECTED_CHECKS[name]), _texts(nb.cells[-1])
    if name == "05_total_variation.ipynb":
        _assert_the_tv_pictures_show_the_claim(nb)


def _assert_the_tv_pictures_show_the_claim(nb: nbformat.NotebookNode) -> None:
    """Assignment 5 asks students to point at the pictures and their TV per pixel: in the mode it runs (quick mode
    here, 64 px) the weight 1e-4 must visibly remove speckle and 1e-2 smooth far more (#45: at 32 px and 8 steps
    the three were the same noise, 0.078, 0.078, 0.069). Measured: 0.080, 0.057, 0.011 (seeds 1 and 2, portable
    kernels with one thread: the same to two digits)."""
    table = next(_texts(c) for c in nb.cells if "TV per pixel  α·L_content" in _texts(c))
    rows = [line.split() for line in table.splitlines() if re.match(r"\s*[\d.e-]+\s+\d", line)]
    per_pixel = {float(r[0]): float(r[1]) for r in rows}
    assert sorted(per_pixel) == [0.0, 1e-4, 1e-2], table
    assert per_pixel[1e-4] < 0.85 * per_pixel[0.0] and per_pixel[1e-2] < per_pixel[1e-4] / 3, per_pixel
    assert sum(isinstance(o.get("data", {}).get("image/png"), str) for c in nb.cells for o in c.get("outputs", [])) == 1


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_instructor_notebook_is_committed_clean(name: str) -> None:
    nb = nbformat.read(SRC / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert _solution_lines(nb), "an instructor notebook should contain solutions"
    setup = [c for c in nb.cells if c.cell_type == "code" and "nst_edu.setup(" in c.source]
    assert len(setup) == 1


@pytest.mark.parametrize("name", AUTOGRADED)
def test_student_notebook_runs_and_reports_not_implemented(name: str, release: Path) -> None:
    nb = _execute(release / name)  # raises CellExecutionError if any cell fails
    assert _score(nb) == (0, EXPECTED_CHECKS[name])
    checks = [c for c in nb.cells if c.cell_type == "code" and "grading.check_" in c.source]
    assert checks
    for cell in checks:
        assert "NOT IMPLEMENTED YET" in _texts(cell), cell.source
    assert "Traceback" not in json.dumps(nb)


def test_the_project_runs_for_the_instructor_and_waits_for_the_student(release: Path) -> None:
    """The mini-project: the instructor's example runs and draws its figures; the student's version runs
    through, says what is not written yet and asks for every hand-graded answer."""
    teacher = _execute(SRC / PROJECT)
    assert "not implemented yet" not in json.dumps(teacher)
    assert sum(o.get("data", {}).get("image/png") is not None for c in teacher.cells for o in c.get("outputs", [])) == 2
    student = _execute(release / PROJECT)
    said = "".join(_texts(c) for c in student.cells)
    assert "run_project is not implemented yet" in said and "Traceback" not in json.dumps(student)
    answers = [c for c in student.cells if c.cell_type == "markdown" and "YOUR ANSWER HERE" in c.source]
    manual = [c for c in nbformat.read(SRC / PROJECT, as_version=4).cells
              if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == len(manual) == 2


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_has_no_solution_text(name: str, release: Path) -> None:
    solution = _solution_lines(nbformat.read(SRC / name, as_version=4))
    student = nbformat.read(release / name, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    student_lines = {line.strip() for line in text.split("\n")}
    # Code outside the placeholders (whose hints are meant to be read) must not quote the solution either.
    code = "\n".join(line for c in student.cells if c.cell_type == "code" for line in c.source.split("\n")
                     if not line.lstrip().startswith("# HINT:"))
    assert BEGIN not in text and END not in text
    for line in solution:
        assert line not in student_lines, line
        if len(line) >= 15:
            assert line not in code, line
    assert student.metadata.keys() <= {"kernelspec", "language_info"}
    for cell in student.cells:
        assert cell.metadata == {}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_changes_only_solution_blocks(name: str, release: Path) -> None:
    teacher = nbformat.read(SRC / name, as_version=4)
    student = nbformat.read(release / name, as_version=4)
    assert [c.cell_type for c in teacher.cells] == [c.cell_type for c in student.cells]
    for t, s in zip(teacher.cells, student.cells):
        if BEGIN not in t.source:
            assert t.source == s.source


# ------------------------------------------------------------------- the generator itself
def test_block_becomes_nbgraders_stub_and_the_hint_above_stays() -> None:
    src = ("def f(x):\n    '''doc'''\n    # HINT: add one\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n"
           "    ### END SOLUTION\n\nprint(1)")
    out = strip_solutions(src)
    assert out == ("def f(x):\n    '''doc'''\n    # HINT: add one\n    # YOUR CODE HERE\n"
                   "    raise NotImplementedError()\n\nprint(1)")
    ns: dict = {}
    exec(compile(out, "<cell>", "exec"), ns)
    with pytest.raises(NotImplementedError):
        ns["f"](1)


def test_nested_indentation() -> None:
    src = "class A:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 42\n        ### END SOLUTION"
    out = strip_solutions(src)
    assert out == "class A:\n    def f(self):\n        # YOUR CODE HERE\n        raise NotImplementedError()"
    compile(out, "<cell>", "exec")


def test_a_hint_inside_a_block_is_an_error_students_would_lose_it() -> None:
    with pytest.raises(SolutionMarkerError, match="move it above"):
        strip_solutions("### BEGIN SOLUTION\n# HINT: use F @ F.T\nG = 1\n### END SOLUTION")


def test_two_blocks_in_one_cell() -> None:
    src = "a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\nc = 3\n### BEGIN SOLUTION\nd = 4\n### END SOLUTION"
    out = strip_solutions(src)
    assert out.count("raise NotImplementedError") == 2 and "b = 2" not in out and "d = 4" not in out
    assert "a = 1" in out and "c = 3" in out


def test_markdown_answer_block() -> None:
    out = strip_solutions("Explain.\n\n### BEGIN SOLUTION\nBecause of eq. (7).\n### END SOLUTION", markdown=True)
    assert out == f"Explain.\n\n{assignments.ANSWER}"


@pytest.mark.parametrize(
    "src",
    [
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
    ],
)
def test_unbalanced_markers_are_errors(src: str) -> None:
    with pytest.raises(SolutionMarkerError):
        strip_solutions(src)


def _notebook(path: Path, source: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="secret output")]
    nb.cells[0].execution_count = 3
    nb.cells[0].metadata["tags"] = ["x"]
    nbformat.write(nb, path)


def test_generate_replaces_destination_and_strips(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "out" / "assignments"
    src.mkdir()
    _notebook(src / "a.ipynb", "### BEGIN SOLUTION\nsecret = 1\n### END SOLUTION")
    dst.mkdir(parents=True)
    (dst / "stale.ipynb").write_text("{}")
    assert assignments.main([str(src), str(dst)]) == 0
    assert sorted(p.name for p in dst.iterdir()) == ["a.ipynb"]
    cell = nbformat.read(dst / "a.ipynb", as_version=4).cells[0]
    assert cell.outputs == [] and cell.execution_count is None and cell.metadata == {}
    assert "secret" not in (dst / "a.ipynb").read_text()
    assert sorted(p.name for p in dst.parent.iterdir()) == ["assignments"]  # no temporary folders left
    umask = os.umask(0)
    os.umask(umask)
    assert dst.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's private 0700


def test_failed_generation_leaves_destination_untouched(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "assignments"
    src.mkdir()
    _notebook(src / "a.ipynb", "### BEGIN SOLUTION\nsecret = 1\n### END SOLUTION")
    generate(src, dst)
    before = (dst / "a.ipynb").read_text()
    _notebook(src / "b.ipynb", "### BEGIN SOLUTION\nunclosed = 1")
    assert assignments.main([str(src), str(dst)]) == 1
    assert sorted(p.name for p in dst.iterdir()) == ["a.ipynb"] and (dst / "a.ipynb").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assignments", "src"]


def test_the_old_module_name_still_runs_and_warns(tmp_path):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-W", "always::DeprecationWarning", "-m", "nst_edu.assignments", "--help"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "SRC" in run.stdout.upper()
    assert "moved to nst_edu.grading.release" in run.stderr


def test_the_walkthrough_solutions_stay_out_of_the_student_release(tmp_path: Path) -> None:
    """`make assignments` (python -m nst_edu.grading.release) ships the assignment notebooks only: the
    instructor's solutions to the walkthrough's exercises (notebooks/assignments/instructor/) never
    reach the students, neither as a file nor as text inside a student notebook."""
    solutions = sorted((SRC / "instructor").glob("*.ipynb"))
    assert solutions, "the instructor's solutions to the walkthrough's exercises are missing"
    dst = tmp_path / "release"
    done = subprocess.run([sys.executable, "-m", "nst_edu.grading.release", str(SRC), str(dst)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shipped = sorted(str(p.relative_to(dst)) for p in dst.rglob("*"))
    assert shipped == sorted(NOTEBOOKS + ["COURSE.md"])
    released = "\n".join(p.read_text(encoding="utf-8") for p in dst.glob("*.ipynb"))
    for path in solutions:
        nb = nbformat.read(path, as_version=4)
        answers = [line.strip() for c in nb.cells if c.cell_type == "markdown" for line in c.source.split("\n")
                   if len(line.strip()) > 60 and not line.startswith(">")]  # the answers, not the quoted exercises
        assert answers
        leaked = [line for line in answers if json.dumps(line)[1:-1] in released]
        assert not leaked, leaked[:3]
