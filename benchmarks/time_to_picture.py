"""Time to a picture: which size and steps show the paper's claims soonest on a CPU.

    .venv/bin/python benchmarks/time_to_picture.py             # ~8 min on a quiet 2-core CPU
    .venv/bin/python benchmarks/time_to_picture.py --cases transfer --candidates 128x300 256x100

For the walkthrough's kinds of synthesis (Fig. 1's content reconstruction from conv4_2, Fig. 1's style
reconstruction from conv1_1 … conv5_1, Figs. 2–3's transfer at the paper's α/β = 1e-3 from white noise, and
the same transfer started from the photograph, notebook 05's other start and the explorer's ``init``;
Tübingen and *The Starry Night*, seed 0), each candidate setting is run once, and the script writes:

* ``results/time_to_picture.json``: per case and candidate the wall time, the steps, and the measures of
  :class:`nst_edu.teaching.measures.TransferMeasure` (style gain, content keep: see its docstring);
* ``results/time_to_picture.png``: the contact sheet, every picture at the same display size (a 128 px
  result drawn as large as a 256 px one, as a notebook cell shows it), so one can see which reads best.

Candidates are named ``<size>x<steps>``; ``<coarse>to<size>x<steps>`` is coarse-to-fine
(:func:`nst_edu.beyond.multiscale.multiscale_synthesize`): ``<steps>`` at the final size after twice as many at
the coarse one (the paper starts once from white noise at the full size: coarse-to-fine is not its
procedure). A synthesis's steps are loss evaluations, as everywhere in nst-edu.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CASES = ("content", "style", "transfer", "from_photo")
CANDIDATES = ("128x300", "256x100", "256x150", "128to256x50")
TITLES = {"content": "content reconstruction (conv4_2)", "style": "style reconstruction (conv1_1 … conv5_1)",
          "transfer": "transfer, α/β = 1e-3", "from_photo": "transfer from the photo"}


def parse_candidate(name: str) -> dict:
    """``"256x100"`` → one size; ``"128to256x50"`` → coarse-to-fine, 100 steps at 128 px then 50 at 256."""
    m = re.fullmatch(r"(?:(\d+)to)?(\d+)x(\d+)", name)
    if not m:
        raise SystemExit(f"candidate {name!r}: write <size>x<steps> or <coarse>to<size>x<steps>, e.g. 256x100")
    coarse, size, steps = (int(g) if g else None for g in m.groups())
    return {"name": name, "coarse": coarse, "size": size, "steps": steps}


def run(case: str, cand: dict, model, seed: int = 0) -> tuple[torch.Tensor, dict]:
    from nst_edu.beyond.multiscale import multiscale_synthesize
    from nst_edu.synthesis import synthesize
    from nst_edu.teaching.figures import load_style
    from nst_edu.teaching.images import load_image

    photo = load_image(str(C.CONTENT), size=cand["size"])
    painting = load_style(str(C.STYLE), photo)  # at the photo's pixel count, as the figures do
    content, style = {"content": (photo, None), "style": (None, painting)}.get(case, (photo, painting))
    kw = dict(alpha=1.0, beta=1e3, seed=seed, model=model, progress=False, size=tuple(photo.shape[-2:]))
    if case == "from_photo":  # notebook 05's other start, the explorer's init=content
        kw["init"] = "content"
    if case == "content":
        kw["content_layers"] = ["conv4_2"]
    start = time.perf_counter()
    if cand["coarse"]:
        scale = cand["coarse"] / cand["size"]
        result = multiscale_synthesize(content, style, scales=(scale, 1.0),
                                       steps_per_scale=(2 * cand["steps"], cand["steps"]), **kw)
    else:
        result = synthesize(content, style, steps=cand["steps"], **kw)
    seconds = time.perf_counter() - start
    return result.best_image, {"seconds": round(seconds, 1), "steps": result.steps, "hw": list(photo.shape[-2:])}


def measure(image: torch.Tensor) -> dict:
    """Style gain and content keep at 256 px, whatever size the picture was made at (one judge for all)."""
    from nst_edu.teaching.images import load_image, match_size
    from nst_edu.teaching.measures import TransferMeasure

    global _JUDGE
    if _JUDGE is None:
        photo = load_image(str(C.CONTENT), size=256)
        _JUDGE = (TransferMeasure(photo, match_size(load_image(str(C.STYLE), size=256), photo)), photo)
    judge, photo = _JUDGE
    gain, keep = judge(match_size(image, photo))
    return {"style_gain": round(gain, 2), "content_keep": round(keep, 2)}


_JUDGE = None


def contact_sheet(pictures: dict, rows: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    from nst_edu.teaching.images import to_pil

    cases = list(pictures)
    names = list(next(iter(pictures.values())))
    fig = Figure(figsize=(3.2 * len(names), 2.9 * len(cases)), layout="constrained")
    axes = fig.subplots(len(cases), len(names), squeeze=False)
    for i, case in enumerate(cases):
        for j, name in enumerate(names):
            ax = axes[i][j]
            ax.imshow(to_pil(pictures[case][name]))
            ax.set_xticks([])
            ax.set_yticks([])
            r = rows[case][name]
            shown = {"content": f"content keep {r['content_keep']}", "style": f"style gain {r['style_gain']}"}.get(
                case, f"gain {r['style_gain']}, keep {r['content_keep']}")  # both transfers: both measures
            ax.set_title(f"{name}: {r['seconds']:.0f} s\n{shown}", fontsize=10)
            if j == 0:
                ax.set_ylabel(TITLES[case], fontsize=10)
    fig.savefig(path, dpi=100)


def settle_table(size: int, steps: int, model, window: int = 25, levels=(0.25, 0.5, 1.0, 2.0)) -> dict:
    """One transfer of ``steps`` at ``size``, its picture kept every ``window`` steps: for each threshold of
    ``settle``, the step where it would have ended the run and how far that picture still is from the last
    one (RMS grey levels) — what stopping there saves and what it costs."""
    from nst_edu.synthesis import synthesize
    from nst_edu.teaching.figures import load_style
    from nst_edu.teaching.images import load_image

    photo = load_image(str(C.CONTENT), size=size)
    painting = load_style(str(C.STYLE), photo)
    shots: dict[int, torch.Tensor] = {}
    start = time.perf_counter()
    synthesize(photo, painting, steps=steps, seed=0, model=model, progress=False, callback_every=window,
               callback=lambda info: shots.__setitem__(info.step, info.image))
    seconds = time.perf_counter() - start
    at = sorted(shots)
    final = shots[at[-1]]

    def rms(a: torch.Tensor, b: torch.Tensor) -> float:
        return 255.0 * (a - b).pow(2).mean().sqrt().item()

    moves = {b: rms(shots[a], shots[b]) for a, b in zip(at, at[1:])}
    out = {"size": size, "steps": steps, "seconds": round(seconds, 1), "window": window,
           "change_per_window": {str(k): round(v, 2) for k, v in moves.items()}, "settle": {}}
    for lv in levels:
        step = next((k for k, v in moves.items() if v < lv), None)
        out["settle"][str(lv)] = {"step": step, "saves": steps - step if step else 0,
                                  "rms_to_last": round(rms(shots[step], final), 2) if step else None}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    ap.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    ap.add_argument("--out", type=Path, default=RESULTS / "time_to_picture")
    ap.add_argument("--settle-sizes", type=int, nargs="*", default=[],
                    help="instead: where settle= would end a 300-step transfer at these sizes (e.g. 256 512)")
    args = ap.parse_args()
    cands = [parse_candidate(c) for c in args.candidates]
    from nst_edu.teaching.figures import feature_model

    model = feature_model()
    if args.settle_sizes:
        table = [settle_table(size, 300, model) for size in args.settle_sizes]
        for t in table:
            print(json.dumps(t), flush=True)
        path = args.out.parent / "settle.json"
        path.write_text(json.dumps({"machine": C.machine(), "date": time.strftime("%Y-%m-%d"), "runs": table},
                                   indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")
        return 0
    pictures: dict = {c: {} for c in args.cases}
    rows: dict = {c: {} for c in args.cases}
    for case in args.cases:
        for cand in cands:
            image, row = run(case, cand, model)
            row.update(measure(image))
            pictures[case][cand["name"]], rows[case][cand["name"]] = image, row
            print(f"{case:8} {cand['name']:12} {row}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {"machine": C.machine(), "date": time.strftime("%Y-%m-%d"), "rows": rows}
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    contact_sheet(pictures, rows, args.out.with_suffix(".png"))
    print(f"wrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
