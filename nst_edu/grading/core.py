"""The shared core of the assignment checks: results, the scoreboard, and the runner that turns a
check's body into one plain-language line (and, under nbgrader, an AssertionError)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
from torch import Tensor

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

    def __str__(self) -> str:
        return f"{_MARK[self.status]} {self.task}: {self.status.upper()} — {self.message}"

    __repr__ = __str__


@dataclass
class Summary:
    """The scoreboard at one moment; prints one line per task and "Score: passed/total"."""

    results: list[CheckResult]

    @property
    def score(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    def __str__(self) -> str:
        lines = [str(r) for r in self.results] or ["no checks have been run yet"]
        return "\n".join(lines + [f"Score: {self.score}/{self.total}"])

    __repr__ = __str__


#: task name → latest result, in the order tasks were first checked.
SCOREBOARD: dict[str, CheckResult] = {}


def reset() -> None:
    """Forget all results (the setup cell of each assignment calls it)."""
    SCOREBOARD.clear()


def summary(tasks: Sequence[str] | None = None) -> Summary:
    """The score so far; ``tasks`` lists the tasks that count (missing ones count as not run)."""
    names = list(tasks) if tasks is not None else list(SCOREBOARD)
    return Summary([SCOREBOARD.get(t, CheckResult(t, FAILED, "check not run yet")) for t in names])


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
