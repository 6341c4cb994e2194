"""Speed paths: estimates, channels_last, bf16 autocast, batching, coarse-to-fine.

All on CPU with random weights (fast). The CUDA versions of these paths (bf16 autocast on a GPU,
cuDNN channels_last) run the same code but are not tested here: no GPU in CI.
"""
from __future__ import annotations

import warnings

import pytest
import torch

from nst_edu.beyond.multiscale import multiscale_synthesize, synthesize_batch
from nst_edu.machinery import estimate as est
from nst_edu.synthesis import SynthesisResult, synthesize
from nst_edu.vgg import CONTENT_LAYERS, STYLE_LAYERS, vgg19

LAYERS = list(CONTENT_LAYERS) + list(STYLE_LAYERS)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return vgg19(weights=None, layers=LAYERS)


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(1)
    return torch.rand(1, 3, 32, 40, generator=g), torch.rand(1, 3, 32, 40, generator=g)


def run(model, images, **kw):
    c, s = images
    kw.setdefault("steps", 3)
    return synthesize(c, s, model=model, progress=False, device="cpu", warn_slow=False, **kw)


# ----------------------------------------------------------------------------- estimate
def test_flops_match_hand_count():
    # 256×192, forward to relu5_1 + input gradient: ~71 GFLOP (the number quoted in DEVELOPERS/benchmarks).
    assert est.step_flops((192, 256), LAYERS) / 1e9 == pytest.approx(71.0, rel=0.01)
    # conv1_1 alone: 2·3·64·9·H·W forward, same backward
    assert est.step_flops((10, 10), ["conv1_1"]) == 2 * 2 * 3 * 64 * 9 * 100


def test_estimate_monotone_and_sensible():
    sizes = [(96, 128), (192, 256), (384, 512), (768, 1024)]
    e = [est.estimate(s, LAYERS, "cpu", steps=300) for s in sizes]
    for a, b in zip(e, e[1:]):
        assert b.seconds_per_step > a.seconds_per_step and b.peak_memory_bytes > a.peak_memory_bytes
        assert b.total_seconds == pytest.approx(300 * b.seconds_per_step)
    # order of magnitude on a few-core CPU: 256 px takes 0.01-10 s per step, 100 MB-3 GB
    assert 0.01 < e[1].seconds_per_step < 10
    assert 1e8 < e[1].peak_memory_bytes < 3e9
    assert est.estimate((192, 256), LAYERS, "cuda").seconds_per_step < e[1].seconds_per_step
    assert (
        "min" in est.estimate((1536, 2048), LAYERS, "cpu").describe()
        or "h" in est.estimate((1536, 2048), LAYERS, "cpu").describe()
    )


def test_warning_message(monkeypatch):
    monkeypatch.delenv("NST_EDU_NO_ESTIMATE", raising=False)
    assert est.warning_message((32, 32), LAYERS, "cpu", 10) is None
    msg = est.warning_message((1536, 2048), LAYERS, "cpu", 300)
    assert msg and "try size=" in msg and "\n" not in msg


