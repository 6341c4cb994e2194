"""Does the CLI, typed at the paper's ratios, give the paper's look at every size?

Runs ``python -m nst_edu transfer --content tubingen --style starry_night --ratio R --size S`` as a
user would (a subprocess, default settings otherwise), keeps the PNGs it writes, and judges each with
:class:`nst_edu.teaching.measures.TransferMeasure` (style gain / content keep, a fixed raw VGG-19).

    python benchmarks/cli_ratio_check.py --sizes 128 256 512 --out build/cli_check   # the table
    python benchmarks/cli_ratio_check.py --sizes 64 --steps 20                        # a smoke test

Prints a markdown table: at --ratio 1e-3 both numbers well above 1 (a painted photograph), at 1e-5
more style and less photo, at 1e-2 more photo.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nst_edu.teaching.images import load_image, match_pixel_count  # noqa: E402
from nst_edu.teaching.measures import TransferMeasure  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    p.add_argument("--ratios", type=float, nargs="+", default=[1e-5, 1e-3, 1e-2])
    p.add_argument("--steps", type=int, default=None, help="default: the CLI's own")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "cli_check", help="folder for the PNGs")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    print("| size | " + " | ".join(f"--ratio {r:g}" for r in a.ratios) + " | s/run |")
    print("|" + "---|" * (len(a.ratios) + 2))
    for size in a.sizes:
        content_image = load_image("tubingen", size)
        judge = TransferMeasure(content_image, match_pixel_count(load_image("starry_night"), content_image))
        cells, t = [], time.perf_counter()
        for r in a.ratios:
            png = a.out / f"tubingen_starry_night_{size}px_ratio{r:g}.png"
            cmd = [sys.executable, "-m", "nst_edu", "transfer", "--content", "tubingen", "--style", "starry_night",
                   "--ratio", f"{r:g}", "--size", str(size), "-o", str(png)]
            if a.steps:
                cmd += ["--steps", str(a.steps)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"CLI failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                return 1
            result = load_image(png)
            if result.shape != content_image.shape:
                print(f"{png} is {tuple(result.shape)}, expected {tuple(content_image.shape)}", file=sys.stderr)
                return 1
            gain, keep = judge(result)
            cells.append(f"{gain:.2g} / {keep:.2g}")
        print(f"| {size} | " + " | ".join(cells) + f" | {(time.perf_counter() - t) / len(a.ratios):.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
