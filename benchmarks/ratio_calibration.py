"""Where does the paper's look sit? α/β (in the paper's units) against size, steps, start and normalisation.

For Tübingen + Starry Night, each run synthesises the transfer at several α/β and measures the
result with :class:`nst_edu.measures.TransferMeasure` (style gain / content keep, from a fixed judge
network independent of the settings under test). ``--units mean`` reads α/β in the authors' mean
units (the paper convention without the calibration: the table that measured it), ``paper`` in
nst_edu's calibrated units (the check that the calibration holds).

The paper's look (a painted photograph) has both numbers well above 1. ``balance`` is the α/β where
log(style gain) = log(content keep), interpolated on log α/β: the point where style takes over.

    python benchmarks/ratio_calibration.py --sizes 128 256 --stats max avg      # the table
    python benchmarks/ratio_calibration.py --quick                              # 64 px, for a smoke test

Prints a markdown table; ``--out FILE`` also writes it (atomically).
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nst_edu import losses, vgg_weights  # noqa: E402
from nst_edu.files import atomic_path  # noqa: E402
from nst_edu.images import load_image, match_pixel_count  # noqa: E402
from nst_edu.measures import TransferMeasure  # noqa: E402
from nst_edu.optimize import synthesize  # noqa: E402

RATIOS = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
STATS = {  # per-filter means the paper's normalisation divides by (scripts/compute_vgg_normalization.py)
    "committed": vgg_weights.NORMALIZATION_FILE,
}


def balance(ratios: list[float], gains: list[float], keeps: list[float]) -> float | None:
    """The α/β where log gain = log keep, interpolated on log α/β; None if it is outside the range."""
    d = [math.log(k) - math.log(g) for g, k in zip(gains, keeps)]  # rises with α/β
    for (r0, d0), (r1, d1) in zip(zip(ratios, d), zip(ratios[1:], d[1:])):
        if d0 <= 0 <= d1 and d1 > d0:
            t = -d0 / (d1 - d0)
            return 10 ** (math.log10(r0) + t * (math.log10(r1) - math.log10(r0)))
    return None


def use_stats(path: Path) -> None:
    """Normalise VGG with the means in ``path`` from now on (the weights are decoded again)."""
    vgg_weights.NORMALIZATION_FILE = Path(path)
    vgg_weights.conv_weights.cache_clear()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    p.add_argument("--steps", type=int, nargs="+", default=[300])
    p.add_argument("--ratios", type=float, nargs="+", default=list(RATIOS))
    p.add_argument("--stats", nargs="+", default=["committed"],
                   help="normalisation statistics: 'committed' or .pt files (e.g. made with --pooling max/avg)")
    p.add_argument("--init", nargs="+", default=["noise"], choices=["noise", "content"])
    p.add_argument("--pooling", nargs="+", default=["avg"], choices=["avg", "max"])
    p.add_argument("--units", choices=("mean", "paper"), default="mean",
                   help="mean: the authors' mean units (calibration 1); paper: nst_edu's calibrated units")
    p.add_argument("--quick", action="store_true", help="64 px, 20 steps, three ratios")
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    if a.quick:
        a.sizes, a.steps, a.ratios = [64], [20], [1e-3, 1e-1, 10.0]
    if a.units == "mean":  # measure without the calibration that this table justifies
        losses.PAPER_RATIO_CALIBRATION = 1.0
    rows = ["| size | steps | start | stats | pooling | " + " | ".join(f"α/β={r:g}" for r in a.ratios)
            + " | balance α/β | s/run |", "|" + "---|" * (len(a.ratios) + 7)]
    legend = f"cells: style gain / content keep; α/β in {a.units} units"
    print(legend, flush=True)
    print(rows[0], rows[1], sep="\n", flush=True)
    for stats in a.stats:
        use_stats(STATS.get(stats, Path(stats)))
        for size in a.sizes:
            content_image = load_image("tubingen", size)
            style_image = match_pixel_count(load_image("starry_night"), content_image)
            judge = TransferMeasure(content_image, style_image)
            for steps in a.steps:
                for init in a.init:
                    for pooling in a.pooling:
                        gains, keeps, t = [], [], time.perf_counter()
                        for r in a.ratios:
                            res = synthesize(content_image, style_image, alpha=r, beta=1.0, steps=steps, init=init,
                                             pooling=pooling, seed=0, progress=False, warn_slow=False)
                            g, k = judge(res.image)
                            gains.append(g)
                            keeps.append(k)
                        b = balance(list(a.ratios), gains, keeps)
                        cells = " | ".join(f"{g:.2g} / {k:.2g}" for g, k in zip(gains, keeps))
                        name = stats if stats in STATS else Path(stats).stem
                        row = (f"| {size} | {steps} | {init} | {name} | {pooling} | {cells} | "
                               f"{'%.1e' % b if b else 'out of range'} | {(time.perf_counter() - t) / len(a.ratios):.0f} |")
                        rows.append(row)
                        print(row, flush=True)
    if a.out:
        with atomic_path(a.out, suffix=".md") as tmp:
            tmp.write_text(legend + "\n\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
