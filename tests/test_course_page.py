"""The students' course page (notebooks/assignments/COURSE.md): its schedule gives each assignment only after the
notebooks it reads first have been taught in class (#43: assignment 2 was set in week 1 while notebook 04 came in
week 2)."""
from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "notebooks" / "assignments" / "COURSE.md"


def notebooks_named(text: str) -> set[int]:
    """The walkthrough notebooks a text names: "notebooks 00–02", "notebook 04", "notebooks 03 and 07"."""
    found = set()
    for run in re.findall(r"notebooks?\s+((?:\d\d(?:–\d\d)?(?:,\s*|\s+and\s+)?)+)", text):
        for part in re.split(r",\s*|\s+and\s+", run.strip()):
            if part:
                a, _, b = part.partition("–")
                found.update(range(int(a), int(b or a) + 1))
    return found


def rows(section: str) -> list[list[str]]:
    body = PAGE.read_text(encoding="utf-8").split(section, 1)[1].split("\n## ", 1)[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in body.splitlines()
            if line.startswith("|") and not line.startswith("|---")][1:]


def read_first() -> dict[int, set[int]]:
    return {int(r[0]): notebooks_named(r[2]) for r in rows("## The assignments")}


def schedule() -> list[tuple[set[int], set[int]]]:
    """(notebooks in class, assignments at home) per week."""
    return [(notebooks_named(r[1]), {int(n) for n in re.findall(r"\b(\d)\s*\(", r[2])})
            for r in rows("## A suggested schedule")]


def late_assignments(first: dict[int, set[int]], weeks: list[tuple[set[int], set[int]]]) -> list[str]:
    taught: set[int] = set()
    late = []
    for k, (in_class, given) in enumerate(weeks, 1):
        taught |= in_class
        late += [f"assignment {a} in week {k} reads notebooks {sorted(first[a] - taught)} not yet taught"
                 for a in sorted(given) if first[a] - taught]
    return late


def test_the_parser_reads_notebook_lists():
    assert notebooks_named("notebooks 00–02 together") == {0, 1, 2}
    assert notebooks_named("assignments 1–6; notebooks 03 and 07") == {3, 7}
    assert notebooks_named("notebooks 05, 06 and 07, Appendix A") == {5, 6, 7}


def test_every_assignment_is_given_once_after_the_notebooks_it_reads():
    first, weeks = read_first(), schedule()
    assert sorted(a for _, given in weeks for a in given) == sorted(first) == list(range(1, 8))
    assert late_assignments(first, weeks) == []


def test_the_check_sees_an_assignment_given_too_early():
    first = {1: {0, 1, 2}, 2: {4}}
    assert late_assignments(first, [({0, 1, 2}, {1, 2}), ({3, 4}, set())]) == [
        "assignment 2 in week 1 reads notebooks [4] not yet taught"]


def test_the_page_says_what_to_know_before_and_how_points_make_a_grade():
    text = PAGE.read_text(encoding="utf-8")
    assert "**What you need to know.**" in text and "autograd" in text
    assert "## Points and the grade" in text and "38 points" in text
    assert all(r[3] for r in rows("## A suggested schedule")), "each week says what to read"
