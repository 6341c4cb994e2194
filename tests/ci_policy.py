"""No silent skips in CI: under ``CI=true`` a skipped test is reported as a failure.

Several tests skip when something they need is missing on a developer's machine (the image mirror,
Chromium, nbgrader, a built book). That is a kindness at a desk and a hole in CI: a green run could
hide that the browser, wheel or book tests never ran. ``.ci/run`` sets ``CI=true``; there a skip
turns into a failure that says what was missing. Expected failures (xfail) are not skips.
"""
from __future__ import annotations

import os

import pytest

_TRUE = {"1", "true", "yes"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in _TRUE


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {reason}"
    return report
