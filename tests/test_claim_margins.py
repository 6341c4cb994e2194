"""The robustness sweep's measurements (#40): each assert's margin (nst_edu.machinery.margins, tests/claim_margins.py),
the sweep's variations and its report (scripts/robust_sweep.py), and the seed override it uses."""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import claim_margins
import pytest
import torch

from nst_edu.errors import NstEduError
from nst_edu.machinery import margins
from nst_edu.teaching import config

REPO = Path(__file__).resolve().parents[1]


def _sweep():
    spec = importlib.util.spec_from_file_location("robust_sweep", REPO / "scripts" / "robust_sweep.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["robust_sweep"] = module
    spec.loader.exec_module(module)
    return module


sweep = _sweep()


@pytest.mark.parametrize(("lhs", "op", "rhs", "expected"), [
    (0.2, "<", 0.25, 0.2), (0.25, ">", 0.2, 0.2), (3.35, ">", 2.0, 1.35 / 3.35),
    (0.2377, "<", 0.2283, (0.2283 - 0.2377) / 0.2377),  # notebook 03's Fig. 3 claim on an AVX-512 machine (#40)
    (torch.tensor(4.0), ">=", 1, 0.75), (-1.0, "<", 1.0, 2.0), (0.0, "<=", 0.0, 0.0),
])
def test_the_margin_is_the_room_as_a_fraction_of_the_larger_side(lhs, op, rhs, expected) -> None:
    assert margins.margin(lhs, op, rhs) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize(("lhs", "op", "rhs"), [(1, "==", 1), ("a", "<", "b"), (torch.ones(3), "<", 2),
                                                (True, "<", 2), (float("nan"), "<", 1)])
def test_an_exact_or_non_numeric_claim_has_no_margin(lhs, op, rhs) -> None:
    assert margins.margin(lhs, op, rhs) is None


def _run(code: str, log: Path, monkeypatch: pytest.MonkeyPatch, **names) -> list[dict]:
    """Run ``code`` with its asserts measured; the lines it logged."""
    monkeypatch.setenv(margins.ENV, str(log))
    tree = claim_margins.ClaimTransformer().visit(ast.parse(code))
    namespace = {claim_margins.NAME: claim_margins.Recorder(), "approx": pytest.approx, "torch": torch, **names}
    exec(compile(ast.fix_missing_locations(tree), "<cell>", "exec"), namespace)
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_a_rewritten_assert_logs_its_margin_and_decides_as_before(tmp_path, monkeypatch) -> None:
    (entry,) = _run("gain = 3.35\nassert gain > 2, 'a painting'", tmp_path / "m.jsonl", monkeypatch)
    assert entry["passed"] and entry["line"] == 2 and entry["claim"] == "gain > 2"
    assert entry["margin"] == pytest.approx(1.35 / 3.35) and entry["values"] == [[3.35, ">", 2.0]]
    with pytest.raises(AssertionError, match="style should fall"):
        _run("s = [0.2377, 0.2283]\nassert s[0] < s[1], 'style should fall'", tmp_path / "f.jsonl", monkeypatch)
    (failed,) = [json.loads(x) for x in (tmp_path / "f.jsonl").read_text().splitlines()]
    assert not failed["passed"] and failed["margin"] < 0


def test_a_claim_over_many_values_takes_its_smallest_margin(tmp_path, monkeypatch) -> None:
    code = "style = [0.23, 0.36, 1.8]\nassert all(a < b for a, b in zip(style, style[1:]))\nassert 1 < 2 < 4"
    loop, chain = _run(code, tmp_path / "m.jsonl", monkeypatch)
    assert loop["margin"] == pytest.approx(min(0.13 / 0.36, 1.44 / 1.8))
    assert chain["margin"] == pytest.approx(0.5)


def test_an_or_is_held_up_by_the_comparison_that_came_out_true(tmp_path, monkeypatch) -> None:
    (entry,) = _run("assert 2 > 1 or 5 > 100", tmp_path / "m.jsonl", monkeypatch)
    assert entry["passed"] and entry["margin"] == pytest.approx(0.5)
    (entry,) = _run("assert 5 > 100 or 2 > 1", tmp_path / "n.jsonl", monkeypatch)
    assert entry["passed"] and entry["margin"] == pytest.approx(0.5)  # 5 > 100 failed, but did not decide


def test_elementwise_exact_and_approx_claims(tmp_path, monkeypatch) -> None:
    code = ("t = torch.tensor([0.5, 0.9])\nassert bool(((t >= 0) & (t <= 1)).all())\nassert 'conv4_2' in 'conv4_2 x'\n"
            "assert 1.05 == approx(1.0, rel=0.1)")
    elementwise, exact, close = _run(code, tmp_path / "m.jsonl", monkeypatch)
    assert elementwise["passed"] and elementwise["margin"] is None
    assert exact["passed"] and exact["margin"] is None
    assert close["margin"] == pytest.approx(0.5)


def test_an_invariant_marked_exact_has_no_margin(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(margins.ENV, str(tmp_path / "m.jsonl"))
    code = ("inner, outer = 0.9, 1.0\n"
            "assert 0 < inner <= outer  # exact: measured inside the outer time\n"
            "assert inner < outer")
    tree = claim_margins.ClaimTransformer(code).visit(ast.parse(code))
    exec(compile(ast.fix_missing_locations(tree), "<cell>", "exec"), {claim_margins.NAME: claim_margins.Recorder()})
    marked, measured = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert marked["passed"] and marked["margin"] is None
    assert measured["margin"] == pytest.approx(0.1)


def test_nothing_is_written_outside_the_sweep(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(margins.ENV, raising=False)
    margins.record("x", 1, "<", 2)
    tree = claim_margins.ClaimTransformer().visit(ast.parse("assert 1 < 2"))
    exec(compile(ast.fix_missing_locations(tree), "<cell>", "exec"), {claim_margins.NAME: claim_margins.Recorder()})
    assert not list(tmp_path.iterdir())


def test_a_notebook_kernel_names_each_claim_by_its_cell(tmp_path, monkeypatch) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    monkeypatch.setenv(margins.ENV, str(tmp_path / "m.jsonl"))
    shell = InteractiveShell.instance()
    try:
        shell.extension_manager.load_extension("claim_margins")
        source = "x = 0.5\nassert x < 0.6"
        shell.run_cell(source)
    finally:
        shell.ast_transformers[:] = [t for t in shell.ast_transformers
                                     if not isinstance(t, claim_margins.ClaimTransformer)]
        InteractiveShell.clear_instance()
    (entry,) = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert entry["where"] == claim_margins.cell_key(source) and entry["margin"] == pytest.approx(0.1 / 0.6)


def test_pytest_measures_the_tests_asserts_only(tmp_path) -> None:
    (tmp_path / "test_x.py").write_text('"""doc"""\nfrom __future__ import annotations\n\n\n'
                                        "def test_gain():\n    assert 3.0 > 2.0\n")
    env = {**os.environ, margins.ENV: str(tmp_path / "m.jsonl"), "PYTHONPATH": str(REPO / "tests"),
           "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "claim_margins",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_x.py")], env=env, capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    entries = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert [(e["where"], e["claim"], round(e["margin"], 3)) for e in entries] == \
        [("test:test_x.py::test_gain", "3.0 > 2.0", 0.333)]  # nothing from plugins' own modules


def test_the_grading_checks_log_their_thresholds(tmp_path, monkeypatch) -> None:
    from nst_edu.grading.core import Checker
    monkeypatch.setenv(margins.ENV, str(tmp_path / "m.jsonl"))
    assert Checker("texture_synthesis").measure("E_l drops", 1.0, "<", 4.0)
    assert not Checker("texture_synthesis").measure("E_l drops", 5.0, "<", 4.0)
    held, failed = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert held["where"] == "check:texture_synthesis" and held["margin"] == pytest.approx(0.75) and held["passed"]
    assert not failed["passed"] and failed["margin"] == pytest.approx(-0.2)


def test_the_variations_cover_each_kernel_thread_count_seed_and_precision(monkeypatch) -> None:
    from nst_edu.machinery import precision
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: False)
    names = [v.name for v in sweep.variations()]
    assert names == ["default-1t", "default-2t", "avx2-1t", "avx2-2t", "seed-1", "seed-2"]
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: True)
    names = [v.name for v in sweep.variations()]
    assert "avx512-1t" in names and names[-1] == "bfloat16"
    assert sweep.variations()[-1].env() == {"NST_EDU_PRECISION": "bfloat16"}
    env = sweep.Variation("avx2-1t", "avx2", 1).env()
    assert env == {"ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert sweep.Variation("seed-2", seed=2).env() == {"NST_EDU_SEED": "2"}


def test_the_report_flags_failed_and_fragile_claims_not_thin_constant_ones(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sweep, "cell_names", lambda: {"cell:abc": "notebooks/03.ipynb cell 10"})
    lines = [
        {"variation": "a", "where": "cell:abc", "line": 7, "claim": "s0 < s1", "passed": True, "margin": 0.05},
        {"variation": "b", "where": "cell:abc", "line": 7, "claim": "s0 < s1", "passed": False, "margin": -0.04},
        {"variation": "a", "where": "cell:abc", "line": 9, "claim": "k > 1.5 * k0", "passed": True, "margin": 0.12},
        {"variation": "b", "where": "cell:abc", "line": 9, "claim": "k > 1.5 * k0", "passed": True, "margin": 0.3},
        {"variation": "a", "where": "cell:abc", "line": 11, "claim": "len(x) >= 8", "passed": True, "margin": 0.0},
        {"variation": "b", "where": "cell:abc", "line": 11, "claim": "len(x) >= 8", "passed": True, "margin": 0.0},
        {"variation": "a", "where": "test:t.py::t", "line": 3, "claim": "gain > 3", "passed": True, "margin": 0.4},
        {"variation": "b", "where": "test:t.py::t", "line": 3, "claim": "gain > 3", "passed": True, "margin": 0.5},
        {"variation": "a", "where": "test:t.py::t", "line": 4, "claim": "'a' in s", "passed": True, "margin": None},
    ]
    (tmp_path / "margins.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    text, status = sweep.report(tmp_path, 0.2, ["a", "b"])
    rows = {row.split("|")[4].strip(): row.split("|")[1].strip() for row in text.splitlines()
            if row.startswith("| ") and "`" in row}
    assert rows == {"`s0 < s1`": "FAILED", "`k > 1.5 * k0`": "FRAGILE", "`len(x) >= 8`": "thin, constant",
                    "`gain > 3`": "ok", "`'a' in s`": "exact"}
    assert status == 1 and "notebooks/03.ipynb cell 10 line 7" in text and "2 claims failed or fragile" in text
    (tmp_path / "margins.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines[4:]))
    assert sweep.report(tmp_path, 0.2, ["a", "b"])[1] == 0


def test_the_seed_override_replaces_the_setup_calls_seed(monkeypatch) -> None:
    monkeypatch.setenv("NST_EDU_SEED", "2")
    assert config.setup(seed=0).seed == 2
    assert float(torch.rand(1)) == float(torch.rand(1, generator=torch.Generator().manual_seed(2)))
    monkeypatch.setenv("NST_EDU_SEED", "two")
    with pytest.raises(NstEduError, match="NST_EDU_SEED='two' is not an integer") as info:
        config.setup(seed=0)
    assert "\n" not in str(info.value)
    monkeypatch.delenv("NST_EDU_SEED")
    assert config.setup(seed=0).seed == 0
