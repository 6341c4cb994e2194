"""Where does the paper's look sit? α/β (in mean units) against size, steps, start and normalisation.

For Tübingen + Starry Night, each run synthesises the transfer at several α/β and measures the
result with :class:`nst_edu.teaching.measures.TransferMeasure` (style gain / content keep, from a fixed judge
network independent of the settings under test). ``--units mean`` reads α/β in mean
units (the paper convention without the calibration: the table that measured it), ``paper`` in
nst_edu's calibrated units (the check that the calibration holds).

The paper's look (a painted photograph) has both numbers well above 1. ``balance`` is the α/β where
log(style gain) = log(content keep), interpolated on log α/β: the point where style takes over.

    python benchmarks/ratio_calibration.py --sizes 128 256 --stats max avg      # the table
    python benchmarks/ratio_calibration.py --quick                              # 64 px, for a smoke test
    python benchmarks/ratio_calibration.py --sizes 128 --ratios 1e-3 1e-2 1e-1 1 \
        --content-layers conv4_2 conv3_2 conv2_2 --series content-layers        # K on three content layers

Prints a row per setting. ``--json FILE`` adds the measurements to a store (the committed one is
``nst_edu/data/ratio_balance.json``, which notebook 03 plots); ``--out FILE`` writes the markdown table of
the whole store (``benchmarks/results/ratio_calibration.md``). Both are written atomically.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nst_edu import ratio as ratio_units  # noqa: E402
from nst_edu.machinery import vgg_weights  # noqa: E402
from nst_edu.machinery.files import atomic_path  # noqa: E402
from nst_edu.synthesis import NOISE_AMPLITUDE, synthesize  # noqa: E402
from nst_edu.teaching.images import load_image, match_pixel_count  # noqa: E402
from nst_edu.teaching.measures import TransferMeasure  # noqa: E402

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


def table(records: list[dict]) -> str:
    """A markdown table of measurements, one row each, a column per α/β measured in any of them."""
    ratios = sorted({r for rec in records for r in rec["ratios"]})
    units = sorted({rec["units"] for rec in records})
    lines = [f"cells: style gain / content keep; α/β in {' and '.join(units)} units", "",
             "| size | steps | start | stats | pooling | content | " + " | ".join(f"α/β={r:g}" for r in ratios)
             + " | balance α/β | s/run |", "|" + "---|" * (len(ratios) + 8)]
    for rec in records:
        cell = {r: f"{g:.2g} / {k:.2g}" for r, g, k in zip(rec["ratios"], rec["gains"], rec["keeps"])}
        seconds = f"{rec['seconds']:.0f}" if rec["seconds"] else ""  # not recorded for a run read from its process
        start = f"noise ±{rec['noise']:g}" if rec["init"] == "noise" else rec["init"]
        b = rec["balance"]
        lines.append(f"| {rec['size']} | {rec['steps']} | {start} | {rec['stats']} | {rec['pooling']} | "
                     f"{rec.get('content_layer', 'conv4_2')} | "
                     + " | ".join(cell.get(r, "") for r in ratios)
                     + f" | {'%.1e' % b if b else 'out of range'} | {seconds} |")
    return "\n".join(lines)


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
    p.add_argument("--noise", type=float, nargs="+", default=[NOISE_AMPLITUDE],
                   help=f"white-noise half-widths of the start (default {NOISE_AMPLITUDE}; 0.5 is full range)")
    p.add_argument("--content-layers", nargs="+", default=["conv4_2"],
                   help="content layers, one calibration each (the paper: conv4_2; issue #26: conv3_2, conv2_2)")
    p.add_argument("--units", choices=("mean", "paper"), default="mean",
                   help="mean: content averaged over N_l·M_l (calibration 1); paper: nst_edu's calibrated units")
    p.add_argument("--series", help="a name stored with each record, to read one run's records together")
    p.add_argument("--quick", action="store_true", help="64 px, 20 steps, three ratios")
    p.add_argument("--json", type=Path, help="the store: add this run's measurements to this JSON file")
    p.add_argument("--out", type=Path, help="write the markdown table of the store (or of this run) here")
    a = p.parse_args(argv)
    if a.quick:
        a.sizes, a.steps, a.ratios = [64], [20], [1e-3, 1e-1, 10.0]
    if a.units == "mean":  # measure without the calibration that this table justifies
        ratio_units.PAPER_RATIO_CALIBRATION = 1.0
    print(f"α/β in {a.units} units; style gain / content keep per ratio", flush=True)
    records: list[dict] = []
    for stats in a.stats:
        use_stats(STATS.get(stats, Path(stats)))
        for size in a.sizes:
            content_image = load_image("tubingen", size)
            style_image = match_pixel_count(load_image("starry_night"), content_image)
            judge = TransferMeasure(content_image, style_image)
            for steps in a.steps:
                for init, noise in [(i, n) for i in a.init for n in (a.noise if i == "noise" else [0.0])]:
                    for pooling, layer in [(pl, cl) for pl in a.pooling for cl in a.content_layers]:
                        gains, keeps, t = [], [], time.perf_counter()
                        for r in a.ratios:
                            res = synthesize(content_image, style_image, alpha=r, beta=1.0, steps=steps, init=init,
                                             content_layers=[layer],
                                             noise_amplitude=noise or NOISE_AMPLITUDE, pooling=pooling, seed=0,
                                             progress=False, warn_slow=False)
                            g, k = judge(res.image)
                            gains.append(g)
                            keeps.append(k)
                        rec = dict(size=size, steps=steps, init=init, noise=noise,
                                   stats=stats if stats in STATS else Path(stats).stem, pooling=pooling,
                                   content_layer=layer,
                                   units=a.units, ratios=list(a.ratios), gains=gains, keeps=keeps,
                                   balance=balance(list(a.ratios), gains, keeps),
                                   seconds=(time.perf_counter() - t) / len(a.ratios))
                        if a.series:
                            rec["series"] = a.series
                        records.append(rec)
                        print(table([rec]).splitlines()[-1], flush=True)
    if a.json:  # the store: every measurement so far, this run's added
        old = json.loads(a.json.read_text(encoding="utf-8")) if a.json.exists() else []
        records = old + records
        with atomic_path(a.json, suffix=".json") as tmp:
            tmp.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    if a.out:  # the table of everything in the store (or of this run without one)
        with atomic_path(a.out, suffix=".md") as tmp:
            tmp.write_text(table(records) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
