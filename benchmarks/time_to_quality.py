"""Wall time until the loss reaches what pastiche reaches in 300 steps: nst_edu's options vs pastiche.

    .venv/bin/python benchmarks/time_to_quality.py --quick      # 128 px, ~2 min
    .venv/bin/python benchmarks/time_to_quality.py              # 512 px, ~10 min (+ ~11 min once for pastiche)

The common metric is pastiche's own loss (``PasticheArtist._calc_loss``: content 0.01·mse at
block4_relu2, style Σ_l 10/N_l² · mse of Gram/M at block{1..5}_relu1, unnormalised Caffe VGG-19,
avg pooling). Our runs minimise *the same function*: ``normalize=False``, α = 0.02/(N·M) of the
content layer, β = 1, w_l = 40/N_l² (eq. (1) is ½·Σ, eq. (4) is Σ/(4N²M²)), on pastiche's own
resized images (so targets are identical). Our loss values are therefore pastiche's; the final
image of each run is re-scored with ``_calc_loss`` as a check. The "paper" row runs our default
objective (normalised VGG, α/β = 1e-3) and is scored with pastiche's metric every 10 steps.

pastiche's reference (loss after N steps, its wall time) is cached in
``benchmarks/results/pastiche_ref_<size>_<steps>.json``; delete it to measure again. Times exclude
scoring. Runs stop once the target is reached or after --max-seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
MEAN = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)


def to_ours(x: torch.Tensor) -> torch.Tensor:
    """pastiche's BGR − mean (0-255) → RGB in [0, 1]."""
    return ((x + MEAN).flip(1) / 255.0).clamp(0, 1)


def to_pastiche(x: torch.Tensor) -> torch.Tensor:
    return x.flip(1) * 255.0 - MEAN


def make_artist(size: int):
    from pastiche.pastiche import PasticheArtist

    # style_size = the content's (H, W): pastiche divides each Gram by its own image's M, so equal
    # sizes make its loss exactly ours (and the paper's "equal sizes for both images").
    c, _ = _loaded(size)
    return PasticheArtist(str(C.CONTENT), [str(C.STYLE)], pooling="avg", size=size, device="cpu", random_init=True,
                          content_layers=C.PASTICHE_CONTENT, style_layers=C.PASTICHE_STYLE,
                          style_size=tuple(c.shape[-2:]))


def pastiche_score(artist, image: torch.Tensor) -> float:
    saved = artist.pastiche
    try:
        artist.pastiche = to_pastiche(image.detach().cpu())
        with torch.no_grad():
            return float(artist._calc_loss())
    finally:
        artist.pastiche = saved


