"""float32 against bfloat16: the walkthrough's full-mode transfer at each size, timed and measured (#41).

    .venv/bin/python benchmarks/precision.py                 # 128, 256, 512 px; ~6 min on a quiet 2-core CPU
    .venv/bin/python benchmarks/precision.py --sizes 256 --device cuda   # the same question on a GPU

For each size, Tübingen + The Starry Night at α/β = 1e-3 from white noise (seed 0, 100 steps: full mode's
CPU steps, ``nst_edu.teaching.config``), once with the network in float32 and once in bfloat16 (``precision=``), on
one prebuilt network. Per run:

* **s/step, steady**: the median time between consecutive steps of a run without line search (as
  ``step_time.py`` defines a step: one forward and backward pass with a prebuilt network);
* **s/eval in synthesize**: the mean time per loss evaluation between steps 20 and 80 of the real call
  (strong-Wolfe line search, the history, the best image kept), to tell where a step's time goes;
* **time to the picture**: the whole ``synthesize`` call (targets, 100 evaluations);
* the picture's **style gain** and **content keep** (:class:`nst_edu.teaching.measures.TransferMeasure`), the final
  content and style losses, and the RMS pixel difference between the two precisions' pictures (of 1), beside
  the difference between float32's pictures from seeds 0 and 1 (``--reference-sizes``: 128 and 256 px).

Writes ``results/precision.json`` and ``results/precision.jpg`` (per size: float32, bfloat16, and their
difference ×4). The machine's bfloat16 support is in the JSON (``native_bfloat16``): on a processor without
it oneDNN emulates bfloat16, and this script measures how much slower that is.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PRECISIONS = ("float32", "bfloat16")


def _timed(photo, painting, model, precision: str, steps: int, line_search, seed: int = 0
           ) -> tuple[object, list[float], float]:
    from nst_edu.synthesis import synthesize

    stamps: list[float] = []
    start = time.perf_counter()
    result = synthesize(photo, painting, alpha=1e-3, beta=1.0, steps=steps, seed=seed, model=model, progress=False,
                        warn_slow=False, precision=precision, line_search=line_search, callback_every=1,
                        callback=lambda info: stamps.append(time.perf_counter()))
    return result, stamps, time.perf_counter() - start


def run_size(size: int, model, device: str, steps: int, reference: bool) -> tuple[dict, dict]:
    from nst_edu.teaching.figures import load_style
    from nst_edu.teaching.images import load_image
    from nst_edu.teaching.measures import TransferMeasure

    photo = load_image(str(C.CONTENT), size=size)
    painting = load_style(str(C.STYLE), photo)
    judge = TransferMeasure(photo, painting)
    rows, pictures = {}, {}
    for precision in PRECISIONS:
        _, stamps, _ = _timed(photo, painting, model, precision, 30, None)
        steady = statistics.median(b - a for a, b in zip(stamps[5:], stamps[6:]))
        result, stamps, seconds = _timed(photo, painting, model, precision, steps, "strong_wolfe")
        per_eval = (stamps[79] - stamps[19]) / 60 if len(stamps) >= 80 else float("nan")
        gain, keep = judge(result.best_image)
        pictures[precision] = result.best_image
        rows[precision] = {"s_per_step_steady": round(steady, 4), "s_per_eval_in_synthesize": round(per_eval, 4),
                           "seconds_to_picture": round(seconds, 1), "steps": result.steps,
                           "style_gain": round(gain, 3), "content_keep": round(keep, 3),
                           "final_content_loss": round(result.history.content[-1], 1),
                           "final_style_loss": round(result.history.style[-1], 4)}
        print(f"{size} px {precision:8} {rows[precision]}", flush=True)
    a, b = pictures["float32"], pictures["bfloat16"]
    rows["pixel_rms_difference"] = round(float((a - b).pow(2).mean().sqrt()), 4)
    if reference:  # what "the same picture" can mean: float32 with another seed differs by this much
        other, _, _ = _timed(photo, painting, model, "float32", steps, "strong_wolfe", seed=1)
        rows["pixel_rms_float32_seed_1"] = round(float((a - other.best_image).pow(2).mean().sqrt()), 4)
    fp32, bf16 = rows["float32"]["seconds_to_picture"], rows["bfloat16"]["seconds_to_picture"]
    rows["speedup_to_picture"] = round(fp32 / bf16, 2)
    rows["hw"] = list(photo.shape[-2:])
    return rows, pictures


def contact_sheet(pictures: dict, rows: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    from nst_edu.teaching.images import to_pil

    sizes = list(pictures)
    fig = Figure(figsize=(13, 3.6 * len(sizes)), layout="constrained")
    axes = fig.subplots(len(sizes), 3, squeeze=False)
    for i, size in enumerate(sizes):
        r = rows[str(size)]
        a, b = pictures[size]["float32"], pictures[size]["bfloat16"]
        shown = [(a, "float32", r["float32"]), (b, "bfloat16", r["bfloat16"]),
                 (((a - b).abs() * 4).clamp(0, 1), f"|difference| × 4 (RMS {r['pixel_rms_difference']:.3f}"
                  + (f"; seed 1's: {r['pixel_rms_float32_seed_1']:.3f})" if "pixel_rms_float32_seed_1" in r else ")"),
                  None)]
        for ax, (img, title, m) in zip(axes[i], shown):
            ax.imshow(to_pil(img))
            ax.set_xticks([])
            ax.set_yticks([])
            if m:
                title += (f", {size} px: {m['seconds_to_picture']:.0f} s\n"
                          f"style gain {m['style_gain']:.2f}, content keep {m['content_keep']:.2f}")
            ax.set_title(title, fontsize=11)
    fig.savefig(path, dpi=100, pil_kwargs={"quality": 80})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--reference-sizes", type=int, nargs="*", default=[128, 256],
                    help="sizes at which float32 also runs with seed 1: how far apart two seeds' pictures are")
    ap.add_argument("--device", default=None, help="default: nst_edu's default device")
    ap.add_argument("--out", type=Path, default=RESULTS / "precision")
    args = ap.parse_args()
    from nst_edu.machinery.devices import default_device
    from nst_edu.machinery.precision import native_bfloat16
    from nst_edu.teaching.figures import feature_model

    device = torch.device(args.device) if args.device else default_device()
    model = feature_model().to(device)
    rows, pictures = {}, {}
    for size in args.sizes:
        rows[str(size)], pictures[size] = run_size(size, model, device.type, args.steps,
                                                   size in args.reference_sizes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {"machine": {**C.machine(), "device": str(device), "native_bfloat16": native_bfloat16(device)},
              "date": time.strftime("%Y-%m-%d"), "steps": args.steps, "rows": rows}
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    contact_sheet(pictures, rows, args.out.with_suffix(".jpg"))
    print(f"wrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.jpg')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
