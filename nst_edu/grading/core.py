"""The shared core of the assignment checks: results, the scoreboard, and the runner that turns a
check's body into one plain-language line (and, under nbgrader, an AssertionError)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
from torch import Tensor

from nst_edu.grading.course import ASSIGNMENTS, Assignment, task
from nst_edu.machinery import margins
from nst_edu.machinery.modes import under_nbgrader

PASSED, FAILED, NOT_IMPLEMENTED, ERROR = "passed", "failed", "not implemented yet", "error"
_MARK = {PASSED: "✔", FAILED: "✘", NOT_IMPLEMENTED: "…", ERROR: "✘"}


@dataclass
class CheckResult:
    """The outcome of one check. ``value`` holds what the student's function returned on the
    notebook's own data, where a check runs it on such data (e.g. the images of the ratio study)."""

    task: str
    status: str
    message: str
    value: Any = None

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    def line(self, points: int | None = None) -> str:
        """"✔ gram_matrix: PASSED — …", with the task's points after its name when given."""
        label = self.task if points is None else f"{self.task} ({_points(points)})"
        return f"{_MARK[self.status]} {label}: {self.status.upper()} — {self.message}"

    def __str__(self) -> str:
        return self.line()

    __repr__ = __str__


def _points(n: int) -> str:
    return f"{n} point" + ("" if n == 1 else "s")


@dataclass
class Summary:
    """The scoreboard at one moment, in points: one line per check, then "Score: 5/5 points checked
    automatically" and, for the assignment :func:`reset` named, the points graded by hand with their rubric."""

    results: list[CheckResult]
    assignment: Assignment | None = None

    def points(self, result: CheckResult) -> int:
        known = task(result.task)
        return known.points if known is not None else 1

    @property
    def score(self) -> int:
        """Points of the checks that passed."""
        return sum(self.points(r) for r in self.results if r.passed)

    @property
    def total(self) -> int:
        """Points of all the checks listed."""
        return sum(self.points(r) for r in self.results)

    def __str__(self) -> str:
        lines = [r.line(self.points(r)) for r in self.results]
        if self.results or self.assignment is None:
            lines.append(f"Score: {self.score}/{self.total} points checked automatically")
        else:
            lines.append("No automatic checks in this assignment.")
        hand = [t for t in self.assignment.tasks if not t.auto] if self.assignment else []
        if hand:
            parts = "; ".join(f"{t.title} ({_points(t.points)})" for t in hand)
            lines.append(f"Graded by hand: {parts}. The rubrics are in COURSE.md, in this folder.")
        return "\n".join(lines)

    __repr__ = __str__


#: task name → latest result, in the order tasks were first checked.
SCOREBOARD: dict[str, CheckResult] = {}
_ASSIGNMENT: list[Assignment] = []  # the assignment reset() named: summary() lists its tasks


def reset(assignment: int | None = None) -> None:
    """Forget all results; the setup cell of assignment N calls ``reset(assignment=N)``, so that
    :func:`summary` lists every task of it with its points, checked or not."""
    SCOREBOARD.clear()
    _ASSIGNMENT.clear()
    if assignment is not None:
        if assignment not in ASSIGNMENTS:
            raise ValueError(f"assignment={assignment!r}: the course has assignments {sorted(ASSIGNMENTS)}")
        _ASSIGNMENT.append(ASSIGNMENTS[assignment])


def summary(tasks: Sequence[str] | None = None) -> Summary:
    """The score so far, in points. ``tasks`` lists the checks that count (missing ones count as not run);
    by default the automatic tasks of the assignment :func:`reset` named, else every check run so far."""
    current = _ASSIGNMENT[0] if _ASSIGNMENT else None
    if tasks is not None:
        names = list(tasks)
    elif current is not None:
        names = [t.name for t in current.tasks if t.auto]
    else:
        names = list(SCOREBOARD)
    return Summary([SCOREBOARD.get(t, CheckResult(t, FAILED, "check not run yet")) for t in names], current)


class Fail(Exception):
    """A property does not hold; the message is what the student reads."""


class Checker:
    def __init__(self, task: str = "") -> None:
        self.task = task
        self.doing = "starting the check"

    def measure(self, claim: str, lhs: float, op: str, rhs: float) -> bool:
        """``lhs op rhs`` for a threshold on a measured result; its margin goes to the robustness sweep's log
        (:mod:`nst_edu.machinery.margins`, only while ``make test-robust`` runs)."""
        held = {"<": lhs < rhs, "<=": lhs <= rhs, ">": lhs > rhs, ">=": lhs >= rhs}[op]
        margins.record(claim, lhs, op, rhs, where=f"check:{self.task}", passed=held)
        return held

    def call(self, doing: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        self.doing = doing
        return fn(*args, **kwargs)

    def expect(self, condition: Any, message: str) -> None:
        if not bool(condition):
            raise Fail(message)


def run_check(task: str, body: Callable[[Checker], tuple[str, Any]]) -> CheckResult:
    ck = Checker(task)
    try:
        message, value = body(ck)
        result = CheckResult(task, PASSED, message, value)
    except Fail as fail:
        result = CheckResult(task, FAILED, str(fail))
    except NotImplementedError as exc:
        hint = f" (hint: {exc})" if str(exc) else ""
        result = CheckResult(task, NOT_IMPLEMENTED, f"replace the `raise NotImplementedError` with your code{hint}")
    except Exception as exc:  # noqa: BLE001 - a student's bug must never crash the notebook
        text = " ".join(str(exc).split()) or "no message"
        result = CheckResult(task, ERROR, f"{type(exc).__name__} while {ck.doing}: {text[:300]}")
    SCOREBOARD[task] = result
    if not result.passed and under_nbgrader():
        raise AssertionError(str(result))
    return result


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(*shape: int, seed: int) -> Tensor:
    return torch.randn(*shape, generator=generator(seed), dtype=torch.float64)


def close(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol))


def scalar(ck: Checker, x: Any, what: str) -> float:
    ck.expect(isinstance(x, (Tensor, float, int)) and torch.as_tensor(x).numel() == 1,
              f"{what} should be a single number (a scalar), got {describe(x)}")
    return float(x)


def describe(x: Any) -> str:
    return f"a tensor of shape {tuple(x.shape)}" if isinstance(x, Tensor) else f"a {type(x).__name__}"