def pastiche_reference(size: int, steps: int, seed: int) -> dict:
    path = RESULTS / f"pastiche_ref_{size}_{steps}_v2.json"
    if path.exists():
        return json.loads(path.read_text())
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    artist = make_artist(size)
    t_start = time.perf_counter() - t0
    losses, t1 = [], time.perf_counter()
    for _ in range(steps):
        artist.draw()
        losses.append(artist.loss)
    ref = {
        "size": size,
        "steps": steps,
        "loss": min(losses),
        "final_loss": losses[-1],
        "seconds": time.perf_counter() - t1,
        "startup_s": t_start,
        "curve": losses[:: max(1, steps // 30)],
        "machine": C.machine(),
    }
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(ref, indent=1))
    return ref


def matched_weights(content: torch.Tensor) -> dict:
    """α, β, w_l that make our total loss equal pastiche's loss (see the module docstring)."""
    from nst_edu.vgg import STYLE_LAYERS

    h, w = content.shape[-2:]
    m = (h // 8) * (w // 8)  # conv4_2 is after three poolings
    n_style = {"conv1_1": 64, "conv2_1": 128, "conv3_1": 256, "conv4_1": 512, "conv5_1": 512}
    return dict(alpha=0.02 / (512 * m), beta=1.0, style_weights={l: 40.0 / n_style[l] ** 2 for l in STYLE_LAYERS},
                weights="caffe", pooling="avg", model=None)


def run_config(name: str, kw: dict, content, style, target: float, artist, max_seconds: float, max_steps: int,
               matched: bool) -> dict:
    from nst_edu.beyond.multiscale import multiscale_synthesize
    from nst_edu.synthesis import synthesize
    from nst_edu.vgg import vgg19

    kw = dict(kw)
    scales = kw.pop("scales", None)
    stop = threading.Event()
    full_hw = tuple(content.shape[-2:])
    state = {"t0": None, "excluded": 0.0, "reached": None, "best": float("inf"), "steps": 0}

    def callback(info) -> None:
        t_in = time.perf_counter()
        state["steps"] += 1
        elapsed = t_in - state["t0"] - state["excluded"]
        if tuple(info.image.shape[-2:]) == full_hw:
            if matched:
                value = info.total
            elif info.step % 10 == 0:
                value = pastiche_score(artist, info.image)
            else:
                value = float("inf")
            state["best"] = min(state["best"], value)
            if value <= target and state["reached"] is None:
                state["reached"] = (elapsed, state["steps"])
                stop.set()
        if elapsed > max_seconds:
            stop.set()
        state["excluded"] += time.perf_counter() - t_in

    model = vgg19(layers=["conv4_2", "conv5_1"], pooling="avg", normalize=False if matched else None)
    model = model.to(memory_format=torch.channels_last)  # what synthesize does with a model it builds
    common = dict(progress=False, callback=callback, callback_every=1, stop_event=stop, seed=0, warn_slow=False,
                  model=model, device="cpu")
    if matched:
        w = matched_weights(content)
        w.pop("model"), w.pop("weights"), w.pop("pooling")
        common.update(w)
    common.update(kw)
    state["t0"] = time.perf_counter()
    if scales:
        r = multiscale_synthesize(content, style, scales=scales, steps=max_steps, **common)
    else:
        r = synthesize(content, style, steps=max_steps, **common)
    wall = time.perf_counter() - state["t0"] - state["excluded"]
    full = tuple(r.best_image.shape[-2:]) == full_hw  # a multiscale run stopped early ends at a coarse scale
    final = pastiche_score(artist, r.best_image) if full else float("inf")
    reached = state["reached"]
    return {
        "config": name,
        "reached_s": reached[0] if reached else None,
        "evals": reached[1] if reached else state["steps"],
        "wall_s": wall,
        "best_loss": min(state["best"], final),
        "final_pastiche_loss": final,
    }


CONFIGS = {
    "default (noise, strong-Wolfe, m=20)": {},
    "history_size=100 (torch's default)": {"history_size": 100},
    "init=content": {"init": "content"},
    "coarse-to-fine 0.25/0.5/1": {"scales": (0.25, 0.5, 1.0), "steps_per_scale": None},
    "coarse-to-fine + content init": {"scales": (0.5, 1.0), "init": "content"},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="128 px, pastiche 60 steps, 30 s cap per config")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--ref-steps", type=int, default=300)
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument(
        "--paper", action="store_true", help="also run our default (normalised) objective, scored by pastiche's metric"
    )
    a = ap.parse_args()
    if a.quick:
        a.size, a.ref_steps, a.max_seconds = 128, 60, 30.0
    torch.manual_seed(0)
    print("machine:", json.dumps(C.machine()), flush=True)
    ref = pastiche_reference(a.size, a.ref_steps, 0)
    print(f"pastiche: loss {ref['loss']:.4g} after {ref['steps']} steps in {ref['seconds']:.1f} s "
          f"(+{ref['startup_s']:.1f} s startup)", flush=True)
    artist = make_artist(a.size)
    c_raw, s_raw = _loaded(a.size)
    content, style = to_ours(c_raw), to_ours(s_raw)
    assert tuple(content.shape[-2:]) == tuple(artist.pastiche.shape[-2:])
    configs = dict(CONFIGS)
    for cfg in configs.values():
        if cfg.get("scales") and cfg.get("steps_per_scale", 0) is None:
            cfg.pop("steps_per_scale")
            cfg["steps_per_scale"] = [100, 100, 10 * a.ref_steps][-len(cfg["scales"]):]
        elif cfg.get("scales"):
            cfg["steps_per_scale"] = [100, 10 * a.ref_steps][-len(cfg["scales"]):]
    rows = []
    for name, kw in configs.items():
        r = run_config(name, kw, content, style, ref["loss"], artist, a.max_seconds, 10 * a.ref_steps, matched=True)
        rows.append(r)
        print(f"  {name:34s} reached: {_fmt(r['reached_s'])}  evals {r['evals']}  best loss {r['best_loss']:.4g} "
              f"(re-scored {r['final_pastiche_loss']:.4g})", flush=True)
    if a.paper:
        r = run_config("paper objective (normalised, 1e-3)", {}, content, style, ref["loss"], artist, a.max_seconds,
                       10 * a.ref_steps, matched=False)
        rows.append(r)
    print()
    print(f"target: pastiche's loss after {ref['steps']} steps = {ref['loss']:.4g}, reached by pastiche in "
          f"{ref['seconds']:.1f} s ({a.size} px)")
    print(
        C.table(
            [
                [
                    r["config"],
                    _fmt(r["reached_s"]),
                    r["evals"],
                    f"{ref['seconds'] / r['reached_s']:.1f}×" if r["reached_s"] else "-",
                    f"{r['best_loss']:.4g}",
                ]
                for r in rows
            ],
            ["config", "time to target", "evals", "speed-up vs pastiche", "best loss"],
        )
    )


def _loaded(size: int):
    """pastiche's own resized content and style (so both tools have identical targets)."""
    from pastiche.pastiche import load_image

    c = load_image(str(C.CONTENT), size=size)
    s = load_image(str(C.STYLE), size=tuple(c.shape[-2:]))
    return c, s


def _fmt(s):
    return f"{s:.1f} s" if s is not None else "not reached"


if __name__ == "__main__":
    main()
