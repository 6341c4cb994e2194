"""Where a step's time goes, and the best fraction of the conv peak any step could reach here.

    .venv/bin/python benchmarks/step_breakdown.py [--sizes 256 512] [--steps 5]

One step (one loss evaluation: forward to relu5_1, the paper's losses, gradient with respect to
the image) is profiled with ``torch.profiler`` and its operators grouped: convolution forward,
convolution input-gradient, Gram matrix products (forward and backward), and everything else
(ReLU and its backward, pooling, gradient sums, loss arithmetic). Each group is shown next to the
ceiling of the hardware path it runs on, measured in the same run:

* convolutions: the 3×3-conv peak (oneDNN, ``_common.conv_peak_gflops``);
* Gram products: the float32 matrix-product peak (``torch.matmul`` → MKL sgemm), because
  G = F Fᵀ and its gradient (Ḡ + Ḡᵀ) F are matrix products (everything inside the Gram
  backward counts here, whatever kernels it uses);
* the rest: memory bandwidth (a large copy).

The last two lines bound the issue's "per evaluation ≥ 90 % of the conv peak" from above:

* bound A: the convolutions at the conv peak, the Gram products at the sgemm peak, and everything
  else free;
* bound B: the convolutions as fast as oneDNN ran them in this step, the Gram products at the
  conv peak (as if they ran on oneDNN's AVX-512 kernels, faster than it runs them for these
  shapes), and ReLU forward and backward at the copy bandwidth (5 passes over every response:
  read and write forward; read gradient and response, write gradient backward).
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C

GRAM_BACKWARD = "nst_edu::gram_backward"
GROUPS = {
    "aten::mkldnn_convolution": "conv forward",
    "aten::convolution_backward": "conv input-gradient",
    "aten::bmm": "Gram products",
    "aten::mm": "Gram products",
}


def gram_flops(shape_hw: tuple[int, int], layers: list[str]) -> float:
    """FLOPs of the Gram matrices of a step: G = F Fᵀ (2N²M) and its gradient (Ḡ + Ḡᵀ) F (2N²M)."""
    from nst_edu.machinery.estimate import conv_shapes

    shapes = {name: (co, h * w) for name, _, co, h, w in conv_shapes(shape_hw, layers)}
    return sum(2 * 2 * shapes[n][0] ** 2 * shapes[n][1] for n in layers)


def relu_bytes(shape_hw: tuple[int, int], layers: list[str]) -> float:
    """Bytes that ReLU forward (read + write) and backward (read 2 + write 1) must move: 5·4 per value."""
    from nst_edu.machinery.estimate import conv_shapes

    return sum(5 * 4 * co * h * w for _, _, co, h, w in conv_shapes(shape_hw, layers))


@contextmanager
def _gram_backward_labelled() -> Iterator[None]:
    """Label the Gram matrix's backward (nst_edu.losses._Gram) for the profiler."""
    from torch.profiler import record_function

    from nst_edu.losses import _Gram

    original = _Gram.backward

    def labelled(ctx, dG):
        with record_function(GRAM_BACKWARD):
            return original(ctx, dG)

    _Gram.backward = staticmethod(labelled)
    try:
        yield
    finally:
        _Gram.backward = staticmethod(original)


def _group(event) -> str:
    """The group of a profiled operator: inside the Gram backward, or by its name."""
    parent = event
    while parent is not None:
        if parent.name == GRAM_BACKWARD:
            return "Gram products"
        parent = parent.cpu_parent
    return GROUPS.get(event.name, "other (ReLU, pooling, sums, losses)")


