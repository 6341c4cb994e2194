"""Fixtures shared by the unit tests, and the CI rule that a skip is a failure (tests/ci_policy.py)."""
import os
from pathlib import Path

import pytest
import torch
from ci_policy import pytest_runtest_makereport  # noqa: F401 - the hook, registered by its name here

from nst_edu import vgg

# pytester: tests/test_ci_policy.py runs pytest inside pytest; cli_fixtures: the command line's two test files;
# tiny_images: the photo and painting of the synthesis tests
pytest_plugins = ["pytester", "cli_fixtures", "tiny_images"]

# The network's precision "auto" is bfloat16 on processors that have it, except in quick mode: a test run
# without NST_EDU_QUICK (pytest by hand) keeps float32's numbers too. The robustness sweep sets it to bfloat16.
os.environ.setdefault("NST_EDU_PRECISION", "float32")


def pytest_collection_modifyitems(config, items):
    """Under ``make mutate`` the fastest tests first. mutmut names a mutant's tests in no order and
    stops at the first failure (-x), so a slow test first costs its time for every mutant caught."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    stats = Path("mutmut-stats.json")  # mutmut runs the tests in mutants/, where its timings are
    if not mutant or mutant in ("stats", "fail", "list_all_tests") or not stats.is_file():
        return
    import json

    seconds = json.loads(stats.read_text(encoding="utf-8")).get("duration_by_test", {})
    items.sort(key=lambda item: seconds.get(item.nodeid, float("inf")))


@pytest.fixture(scope="session")
def model():
    """A VGG-19 with random weights on conv1_1 and conv2_1: fast, and enough to test the loss code.
    (Test files that need other layers or the real weights define their own ``model``.)"""
    torch.manual_seed(0)
    return vgg.vgg19(weights=None, layers=["conv1_1", "conv2_1"])


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The folder of catalogue images (``NST_EDU_MIRROR``, as ``make test`` and CI set it)."""
    folder = os.environ.get("NST_EDU_MIRROR")
    if not folder or not Path(folder).is_dir():
        pytest.skip("no image mirror: set NST_EDU_MIRROR to the folder of catalogue images (../shared/images)")
    return Path(folder)
