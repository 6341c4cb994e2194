"""The synthesis loop on tiny images with random (fast) weights: how a run goes and how it ends.
(What synthesize accepts and refuses: test_synthesize_settings.py.)"""
import linecache
import sys
import threading
import warnings

import pytest
import tiny_images
import torch
from tiny_images import LAYERS, run

from nst_edu import synthesis

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation


@pytest.mark.parametrize("which", ["content", "style", "both"])
def test_each_experiment_lowers_its_loss(model, photo_and_painting, which):
    content = photo_and_painting[0] if which in ("content", "both") else None
    style = photo_and_painting[1] if which in ("style", "both") else None
    r = run(model, content, style, size=(16, 16))
    assert r.steps == 15 and len(r.history.total) == 15 and r.stop_reason == "finished"
    assert r.history.total[-1] < 0.5 * r.history.total[0]
    assert r.best_loss == min(r.history.total)
    assert r.image.shape == (r.best_image.shape) and 0 <= r.image.min() and r.image.max() <= 1
    if style is not None:
        assert set(r.history.style_layers) == set(LAYERS)
    if content is None:
        assert r.image.shape == (1, 3, 16, 16)  # `size` sets the output of a style reconstruction


def test_seed_makes_runs_bit_identical(model, photo_and_painting):
    a = run(model, *photo_and_painting, seed=3)
    b = run(model, *photo_and_painting, seed=3)
    c = run(model, *photo_and_painting, seed=4)
    assert torch.equal(a.image, b.image) and a.history.total == b.history.total
    assert not torch.equal(a.image, c.image)


def test_targets_computed_once_per_run(model, photo_and_painting, monkeypatch):
    calls = []
    original = type(model).forward

    def counting(self, image, layers=None):
        calls.append(image.requires_grad)
        return original(self, image, layers)

    monkeypatch.setattr(type(model), "forward", counting)
    r = run(model, *photo_and_painting, steps=6)
    assert calls.count(False) == 2  # one target pass per image, under no_grad
    assert calls.count(True) == r.steps


def test_stop_event_ends_the_run_and_keeps_the_best_image(model, photo_and_painting):
    stop = threading.Event()
    seen = []

    def callback(info):
        seen.append(info.step)
        if info.step >= 4:
            stop.set()

    r = run(model, *photo_and_painting, steps=50, callback=callback, callback_every=2, stop_event=stop)
    assert r.interrupted and r.stop_reason == "stopped"
    assert r.steps <= 5 and seen[:2] == [2, 4]
    assert r.best_loss == min(r.history.total)


def _spiked_run(model, photo_and_painting, at, spike, then=None, **kw):
    """A run whose loss jumps by ``spike`` at evaluation ``at`` (a term without gradient: the path is unchanged),
    every evaluated image recorded: (result, [(total, image) per step]). So the last step is not the best one,
    and a loop that returned the last image instead of the best would be seen."""
    calls, seen = [], []

    def extra_loss(x):
        calls.append(1)
        return (x * 0).sum() + (spike if len(calls) == at else 0.0)

    def record(info):
        seen.append((info.total, info.image))
        if then is not None:
            then(info)

    r = run(model, *photo_and_painting, extra_loss=extra_loss, callback=record, callback_every=1, **kw)
    return r, seen, min(range(len(seen)), key=lambda k: seen[k][0])


def test_the_end_of_lbfgs_returns_the_best_image_not_the_last(model, photo_and_painting):
    r, seen, best = _spiked_run(model, photo_and_painting, at=20, spike=10.0, steps=20)
    assert r.stop_reason == "finished" and best < len(seen) - 1  # the last step is not the best
    assert r.best_step == best + 1 and r.best_loss == seen[best][0]
    assert torch.equal(r.image, seen[best][1]) and torch.equal(r.best_image, seen[best][1])


@pytest.mark.parametrize("how", ["stop", "ctrl-c"])
def test_stop_and_ctrl_c_return_the_best_image_not_the_last(model, photo_and_painting, how):
    stop = threading.Event()

    def then(info):
        if info.step == 8:  # right after the spiked evaluation
            if how == "stop":
                stop.set()
            else:
                raise KeyboardInterrupt

    r, seen, best = _spiked_run(model, photo_and_painting, at=8, spike=10.0, then=then, steps=50, stop_event=stop)
    assert r.interrupted and r.steps == len(seen) == 8 and best < 7 and r.best_step == best + 1
    assert torch.equal(r.image, seen[best][1]) and torch.equal(r.best_image, seen[best][1])


