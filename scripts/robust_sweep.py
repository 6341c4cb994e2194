"""`make test-robust`: every notebook (quick mode) and the synthesis tests under several machines' worth of
variation on this one, and each asserted claim's smallest margin across them.

A number asserted in a notebook is a claim about the algorithm, and it must hold wherever a learner or CI runs
it. Machines differ in their CPU kernels (``ATEN_CPU_CAPABILITY``: default, avx2, avx512), their thread count
(``OMP_NUM_THREADS``) and, when a learner edits ``seed=0``, the seed (``NST_EDU_SEED``, read by
``nst_edu.teaching.config.setup``) and, where the processor has bfloat16, the network's precision
(``NST_EDU_PRECISION``,
:mod:`nst_edu.machinery.precision`). Each variation runs ``pytest --nbval-lax notebooks/`` and ``pytest -m synthesis
tests`` with every assert measured (``tests/claim_margins.py``, :mod:`nst_edu.machinery.margins`); the report lists
every claim with its smallest margin, where it was smallest, and the variations where it failed.

A claim is **fragile** when its margin falls under ``--threshold`` (0.2: the smaller side within 20 % of the
larger) in some variation *and* its measured value moves across the sweep: a stored number or exact arithmetic
gives the same margin everywhere, and a thin margin there is not noise. Exit status 1 when any claim failed
or is fragile, else 0.

    python scripts/robust_sweep.py                   # the whole sweep (README: how long it takes)
    python scripts/robust_sweep.py --variations avx2-1t seed-1 --notebooks notebooks/03_style_transfer_ratio.ipynb
    python scripts/robust_sweep.py --report-only     # the report again from build/robust/margins.jsonl
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from claim_margins import cell_key  # noqa: E402 - the tests folder is not a package


@dataclass(frozen=True)
class Variation:
    """One machine's worth of difference: the CPU kernels torch picks, its threads and the notebooks' seed."""

    name: str
    capability: str | None = None  # None: what torch picks on this CPU
    threads: int | None = None  # None: torch's default (the cores)
    seed: int | None = None  # None: the seed each notebook's setup cell passes (0)
    extra: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(self.extra)
        if self.capability:
            env["ATEN_CPU_CAPABILITY"] = self.capability
        if self.threads:
            env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(self.threads)
        if self.seed is not None:
            env["NST_EDU_SEED"] = str(self.seed)
        return env


def cpu_capabilities() -> list[str]:
    """The kernels this CPU can run, from torch's own choice: default always, avx2 and avx512 where present."""
    import torch
    best = torch.backends.cpu.get_cpu_capability().lower()  # "default", "avx2", "avx512" (or "avx512_bf16"…)
    order = ["default", "avx2", "avx512"]
    reach = next((k for k, name in enumerate(order) if best.startswith(name)), 0)
    return order[: reach + 1] if best.startswith(tuple(order)) else ["default"]


def variations() -> list[Variation]:
    """Each kernel this CPU has × 1 and 2 threads at seed 0, then seeds 1 and 2 with torch's own choice, and
    the network in bfloat16 where this CPU computes it natively (full mode's default there, #41)."""
    from nst_edu.machinery.precision import native_bfloat16

    out = [Variation(f"{cap}-{t}t", cap, t) for cap in cpu_capabilities() for t in (1, 2)]
    out += [Variation(f"seed-{s}", seed=s) for s in (1, 2)]
    if native_bfloat16("cpu"):
        out.append(Variation("bfloat16", extra={"NST_EDU_PRECISION": "bfloat16"}))
    return out


def startup_dir(out: Path) -> Path:
    """An IPYTHONDIR whose kernels load tests/claim_margins.py before the first cell."""
    ipython = out / "ipython"
    startup = ipython / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-claim-margins.py").write_text(
        "get_ipython().extension_manager.load_extension('claim_margins')\n", encoding="utf-8")
    return ipython


