"""The CI rule of tests/ci_policy.py: under CI=true a skip fails, elsewhere it stays a skip."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

INNER = '''
import pytest

def test_needs_something_missing():
    pytest.skip("no image mirror: set NST_EDU_MIRROR")

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False

def test_runs():
    assert True
'''


@pytest.mark.parametrize("ci, failed, skipped", [("true", 1, 0), ("", 0, 1), ("1", 1, 0)])
def test_a_skip_fails_only_under_ci(pytester, monkeypatch, ci, failed, skipped):
    monkeypatch.setenv("CI", ci)
    monkeypatch.syspath_prepend(str(TESTS))
    pytester.makeconftest("from ci_policy import pytest_runtest_makereport  # noqa: F401\n")
    pytester.makepyfile(INNER)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=failed, skipped=skipped, xfailed=1)
    if failed:
        result.stdout.fnmatch_lines(["*skipped under CI=true*no image mirror*"])


def _run_ci(tmp_path, apt_get: str):
    """.ci/run with a PATH of fakes: no chromium, the given apt-get, and a make that records its CI."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("dirname", "chmod"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    fakes = {"apt-get": apt_get, "make": f'#!/bin/sh\necho "CI=$CI" > {tmp_path}/make-ran\n'}
    for name, text in fakes.items():
        (bin_ / name).write_text(text)
        (bin_ / name).chmod(0o755)
    env = {"PATH": str(bin_), "HOME": str(tmp_path)}
    run = subprocess.run(["/bin/bash", str(TESTS.parent / ".ci" / "run")], env=env, capture_output=True, text=True)
    made = tmp_path / "make-ran"
    return run, made.read_text().strip() if made.exists() else None


def test_ci_run_stops_when_chromium_cannot_be_installed(tmp_path):
    run, made = _run_ci(tmp_path, "#!/bin/sh\nexit 100\n")
    assert run.returncode != 0 and made is None, "CI went on to make test without Chromium"
    assert "chromium could not be installed" in run.stderr


def test_ci_run_installs_chromium_then_tests_with_ci_true(tmp_path):
    installs = f'#!/bin/sh\nprintf "#!/bin/sh\\n" > {tmp_path}/bin/chromium; chmod +x {tmp_path}/bin/chromium\n'
    run, made = _run_ci(tmp_path, installs)
    assert run.returncode == 0, run.stderr
    assert made == "CI=true"
