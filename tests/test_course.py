"""The course from the student's side (#45): one truth for the points and the checks' conditions
(nst_edu/grading/course.py), held to everything a student or an instructor reads.

* every notebook's nbgrader points, its "**Points:**" line, its task headings, the printed score and both course
  pages agree with the registry;
* every condition a check tests is stated, word for word, between the task's heading and its check cell;
* the release carries the students' page (COURSE.md), which the notebooks name, and no instructor text.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from nst_edu import grading
from nst_edu.grading import core
from nst_edu.grading.course import ASSIGNMENTS, Assignment
from nst_edu.grading.release import BEGIN, END, STUDENT_PAGE, generate

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "assignments"
NUMBERS = sorted(ASSIGNMENTS)


def _nb(a: Assignment) -> nbformat.NotebookNode:
    return nbformat.read(SRC / a.notebook, as_version=4)


def _meta(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def graded_parts(nb: nbformat.NotebookNode) -> list[tuple[str, int, bool, int]]:
    """(task name, points, automatic?, index of the graded cell) as the nbgrader metadata has them: a check cell
    counts for the solution cell above it; a written answer (or a task cell) for itself."""
    parts, task = [], None
    for i, cell in enumerate(nb.cells):
        m = _meta(cell)
        if m.get("solution") and cell.cell_type == "code":
            task = m["grade_id"]
        elif m.get("grade") and not m.get("solution") and cell.cell_type == "code":
            assert task is not None, f"check cell {i} without a solution cell above it"
            parts.append((task, m["points"], True, i))
            task = None
        elif (m.get("grade") and m.get("solution")) or m.get("task"):
            parts.append((m["grade_id"], m["points"], False, i))
    return parts


def unstated(nb: nbformat.NotebookNode, a: Assignment) -> list[str]:
    """The conditions of a's checks that the text between the task's heading and its check cell does not state."""
    missing = []
    for name, _, auto, at in graded_parts(nb):
        if not auto:
            continue
        heading = max(i for i in range(at) if nb.cells[i].cell_type == "markdown"
                      and re.search(r"^## ", nb.cells[i].source, re.M))
        text = "\n".join(c.source for c in nb.cells[heading:at] if c.cell_type == "markdown")
        task = next(t for t in a.tasks if t.name == name)
        missing += [f"{a.notebook}, {name}: {c}" for c in task.conditions if c not in text]
    return missing


@pytest.mark.parametrize("number", NUMBERS)
def test_the_registry_is_the_notebooks_nbgrader_metadata(number: int) -> None:
    a = ASSIGNMENTS[number]
    assert sorted((t.name, t.points, t.auto) for t in a.tasks) == sorted(p[:3] for p in graded_parts(_nb(a)))


@pytest.mark.parametrize("number", NUMBERS)
def test_the_notebook_states_its_points(number: int) -> None:
    a, nb = ASSIGNMENTS[number], _nb(ASSIGNMENTS[number])
    said = re.search(r"\*\*Points:\*\* (\d+) \((\d+) checked automatically, (\d+) graded by hand", nb.cells[0].source)
    assert said, f"{a.notebook}: cell 0 should say **Points:** N (A checked automatically, H graded by hand)"
    assert tuple(map(int, said.groups())) == (a.auto_points + a.hand_points, a.auto_points, a.hand_points)
    for name, points, _, at in graded_parts(nb):
        if _meta(nb.cells[at]).get("task"):
            continue  # assignment 7's "method and figures" grades sections 2 and 3 together: its cell says so
        heading = [line for c in nb.cells[: at + 1] if c.cell_type == "markdown"
                   for line in c.source.splitlines() if line.startswith("## ")][-1]
        assert re.search(rf"\b{points} points?\b", heading), f"{a.notebook}, {name}: {heading!r} should state {points}"


@pytest.mark.parametrize("number", NUMBERS)
def test_every_condition_of_a_check_is_stated_above_it(number: int) -> None:
    assert unstated(_nb(ASSIGNMENTS[number]), ASSIGNMENTS[number]) == []


def test_a_condition_the_text_does_not_state_is_found() -> None:
    """Assignment 4's texture check refused a copy of the painting's pixels before its task text said so (#45)."""
    a = ASSIGNMENTS[4]
    nb = _nb(a)
    for cell in nb.cells:
        cell.source = cell.source.replace("- no copy of the painting's pixels", "- (left out)")
    assert unstated(nb, a) == [f"{a.notebook}, reconstruct_style: no copy of the painting's pixels: its RMS distance "
                               "to the painting more than a quarter of the noise's"]


@pytest.mark.parametrize("number", NUMBERS)
def test_the_score_counts_the_stated_points(number: int) -> None:
    a = ASSIGNMENTS[number]
    grading.reset(assignment=number)
    for t in a.tasks:
        if t.auto:
            core.SCOREBOARD[t.name] = grading.CheckResult(t.name, grading.PASSED, "ok")
    printed = str(grading.summary())
    if a.auto_points:
        assert f"Score: {a.auto_points}/{a.auto_points} points checked automatically" in printed
    for t in a.tasks:
        assert (f"{t.name} ({t.points} point" if t.auto else f"{t.title} ({t.points} point") in printed
    grading.reset(assignment=number)
    if a.auto_points:
        assert f"Score: 0/{a.auto_points} points" in str(grading.summary())  # checks not run count, as not passed
    grading.reset()


def test_an_unknown_assignment_is_refused() -> None:
    with pytest.raises(ValueError, match="assignments"):
        grading.reset(assignment=8)


def _table(page: str, section: str) -> list[list[str]]:
    body = page.split(section, 1)[1].split("\n## ", 1)[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in body.splitlines()
            if line.startswith("|") and not line.startswith("|---")][1:]


def test_both_course_pages_state_the_points() -> None:
    course = (SRC / STUDENT_PAGE).read_text(encoding="utf-8")
    rows = {int(r[0]): r[3] for r in _table(course, "## The assignments")}
    assert rows == {n: f"{a.auto_points} + {a.hand_points}" for n, a in ASSIGNMENTS.items()}
    auto = sum(a.auto_points for a in ASSIGNMENTS.values())
    hand = sum(a.hand_points for a in ASSIGNMENTS.values())
    assert f"{auto + hand} points: {auto} checked automatically, {hand} graded by hand" in course.replace("\n", " ")
    instructor = (SRC / "README.md").read_text(encoding="utf-8")
    assert f"({auto} points checked automatically, {hand} by hand)" in instructor.replace("\n", " ")


def test_the_instructor_page_lists_each_checks_conditions() -> None:
    instructor = (SRC / "README.md").read_text(encoding="utf-8")
    rows = {r[0]: r[1:] for r in _table(instructor, "## What the automatic points test")}
    expected = {f"{n}, `{t.name}`": [str(t.points), "; ".join(t.conditions)]
                for n, a in ASSIGNMENTS.items() for t in a.tasks if t.auto}
    assert rows == expected


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("release") / "assignments"
    generate(SRC, dst)
    return dst


def test_the_release_carries_the_students_page(release: Path) -> None:
    assert (release / STUDENT_PAGE).read_bytes() == (SRC / STUDENT_PAGE).read_bytes()
    assert sorted(p.name for p in release.iterdir()) == sorted([a.notebook for a in ASSIGNMENTS.values()]
                                                               + [STUDENT_PAGE])


def test_the_students_page_has_no_instructor_text(release: Path) -> None:
    page = (release / STUDENT_PAGE).read_text(encoding="utf-8")
    instructor = (SRC / "README.md").read_text(encoding="utf-8")
    assert "For instructors" not in page and "for instructors" not in page.lower()
    assert "walkthrough_solutions" not in page and "instructor/" not in page and BEGIN not in page
    copied = [line for line in instructor.splitlines() if len(line) > 50 and line in page]
    assert copied == [], copied[:3]
    solutions = [line.strip() for a in ASSIGNMENTS.values() for c in _nb(a).cells if BEGIN in c.source
                 for line in c.source.split(BEGIN, 1)[1].split(END, 1)[0].splitlines() if len(line.strip()) > 40]
    assert solutions and not [line for line in solutions if line in page]


def test_every_file_a_released_notebook_sends_students_to_is_in_the_release(release: Path) -> None:
    named = set()
    for a in ASSIGNMENTS.values():
        text = "\n".join(c.source for c in nbformat.read(release / a.notebook, as_version=4).cells)
        assert "README.md" not in text, f"{a.notebook} names README.md, which the release does not have"
        assert STUDENT_PAGE in text, f"{a.notebook} does not say where the course page is"
        named |= set(re.findall(r"`([\w.-]+\.(?:md|ipynb))`", text))
    assert named and all((release / name).is_file() for name in named), named


def test_nbgrader_grades_in_the_mode_students_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """`nbgrader autograde` (NBGRADER_EXECUTION) runs a submission in full mode unless NST_EDU_QUICK says otherwise, so
    the pictures the instructor grades a written answer by are the student's; before #45 it switched to quick mode."""
    from nst_edu.machinery.modes import quick_mode

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.delenv("NST_EDU_QUICK", raising=False)
    assert not quick_mode()
    monkeypatch.setenv("NST_EDU_QUICK", "1")
    assert quick_mode()