def breakdown(size: int, steps: int) -> dict:
    import torch
    from torch.profiler import ProfilerActivity, profile

    from nst_edu.machinery.estimate import step_flops
    from nst_edu.objective import make_objective
    from nst_edu.synthesis import heap_kept
    from nst_edu.teaching.images import load_image
    from nst_edu.vgg import CONTENT_LAYERS, STYLE_LAYERS, vgg19

    c_layers, s_layers = list(CONTENT_LAYERS), list(STYLE_LAYERS)
    content, style = load_image(C.CONTENT, size), load_image(C.STYLE, size)
    model = vgg19(layers=c_layers + s_layers, pooling="avg").to(memory_format=torch.channels_last)
    cl = torch.channels_last
    objective = make_objective(model, content.contiguous(memory_format=cl), style.contiguous(memory_format=cl),
                               c_layers, s_layers)
    x = torch.rand_like(content).requires_grad_(True)

    def step() -> None:  # exactly what synthesize's closure does, minus bookkeeping
        x.grad = None
        feats = {n: F.float() for n, F in model(x.contiguous(memory_format=cl), objective.layers).items()}
        objective(feats).total.sum().backward()

    with heap_kept(x):  # as synthesize does
        for _ in range(2):
            step()  # warm-up: oneDNN kernels, heap
        t = time.perf_counter()
        for _ in range(steps):
            step()
        wall = (time.perf_counter() - t) / steps
        with profile(activities=[ProfilerActivity.CPU]) as prof, _gram_backward_labelled():
            for _ in range(steps):
                step()
    ms: dict[str, float] = defaultdict(float)
    for e in prof.events():
        ms[_group(e)] += e.self_cpu_time_total / 1e3 / steps
    shape = tuple(content.shape[-2:])
    return {"shape": shape, "wall_ms": wall * 1e3, "ms": dict(ms),
            "conv_gflop": step_flops(shape, c_layers + s_layers) / 1e9, "gram_gflop": gram_flops(shape, s_layers) / 1e9,
            "relu_gb": relu_bytes(shape, c_layers + s_layers) / 1e9}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    print("machine:", C.machine())
    conv_peak, sgemm_peak, bw = C.conv_peak_gflops(), C.sgemm_peak_gflops(), C.memory_bandwidth_gbs()
    print(f"ceilings: 3×3-conv peak {conv_peak:.0f} GFLOP/s, sgemm peak {sgemm_peak:.0f} GFLOP/s, copy {bw:.0f} GB/s\n")
    for size in a.sizes:
        r = breakdown(size, a.steps)
        h, w = r["shape"]
        total = sum(r["ms"].values())
        conv_flop = r["conv_gflop"]
        rows = []
        for group in ("conv forward", "conv input-gradient", "Gram products", "other (ReLU, pooling, sums, losses)"):
            t = r["ms"].get(group, 0.0)
            gflop = conv_flop / 2 if group.startswith("conv") else r["gram_gflop"] if group.startswith("Gram") else None
            ceiling = conv_peak if group.startswith("conv") else sgemm_peak if gflop else None
            rate = gflop / (t / 1e3) if gflop else None
            rows.append([group, f"{t:.1f}", f"{t / total:.0%}", f"{gflop:.1f}" if gflop else "–",
                         f"{rate:.0f}" if rate else "–", f"{ceiling:.0f}" if ceiling else f"{bw:.0f} GB/s",
                         f"{rate / ceiling:.0%}" if rate else "–"])
        print(f"{size} px ({w}×{h}): {r['wall_ms']:.1f} ms per step without the profiler, {total:.1f} ms with it")
        print(C.table(rows, ["group", "ms/step", "share", "GFLOP", "GFLOP/s", "ceiling", "of ceiling"]))
        achieved = conv_flop / (r["wall_ms"] / 1e3)
        print(f"achieved: {achieved:.0f} GFLOP/s = {achieved / conv_peak:.0%} of the conv peak")
        bound_a = conv_flop / conv_peak + r["gram_gflop"] / sgemm_peak
        conv_s = (r["ms"].get("conv forward", 0.0) + r["ms"].get("conv input-gradient", 0.0)) / 1e3
        bound_b = conv_s + r["gram_gflop"] / conv_peak + r["relu_gb"] / bw
        for name, t in (
            ("A (convs and Gram at their peaks, all else free)", bound_a),
            (f"B (convs as measured, Gram at the conv peak, ReLU {r['relu_gb']:.2f} GB at {bw:.0f} GB/s)", bound_b),
        ):
            print(f"upper bound {name}: {t * 1e3:.1f} ms → {conv_flop / t / conv_peak:.1%} of the conv peak")
        print()


if __name__ == "__main__":
    main()