def test_synthesize_warns_before_long_runs(model, images, monkeypatch):
    monkeypatch.delenv("NST_EDU_NO_ESTIMATE", raising=False)
    monkeypatch.setitem(est.THROUGHPUT_GFLOPS, "cpu_per_thread", 1e-6)  # pretend a very slow CPU
    c, s = images
    with pytest.warns(est.SlowRunWarning, match="estimated"):
        synthesize(c, s, model=model, steps=1, progress=False, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        synthesize(c, s, model=model, steps=1, progress=False, device="cpu", warn_slow=False)


# ----------------------------------------------------------------------------- same math, faster
def test_channels_last_same_losses(model, images):
    a = run(model, images, channels_last=False)
    b = run(model, images, channels_last=True)
    assert a.history.total[0] == pytest.approx(b.history.total[0], rel=1e-5)
    assert a.history.style_layers["conv3_1"][0] == pytest.approx(b.history.style_layers["conv3_1"][0], rel=1e-4)
    assert b.image.shape == (1, 3, 32, 40) and b.image.is_contiguous()


def test_bf16_autocast_close_to_float32(model, images):
    a = run(model, images, steps=1, precision="float32")
    b = run(model, images, steps=1, precision="bfloat16")
    assert b.image.dtype == torch.float32
    assert b.history.total[0] == pytest.approx(a.history.total[0], rel=0.05)


def test_losses_match_losses_module(model, images):
    from nst_edu import losses

    c, s = images
    start = torch.rand(c.shape, generator=torch.Generator().manual_seed(5))  # not the photo: content loss > 0
    r = run(model, images, steps=1, init=start)
    with torch.no_grad():
        x, p, a = model(start, LAYERS), model(c, ["conv4_2"]), model(s, STYLE_LAYERS)
        lc = losses.content_loss(x["conv4_2"], p["conv4_2"])
        ls = losses.style_loss({n: x[n] for n in STYLE_LAYERS}, {n: losses.gram_matrix(a[n]) for n in STYLE_LAYERS})
    assert float(lc) > 0 and float(ls) > 0
    assert r.history.content[0] == pytest.approx(float(lc), rel=1e-4)
    assert r.history.style[0] == pytest.approx(float(ls), rel=1e-4)


# ----------------------------------------------------------------------------- batching
def test_batch_with_adam_equals_separate_runs(model, images):
    c, _ = images
    init = torch.rand_like(c)
    ratios = [1e-2, 1e-4]
    batch = synthesize_batch(*images, ratios=ratios, model=model, optimizer="adam", steps=4, init=init,
                             progress=False, device="cpu", warn_slow=False)
    assert isinstance(batch, SynthesisResult) and batch.image.shape == (2, 3, 32, 40)
    totals0 = 0.0
    for i, r in enumerate(ratios):
        single = run(model, images, optimizer="adam", steps=4, init=init, alpha=r, beta=1.0)
        torch.testing.assert_close(batch.image[i : i + 1], single.image, atol=1e-4, rtol=1e-4)
        totals0 += single.history.total[0]
    assert batch.history.total[0] == pytest.approx(totals0, rel=1e-5)


def test_batch_lbfgs_gives_each_image_its_own_ratio(model, images):
    from nst_edu import losses

    c, s = images
    r = synthesize_batch(*images, alphas=[1.0, 1.0, 1.0], betas=[1e-4, 1e-2, 1.0], model=model, steps=30,
                         init="content", progress=False, device="cpu", warn_slow=False)
    assert r.image.shape == (3, 3, 32, 40) and r.steps == 30 and r.history.total[-1] <= r.history.total[0]
    with torch.no_grad():  # each image's own losses: the larger its β, the further from the photo
        a = {n: losses.gram_matrix(f) for n, f in model(s, STYLE_LAYERS).items()}
        p = model(c, ["conv4_2"])["conv4_2"]
        content = [float(losses.content_loss(model(r.image[i:i + 1], ["conv4_2"])["conv4_2"], p)) for i in range(3)]
        style = [float(losses.style_loss(model(r.image[i:i + 1], STYLE_LAYERS), a)) for i in range(3)]
        photo_style = float(losses.style_loss(model(c, STYLE_LAYERS), a))
    # Measured (random weights): content 4.3e-9 < 2.2e-8 < 4.4e-8, style 0.13-0.16 of the photo's.
    assert 2 * content[0] < content[1] < content[2], content
    assert max(style) < 0.5 * photo_style, (style, photo_style)


# ----------------------------------------------------------------------------- coarse-to-fine
def test_multiscale_continues_from_the_upsampled_coarse_result(model, images, monkeypatch):
    import nst_edu.beyond.multiscale as ms

    calls = []

    def recording(*args, **kw):
        calls.append((kw["init"], kw["size"], synthesize(*args, **kw)))
        return calls[-1][2]

    monkeypatch.setattr(ms, "synthesize", recording)
    r = multiscale_synthesize(*images, scales=(0.5, 1.0), steps_per_scale=(3, 2), model=model, seed=0,
                              progress=False, device="cpu", warn_slow=False)
    assert r.image.shape == (1, 3, 32, 40) and r.steps == 5 and r.stop_reason == "finished"
    (first_init, first_size, coarse), (second_init, second_size, fine) = calls
    assert first_init == "noise" and first_size == (16, 20) and coarse.image.shape == (1, 3, 16, 20)
    upsampled = torch.nn.functional.interpolate(coarse.image, (32, 40), mode="bilinear", align_corners=False)
    assert second_size == (32, 40) and torch.equal(second_init, upsampled.clamp(0, 1))
    assert torch.equal(r.image, fine.image)
    with pytest.raises(ValueError):
        multiscale_synthesize(*images, scales=(0.5, 1.0), steps_per_scale=(3,), model=model)


def test_default_call_unchanged(model, images):
    c, s = images
    r = synthesize(c, s, model=model, steps=2, progress=False, device="cpu")
    assert r.image.shape == (1, 3, 32, 40) and r.steps == 2 and len(r.history.total) == 2
    assert isinstance(r.history.total[0], float)
