"""The install story: pyproject, constraints, environment.yml, Makefile, CI and README agree."""
import os
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower()


def _env_pip_requirements() -> list[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    return [line.strip()[2:] for line in lines[start + 1:] if line.strip().startswith("- ")]


def test_environment_yml_matches_pyproject_and_constraints():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"] \
        + project["optional-dependencies"]["browser"] + project["optional-dependencies"]["book"] \
        + project["optional-dependencies"]["course"]
    env = [r for r in _env_pip_requirements() if not r.startswith("-e")]
    assert {_name(r) for r in env} == {_name(r) for r in wanted}
    pins = {_name(line): line.strip() for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")}
    assert pins == {"torch": "torch==2.14.1", "torchvision": "torchvision==0.29.1"}
    for r in env:  # the conda environment pins exactly what the constraints pin
        if _name(r) in pins:
            assert r == pins[_name(r)]
    for r in wanted:  # and the other specifiers agree
        match = [e for e in env if _name(e) == _name(r)]
        if _name(r) not in pins:
            assert match == [r]
    assert "-e ." in _env_pip_requirements()


def test_readme_quickstart_names_make_lab_and_make_test():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "make lab" in quick and "make test" in quick


def test_ci_runs_make_test_with_the_mirror():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
    assert "NST_EDU_MIRROR" in ci and "../shared/images" in ci
    make = (ROOT / "Makefile").read_text()
    for target in ("setup:", "lab:", "test:"):
        assert re.search(rf"^{target}", make, re.M)
    assert "-c constraints.txt" in make and "NST_EDU_QUICK=1" in make


def test_only_the_widgets_package_imports_ipywidgets():
    offenders = [p.relative_to(ROOT) for p in (ROOT / "nst_edu").rglob("*.py")
                 if "widgets" not in p.relative_to(ROOT / "nst_edu").parts
                 and re.search(r"^\s*(import|from) ipywidgets", p.read_text(), re.M)]
    assert offenders == []


def test_the_python_we_claim_is_the_python_we_test():
    """README, pyproject and environment.yml claim one oldest Python, and CI runs the tests on it."""
    claimed = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    oldest = re.fullmatch(r">=(3\.\d+)", claimed).group(1)
    readme = re.findall(r"Python ≥ (3\.\d+)", (ROOT / "README.md").read_text(encoding="utf-8"))
    env = re.findall(r"- python>=(3\.\d+)", (ROOT / "environment.yml").read_text())
    assert readme and set(readme) == {oldest} and env == [oldest], (oldest, readme, env)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert tuple(map(int, running.split("."))) >= tuple(map(int, oldest.split(".")))
    if os.environ.get("CI"):  # CI (.ci/run) tests the oldest version we claim, nothing newer
        assert running == oldest, f"CI ran Python {running}, but we claim {oldest}: test {oldest} or claim {running}"
