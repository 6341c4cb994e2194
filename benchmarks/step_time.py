"""Seconds per loss evaluation, GFLOP/s, startup and peak memory: nst_edu vs pastiche.

    .venv/bin/python benchmarks/step_time.py [--sizes 128 256 512] [--no-pastiche]

Every measurement runs in a fresh interpreter (so startup and peak RSS are per tool), ours and
pastiche's interleaved per size, each worker also measuring the machine's 3×3-conv peak before and
after its steps (so a busy machine shows up as a low peak, and the ratio step/peak stays
meaningful). Same images (tubingen / starry_night), same layers (content conv4_2, style
conv1_1 … conv5_1), average pooling, random init. A step is one loss evaluation (forward to
relu5_1 + gradient with respect to the image). Whole run: about 3 minutes on a quiet 2-core CPU.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

STEPS = {128: 12, 256: 6, 512: 3}


def worker_ours(size: int, steps: int, t0: float, channels_last: bool) -> dict:
    import torch

    from nst_edu.synthesis import synthesize
    from nst_edu.teaching.images import load_image
    from nst_edu.vgg import CONTENT_LAYERS, STYLE_LAYERS, vgg19

    t_import = time.time() - t0
    peak0 = C.conv_peak_gflops()
    t1 = time.time()
    c, s = load_image(C.CONTENT, size), load_image(C.STYLE, size)
    model = vgg19(layers=list(CONTENT_LAYERS) + list(STYLE_LAYERS), pooling="avg")
    if channels_last:  # what synthesize does with a model it builds itself
        model = model.to(memory_format=torch.channels_last)
    kw = dict(model=model, progress=False, channels_last=channels_last, warn_slow=False)
    synthesize(c, s, steps=1, **kw)
    startup = t_import + time.time() - t1  # import → first step done (minus the peak measurement)
    # One run of steps + 1 evaluations with the line search off (one evaluation per iteration),
    # timed between consecutive callbacks: steady-state steps, as in a real run.
    stamps: list[float] = []
    synthesize(c, s, steps=steps + 1, line_search=None, callback=lambda _: stamps.append(time.perf_counter()),
               callback_every=1, **kw)
    times = [b - a for a, b in zip(stamps, stamps[1:])]
    peak1 = C.conv_peak_gflops()
    return {"shape": list(c.shape[-2:]), "step_s": min(times), "median_s": statistics.median(times),
            "startup_s": startup, "import_s": t_import, "rss_mb": C.peak_rss_mb(), "peak_gflops": max(peak0, peak1)}


def worker_pastiche(size: int, steps: int, t0: float) -> dict:
    from pastiche.pastiche import PasticheArtist

    t_import = time.time() - t0
    peak0 = C.conv_peak_gflops()
    t1 = time.time()
    artist = PasticheArtist(str(C.CONTENT), [str(C.STYLE)], pooling="avg", size=size, device="cpu",
                            random_init=True, content_layers=C.PASTICHE_CONTENT, style_layers=C.PASTICHE_STYLE)
    artist.draw()
    startup = t_import + time.time() - t1
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        artist.draw()  # L-BFGS with max_iter=1, no line search: one evaluation
        times.append(time.perf_counter() - t)
    peak1 = C.conv_peak_gflops()
    return {"shape": list(artist.pastiche.shape[-2:]), "step_s": min(times), "median_s": statistics.median(times),
            "startup_s": startup, "import_s": t_import, "rss_mb": C.peak_rss_mb(), "peak_gflops": max(peak0, peak1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    ap.add_argument("--no-pastiche", action="store_true")
    ap.add_argument("--no-contiguous", action="store_true", help="skip the channels_last=False comparison")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--t0", type=float, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        if a.worker == "pastiche":
            res = worker_pastiche(a.size, a.steps, a.t0)
        else:
            res = worker_ours(a.size, a.steps, a.t0, channels_last=a.worker == "ours")
        print(json.dumps(res))
        return

    from nst_edu.machinery.estimate import step_flops
    from nst_edu.vgg import CONTENT_LAYERS, STYLE_LAYERS

    me = Path(__file__)
    print("machine:", json.dumps(C.machine()))
    tools = ["ours"] + ([] if a.no_contiguous else ["ours_nchw"]) + ([] if a.no_pastiche else ["pastiche"])
    results: dict = {}
    for size in a.sizes:
        for tool in tools:
            r = C.run_worker(me, [tool, "--size", str(size), "--steps", str(STEPS.get(size, 3))])
            r["gflop"] = step_flops(tuple(r["shape"]), list(CONTENT_LAYERS) + list(STYLE_LAYERS)) / 1e9
            r["gflops"] = r["gflop"] / r["step_s"]
            results[(size, tool)] = r
            print(f"  {size:4d} {tool:9s} {r['step_s']:.3f} s/step  ({r['gflops']:.0f} GFLOP/s, peak "
                  f"{r['peak_gflops']:.0f})  startup {r['startup_s']:.1f} s  RSS {r['rss_mb']:.0f} MB", flush=True)
    rows = []
    for (size, tool), r in results.items():
        h, w = r["shape"]
        rows.append([size, f"{w}×{h}", tool, f"{r['step_s']:.3f}", f"{r['median_s']:.3f}", f"{r['gflop']:.1f}",
                     f"{r['gflops']:.0f}", f"{r['peak_gflops']:.0f}", f"{r['gflops'] / r['peak_gflops']:.0%}",
                     f"{r['import_s']:.1f}", f"{r['startup_s']:.1f}", f"{r['rss_mb']:.0f}"])
    print()
    print(C.table(rows, ["size", "W×H", "tool", "s/step (best)", "median", "GFLOP/step", "GFLOP/s",
                         "conv peak", "of peak", "import s", "startup s", "peak RSS MB"]))
    print()
    for size in a.sizes:
        ours = results.get((size, "ours"))
        for other in ("ours_nchw", "pastiche"):
            if ours and (size, other) in results:
                o = results[(size, other)]
                print(f"{size} px: {other} / ours  step time ×{o['step_s'] / ours['step_s']:.2f}, "
                      f"startup ×{o['startup_s'] / ours['startup_s']:.1f}, RSS ×{o['rss_mb'] / ours['rss_mb']:.2f}")
    if a.json:
        a.json.write_text(
            json.dumps({"machine": C.machine(), "results": {f"{k[0]}/{k[1]}": v for k, v in results.items()}}, indent=1)
        )


if __name__ == "__main__":
    main()