@pytest.mark.parametrize("how", ["finished", "stop", "ctrl-c"])
def test_adam_returns_its_last_step_and_the_best_image_beside_it(model, photo_and_painting, how):
    # SynthesisResult.image: "Adam: its last step, or best_image if it diverged". A stop is not a failure:
    # no warning. The spike at evaluation 6 makes an earlier step the best.
    stop = threading.Event()

    def then(info):
        if info.step == 6 and how == "stop":
            stop.set()
        if info.step == 6 and how == "ctrl-c":
            raise KeyboardInterrupt  # inside evaluation 6, before Adam's update

    kw = dict(optimizer="adam", lr=0.05, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r, seen, best = _spiked_run(model, photo_and_painting, at=6, spike=10.0, then=then,
                                    steps=6 if how == "finished" else 50, stop_event=stop, **kw)
    _, path, _ = _spiked_run(model, photo_and_painting, at=6, spike=10.0, steps=7, **kw)  # the same path, one step on
    assert r.stop_reason == {"finished": "finished", "stop": "stopped", "ctrl-c": "interrupted"}[how]
    assert r.steps == 6 and best < 5 and torch.equal(r.best_image, seen[best][1])
    last = path[5][1] if how == "ctrl-c" else path[6][1]  # x after 6 updates is what evaluation 7 sees
    assert torch.equal(r.image, last) and not torch.equal(r.image, r.best_image)


def test_a_divergence_returns_the_best_image(model, photo_and_painting):
    with pytest.warns(RuntimeWarning, match="diverged at step 8") as caught:
        r, seen, best = _spiked_run(model, photo_and_painting, at=8, spike=float("nan"), steps=20)
    if "mutmut.mutation.trampoline" not in sys.modules:  # make mutate's copy: its trampolines add frames
        # stacklevel: the warning names the line that called synthesize (in run(), tests/tiny_images.py)
        assert caught[0].filename == tiny_images.__file__
        assert "synthesis.synthesize(" in linecache.getline(tiny_images.__file__, caught[0].lineno)
    assert not r.interrupted and r.steps == len(seen) == 7 and r.best_step == best + 1
    assert torch.equal(r.image, seen[best][1]) and r.best_loss == seen[best][0]


def test_ctrl_c_returns_the_best_so_far(model, photo_and_painting):
    def callback(info):
        raise KeyboardInterrupt

    r = run(model, *photo_and_painting, steps=50, callback=callback, callback_every=3)
    assert r.interrupted and r.stop_reason == "interrupted" and r.steps == 3


def test_nan_loss_stops_with_a_clear_message(model, photo_and_painting):
    bad = photo_and_painting[0].clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.warns(RuntimeWarning, match="diverged"):
        r = run(model, bad, None, steps=5)
    assert "lower the learning rate" in r.stop_reason and not r.interrupted
    assert r.best_step == 0 and r.best_loss == float("inf")  # no step was better than the start


def test_line_search_trials_are_not_divergence_and_a_divergence_keeps_the_best(model, photo_and_painting):
    # Any loss above 1e-9 × the first counts as a blow-up. Strong Wolfe's overshooting trials are
    # rejected by the line search itself, so the run goes on; Adam (and L-BFGS without it) stop.
    r = run(model, *photo_and_painting, steps=12, divergence_factor=1e-9)
    assert r.stop_reason == "finished" and r.steps == 12
    with pytest.warns(RuntimeWarning, match="diverged"):
        r = run(model, *photo_and_painting, steps=12, divergence_factor=1e-9, optimizer="adam")
    assert r.steps == 1 and torch.equal(r.image, r.best_image)


def test_adam_and_init_options(model, photo_and_painting):
    r = run(model, photo_and_painting[0], None, optimizer="adam", lr=0.05, steps=10, init="content")
    assert r.steps == 10
    assert r.history.total[0] == pytest.approx(0.0, abs=1e-3)  # starting at the photo: no content error
    given = torch.full_like(photo_and_painting[0], 0.5)
    r = run(model, photo_and_painting[0], None, init=given, steps=3)
    assert r.steps == 3


def test_noise_amplitude_sets_the_start(model, photo_and_painting) -> None:
    for a in (0.1, 0.5):
        x = synthesis.initial_image("noise", (1, 3, 32, 32), None, 0, a)
        assert abs(float(x.max() - x.min()) - 2 * a) < 0.05 * a and abs(float(x.mean()) - 0.5) < 0.05
    # and it reaches the run: after one evaluation the best image is still the start
    for a in (0.05, 0.4):
        start = run(model, photo_and_painting[0], steps=1, noise_amplitude=a).best_image
        assert abs(float(start.max() - start.min()) - 2 * a) < 0.05 * a


def test_the_white_noise_is_a_tenth_around_mid_grey():
    """The README's start: uniform noise of half-width 0.1 around 0.5 (full-range noise would be 0.5)."""
    from nst_edu.minimize import initial_image

    x = initial_image("noise", (1, 3, 64, 64), None, seed=0)
    assert 0.4 <= float(x.min()) < 0.41 and 0.59 < float(x.max()) <= 0.6
    assert abs(float(x.mean()) - 0.5) < 0.005 and abs(float(x.std()) - 0.2 / 12**0.5) < 0.003


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_only_the_ratio_matters_a_common_scale_of_alpha_and_beta_gives_the_same_image(model, photo_and_painting,
                                                                                       optimizer):
    # The optimiser minimises eq. (7) divided by a power of two near its first value (minimize.loss_unit):
    # scaling α and β together by 2^k changes no digit, so the image is the same to the bit. Without
    # it, α = 1e-3·2^-40 stalls L-BFGS (y·s under its 1e-10 curvature check) and Adam (ε).
    kw = dict(seed=0, steps=25, optimizer=optimizer)
    paper = run(model, *photo_and_painting, alpha=1e-3, beta=1.0, **kw)
    for k in (-40, 30):
        scaled = run(model, *photo_and_painting, alpha=1e-3 * 2.0**k, beta=2.0**k, **kw)
        assert torch.equal(scaled.image, paper.image), f"α, β × 2^{k} changed the image"
        assert scaled.history.style == paper.history.style and scaled.history.content == paper.history.content


def test_a_common_scale_that_is_not_a_power_of_two_changes_only_rounding(model, photo_and_painting):
    paper = run(model, *photo_and_painting, alpha=1e-3, beta=1.0, seed=0, steps=25)
    tiny = run(model, *photo_and_painting, alpha=1e-9, beta=1e-6, seed=0, steps=25)  # the stalled case
    # Measured: 0.029 pixel RMS and style ×1.01 (rounding, which L-BFGS amplifies; (1e3, 1e6) gives
    # 0.022 and ×0.90); before the loss unit, 0.20 and ×28: the run had stalled.
    assert tiny.history.style[-1] == pytest.approx(paper.history.style[-1], rel=0.25)
    assert (tiny.image - paper.image).pow(2).mean().sqrt() < 0.08


def test_the_loss_unit_is_the_power_of_two_nearest_the_first_loss():
    from nst_edu.minimize import loss_unit
    assert [loss_unit(v) for v in (1.0, 1.4, 1.5, 3e-9, 5e5)] == [1.0, 1.0, 2.0, 2.0**-28, 2.0**19]
    assert loss_unit(0.0) == loss_unit(float("nan")) == loss_unit(-1.0) == 1.0


# ------------------------------------------------- what mutation testing found unwatched (make mutate)
@pytest.mark.parametrize("optimizer, default_lr", [("lbfgs", 1.0), ("adam", 0.02)])
def test_the_default_learning_rates(model, photo_and_painting, optimizer, default_lr):
    unset = run(model, *photo_and_painting, optimizer=optimizer, seed=0, steps=8)
    given = run(model, *photo_and_painting, optimizer=optimizer, lr=default_lr, seed=0, steps=8)
    other = run(model, *photo_and_painting, optimizer=optimizer, lr=default_lr / 2, seed=0, steps=8)
    assert torch.equal(unset.image, given.image) and not torch.equal(unset.image, other.image)


def test_the_callback_sees_every_kth_step_and_the_last_with_its_numbers(model, photo_and_painting):
    seen = []
    r = run(model, *photo_and_painting, steps=12, callback=seen.append, callback_every=5)
    assert [s.step for s in seen] == [5, 10, 12] and {s.steps for s in seen} == {12}
    for s in seen:
        k = s.step - 1
        assert (s.total, s.content, s.style) == (r.history.total[k], r.history.content[k], r.history.style[k])
        assert s.image.device.type == "cpu" and s.image.shape == r.image.shape
        assert 0 <= float(s.image.min()) and float(s.image.max()) <= 1
    run(model, *photo_and_painting, steps=3, callback=seen.append, callback_every=0)
    assert [s.step for s in seen[3:]] == [1, 2, 3]  # callback_every below 1: every step


def test_the_progress_bar_is_shown_when_asked_and_the_time_is_measured(model, photo_and_painting, capsys):
    import time

    start = time.perf_counter()
    r = run(model, *photo_and_painting, steps=4, progress=True)
    elapsed = time.perf_counter() - start
    shown = capsys.readouterr().err
    assert "synthesis:" in shown and "/4 [" in shown
    assert shown.rstrip("\r").split("\r")[-1].strip() == ""  # erased when done (leave=False)
    assert 0 < r.wall_time <= elapsed  # exact: the run's own clock is inside ours
    run(model, *photo_and_painting, steps=4, progress=False)
    assert capsys.readouterr().err == ""


def test_the_heap_is_kept_above_8_mib_of_conv1_responses_on_a_cpu(monkeypatch):
    from nst_edu import minimize as loop
    from nst_edu.machinery import allocator
    asked = []
    monkeypatch.setattr(loop, "helps_keep_freed", lambda n: asked.append(n) or n > allocator.KEEP_FREED_ABOVE)
    monkeypatch.setattr(loop, "keep_freed_memory", lambda enabled: enabled)
    assert loop.heap_kept(torch.zeros(1, 3, 256, 128)) is False  # 64 filters × 256 × 128 × 4 bytes: 8 MiB, not above
    assert asked == [64 * 256 * 128 * 4]
    assert loop.heap_kept(torch.zeros(2, 3, 256, 128)) is True  # a batch of two: 16 MiB
    assert loop.heap_kept(torch.zeros(2, 3, 256, 128, device="meta")) is False  # only a CPU's heap


def test_the_history_keeps_every_step_each_layers_e_l_and_why_the_run_ended(model, photo_and_painting, monkeypatch):
    from nst_edu import minimize as loop
    bars = []

    class Bar(loop.tqdm):  # what the progress bar counted and showed last
        def close(self):
            if not self.disable:  # tqdm closes once more when it is deleted, then disabled
                bars.append((self.n, self.postfix))
            super().close()

    monkeypatch.setattr(loop, "tqdm", Bar)
    r = run(model, *photo_and_painting, steps=6, progress=True)
    h = r.history
    assert r.stop_reason == "finished" and not r.interrupted
    assert h.step == [1, 2, 3, 4, 5, 6]
    for i in range(6):  # eq. (5) with w_l = 1/2 each: the style term is the mean of the two layers' E_l
        assert h.style[i] == pytest.approx(sum(h.style_layers[n][i] for n in LAYERS) / 2, rel=1e-5)
    assert bars == [(6, f"loss={h.total[-1]:.3g}")]
    adam = run(model, *photo_and_painting, steps=2, optimizer="adam")  # Adam's loop ends by itself, not by the closure
    assert adam.stop_reason == "finished" and not adam.interrupted


def test_the_network_runs_in_bfloat16_only_when_its_precision_says_so(model, photo_and_painting, monkeypatch):
    import contextlib

    from nst_edu import minimize as loop
    asked = []
    monkeypatch.setattr(loop.torch, "autocast", lambda *a, **k: asked.append((a, k)) or contextlib.nullcontext())
    monkeypatch.delenv("NST_EDU_PRECISION", raising=False)
    monkeypatch.setenv("NST_EDU_QUICK", "1")
    run(model, *photo_and_painting, steps=2)  # "auto" in quick mode (the tests): float32 on every machine
    run(model, *photo_and_painting, steps=2, precision="float32")
    assert asked == []  # not even a disabled autocast: a device type without one fails on entering it
    run(model, *photo_and_painting, steps=2, precision="bfloat16")
    assert asked == [(("cpu",), {"dtype": torch.bfloat16})]
    with pytest.warns(DeprecationWarning, match="autocast= is now precision="):
        run(model, *photo_and_painting, steps=2, autocast=True)
    assert len(asked) == 2