def run_variation(v: Variation, out: Path, notebooks: list[str], tests: bool, log) -> dict[str, float]:
    """Run the notebooks and the synthesis tests under ``v``; junit XML per part; seconds per part."""
    varied = ("NST_EDU_CACHE_DIR", "NST_EDU_SEED", "NST_EDU_PRECISION", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS",
              "MKL_NUM_THREADS")  # only what the variation sets, and no cache that would answer for it
    env = {k: val for k, val in os.environ.items() if k not in varied}
    env.update(v.env())
    env.update({"NST_EDU_QUICK": "1", "NST_EDU_MARGINS": str(out / "margins.jsonl"), "NST_EDU_VARIATION": v.name,
                "IPYTHONDIR": str(startup_dir(out)), "PYTHONPYCACHEPREFIX": str(out / "pycache"),
                # this checkout's package first (a snapshot of the tree measures itself, not an installed copy)
                "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT), env.get("PYTHONPATH", "")]
                                              ).rstrip(os.pathsep)})
    times = {}
    parts = [("notebooks", ["--nbval-lax", *notebooks])] if notebooks else []
    if tests:
        parts.append(("tests", ["-m", "synthesis", "tests"]))
    for part, args in parts:
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "claim_margins",
               f"--junitxml={out / f'{v.name}-{part}.xml'}", *args]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        times[part] = time.perf_counter() - start
        (out / f"{v.name}-{part}.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        tail = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"  {v.name:12} {part:9} {times[part]:6.0f} s  {tail}", file=log, flush=True)
    return times


# --- the report ------------------------------------------------------------------------------------------
def cell_names(root: Path = ROOT) -> dict[str, str]:
    """cell_key(source) → "notebooks/….ipynb cell N" for every code cell of every notebook."""
    names: dict[str, list[str]] = {}
    for path in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for k, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                names.setdefault(cell_key(source), []).append(f"{path.relative_to(root)} cell {k}")
    return {key: " = ".join(v) for key, v in names.items()}


def failures(out: Path) -> dict[str, list[str]]:
    """junit test id → the variations in which it failed or errored."""
    failed: dict[str, list[str]] = {}
    for xml in sorted(out.glob("*-*.xml")):
        variation = xml.stem.rsplit("-", 1)[0]
        for case in ET.parse(xml).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.setdefault(f"{case.get('classname')}::{case.get('name')}", []).append(variation)
    return failed


@dataclass
class Claim:
    where: str
    line: int | None
    text: str
    margins: dict[str, float | None] = field(default_factory=dict)  # variation → smallest margin there
    failed_in: set[str] = field(default_factory=set)

    def smallest(self) -> tuple[float | None, str]:
        known = [(m, v) for v, m in self.margins.items() if m is not None]
        return min(known) if known else (None, "")

    def moves(self) -> bool:
        """Whether the margin changes across the sweep by more than float rounding (0.1 percentage point)."""
        known = [m for m in self.margins.values() if m is not None]
        return bool(known) and max(known) - min(known) > 1e-3


def claims(entries: list[dict], names: dict[str, str]) -> dict[tuple, Claim]:
    out: dict[tuple, Claim] = {}
    for e in entries:
        where = names.get(e["where"], e["where"]) if e["where"].startswith("cell:") else e["where"]
        key = (where, e.get("line"), e["claim"])
        c = out.setdefault(key, Claim(where, e.get("line"), e["claim"]))
        v, m = e["variation"], e["margin"]
        if m is not None:
            c.margins[v] = m if c.margins.get(v) is None else min(c.margins[v], m)
        else:
            c.margins.setdefault(v, None)
        if not e["passed"]:
            c.failed_in.add(v)
    return out


def verdict(c: Claim, threshold: float) -> str:
    smallest, _ = c.smallest()
    if c.failed_in:
        return "FAILED"
    if smallest is None:
        return "exact"
    if smallest < threshold:
        return "FRAGILE" if c.moves() else "thin, constant"
    return "ok"


def report(out: Path, threshold: float, ran: list[str]) -> tuple[str, int]:
    entries = [json.loads(line) for line in (out / "margins.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()] if (out / "margins.jsonl").exists() else []
    found = claims(entries, cell_names())
    failed_items = failures(out)
    ranked = sorted(found.values(), key=lambda c: (verdict(c, threshold) not in ("FAILED", "FRAGILE"),
                                                   c.smallest()[0] if c.smallest()[0] is not None else 9.0))
    bad = [c for c in ranked if verdict(c, threshold) in ("FAILED", "FRAGILE")]
    lines = [f"# Robustness sweep: {len(found)} asserted claims under {len(ran)} variations",
             "", f"Variations: {', '.join(ran)}. Threshold: a margin under {threshold:.0%} of the compared values, "
             "where the values move across the sweep, is fragile.", "",
             f"**{len(bad)} claims failed or fragile**; {len(failed_items)} test items failed in some variation.", "",
             "| verdict | smallest margin | where (smallest) | claim | location | failed in | not reached in |",
             "|---|---|---|---|---|---|---|"]
    for c in ranked:
        smallest, at = c.smallest()
        missing = [v for v in ran if v not in c.margins]
        text = c.text if len(c.text) <= 90 else c.text[:87] + "…"
        loc = f"{c.where} line {c.line}" if c.line else c.where
        lines.append(f"| {verdict(c, threshold)} | {'—' if smallest is None else f'{smallest:.1%}'} | {at} | "
                     f"`{text.replace('|', '¦')}` | {loc} | {', '.join(sorted(c.failed_in))} | "
                     f"{', '.join(missing) if len(missing) < len(ran) else 'all'} |")
    if failed_items:
        lines += ["", "## Test items that failed", "", "| item | failed in |", "|---|---|"]
        lines += [f"| {item} | {', '.join(vs)} |" for item, vs in sorted(failed_items.items())]
    text = "\n".join(lines) + "\n"
    (out / "report.md").write_text(text, encoding="utf-8")
    return text, (1 if bad or failed_items else 0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "build" / "robust")
    p.add_argument("--threshold", type=float, default=0.2)
    p.add_argument("--variations", nargs="*", help="names to run (default: all of them; --list shows them)")
    p.add_argument("--notebooks", nargs="*", default=["notebooks/"], help="notebooks or folders (default notebooks/)")
    p.add_argument("--no-tests", action="store_true", help="leave out the synthesis tests")
    p.add_argument("--list", action="store_true", help="print the variations and stop")
    p.add_argument("--report-only", action="store_true", help="write the report from the last sweep's files")
    a = p.parse_args(argv)
    chosen = variations()
    if a.list:
        for v in chosen:
            print(f"{v.name:12} {' '.join(f'{k}={val}' for k, val in v.env().items()) or '(this machine as it is)'}")
        return 0
    if a.variations:
        unknown = sorted(set(a.variations) - {v.name for v in chosen})
        if unknown:
            print(f"robust_sweep: unknown variation {', '.join(unknown)}: --list shows the names", file=sys.stderr)
            return 2
        chosen = [v for v in chosen if v.name in a.variations]
    a.out = a.out.resolve()  # the kernels run in the notebooks' folder: every path they get is absolute
    a.out.mkdir(parents=True, exist_ok=True)
    if not a.report_only:
        for stale in [*a.out.glob("*.xml"), *a.out.glob("*.log"), a.out / "margins.jsonl"]:
            stale.unlink(missing_ok=True)
        shutil.rmtree(a.out / "pycache", ignore_errors=True)
        start = time.perf_counter()
        times = {}
        for v in chosen:
            times[v.name] = run_variation(v, a.out, a.notebooks, not a.no_tests, sys.stdout)
        total = time.perf_counter() - start
        (a.out / "times.json").write_text(json.dumps({"total_s": total, "variations": times}, indent=1))
        print(f"sweep: {len(chosen)} variations in {total:.0f} s")
    ran = sorted({json.loads(x)["variation"] for x in (a.out / "margins.jsonl").read_text().splitlines() if x}
                 ) if (a.out / "margins.jsonl").exists() else []
    text, status = report(a.out, a.threshold, ran)
    summary = text.split("\n\n")[2] if text.count("\n\n") > 2 else text
    print(summary)
    print(f"report: {a.out / 'report.md'}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
