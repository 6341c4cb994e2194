"""What synthesize accepts, refuses and passes on: its settings, weights, layers and network, on tiny images
with random (fast) weights. (How a run goes and ends: test_optimize.py.)"""
import re

import pytest
import torch
from tiny_images import LAYERS, run

from nst_edu import synthesis
from nst_edu.errors import NstEduError

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation


@pytest.mark.parametrize("given", ["content", "style", "both"])
def test_no_layers_to_match_is_refused_before_any_work(model, photo_and_painting, given):
    content = photo_and_painting[0] if given in ("content", "both") else None
    style = photo_and_painting[1] if given in ("style", "both") else None
    with pytest.raises(NstEduError, match="^no layers to match: give content_layers and/or style_layers$"):
        synthesis.synthesize(content, style, model=model, content_layers=[], style_layers=[], progress=False)


@pytest.mark.parametrize("which", ["content", "style"])
def test_an_image_too_small_for_its_layers_is_named(model, photo_and_painting, which):
    tiny = torch.rand(1, 3, 1, 1)
    content, style = (tiny, photo_and_painting[1]) if which == "content" else (photo_and_painting[0], tiny)
    with pytest.raises(NstEduError, match=f"^the {which} image is 1×1 px, but conv2_1 comes after 1 poolings"):
        run(model, content, style)


def test_a_style_reconstruction_asks_the_network_for_its_style_layers_only(model, photo_and_painting, monkeypatch):
    asked = []
    original = type(model).forward

    def spy(self, image, layers=None):
        asked.append(tuple(layers))
        return original(self, image, layers)

    monkeypatch.setattr(type(model), "forward", spy)
    # 6 px would be too small for conv4_2 (3 poolings): the content layers play no part without a photo.
    small_painting = photo_and_painting[1][..., :6, :6]
    r = synthesis.synthesize(None, small_painting, model=model, content_layers=["conv4_2"], style_layers=["conv1_1"],
                             steps=3, progress=False)
    assert set(asked) == {("conv1_1",)} and r.history.content == [0.0] * 3


def test_the_default_weights_are_alpha_1_beta_1000(model, photo_and_painting):
    # synthesize(alpha=1.0, beta=1e3): α/β = 1e-3, the ratio of Fig. 2 B, C and D.
    default = run(model, *photo_and_painting, seed=0, steps=5)
    given = run(model, *photo_and_painting, seed=0, steps=5, alpha=1.0, beta=1e3)
    assert torch.equal(default.image, given.image) and default.history.total == given.history.total


@pytest.mark.parametrize("kwargs, match", [
    (dict(), "^nothing to match: give a content_image, a style_image or both$"),
    (dict(content=True, steps=0), "steps"),
    (dict(content=True, optimizer="sgd"), "unknown optimizer"),
    (dict(style=True, init="content"), "needs a content_image"),
    (dict(content=True, init="zeros"), "unknown init"),
])
def test_bad_arguments_raise_one_line_errors(model, photo_and_painting, kwargs, match):
    content = photo_and_painting[0] if kwargs.pop("content", False) else None
    style = photo_and_painting[1] if kwargs.pop("style", False) else None
    with pytest.raises(NstEduError, match=match):
        run(model, content, style, **kwargs)


def test_extra_loss_joins_eq7_and_is_minimised(model, photo_and_painting):
    def tv(x):
        return (x[..., 1:, :] - x[..., :-1, :]).abs().sum() + (x[..., 1:] - x[..., :-1]).abs().sum()

    plain = run(model, *photo_and_painting, steps=12)
    smooth = run(model, *photo_and_painting, steps=12, extra_loss=lambda x: 1e4 * tv(x))
    assert float(tv(smooth.image)) < 0.5 * float(tv(plain.image))
    # the extra term is part of the total, not of the content or style history
    assert smooth.history.total[0] > plain.history.total[0]
    assert smooth.history.content[0] == plain.history.content[0]


def test_settings_go_to_their_group_and_a_typo_is_named(model, photo_and_painting) -> None:
    how, where, watch = synthesis.split_settings({"steps": 7, "device": "cpu", "progress": False})
    assert (how.steps, where.device, watch.progress) == (7, "cpu", False)
    with pytest.raises(NstEduError, match=r"unknown setting\(s\) \['step'\].*steps"):
        run(model, photo_and_painting[0], step=5)


def test_a_whole_group_is_taken_and_a_named_setting_overrides_it(model, photo_and_painting) -> None:
    how = synthesis.Optimization(steps=9, seed=3)
    where = synthesis.Runtime(device="cpu")
    r = synthesis.synthesize(photo_and_painting[0], model=model, content_layers=["conv2_1"], how=how, where=where,
                             progress=False)
    assert r.steps == 9
    r2 = synthesis.synthesize(photo_and_painting[0], model=model, content_layers=["conv2_1"], how=how, steps=4,
                              progress=False)
    assert r2.steps == 4
    with pytest.raises(NstEduError, match="how= takes a Optimization"):
        synthesis.synthesize(photo_and_painting[0], model=model, how={"steps": 3})


@pytest.mark.parametrize("bad, match", [({"steps": 0}, "at least 1"), ({"optimizer": "sgd"}, "unknown optimizer"),
                                        ({"noise_amplitude": 0.7}, r"\[0, 0.5\]")])
def test_bad_optimisation_settings_are_one_line_errors(bad, match) -> None:
    with pytest.raises(NstEduError, match=match):
        synthesis.Optimization(**bad)


@pytest.mark.parametrize("bad, match", [(dict(alpha=float("inf")), "alpha must be a finite number"),
                                        (dict(beta=float("nan")), "beta must be a finite number"),
                                        (dict(alpha=[1e-3, -1.0], beta=[1.0, 1.0]), "alpha must be")])
def test_weights_that_are_not_finite_numbers_are_refused(model, bad, match):
    image = torch.rand(1, 3, 16, 16)
    with pytest.raises(NstEduError, match=match):
        synthesis.synthesize(image, image, model=model, steps=2, progress=False, **bad)


def test_an_image_too_large_for_memory_is_refused_before_any_work(model, monkeypatch):
    from nst_edu.machinery import estimate

    free = 50_000_000
    monkeypatch.setattr(estimate, "free_memory_bytes", lambda device: free)  # a 50 MB machine
    with pytest.raises(NstEduError, match=r"needs about .* GB but cpu memory has 0.05 GB free: use size \d+ or less") \
            as refused:
        synthesis.synthesize(torch.rand(1, 3, 600, 800), None, model=model, content_layers=["conv2_1"], steps=2,
                             progress=False)
    hint = int(re.search(r"use size (\d+) or less", str(refused.value)).group(1))

    def need(long_side: int) -> int:  # the same 3:4 aspect
        return estimate.estimate((round(600 * long_side / 800), long_side), ["conv2_1"], "cpu", 1).peak_memory_bytes
    assert hint < 800 and need(hint) <= free < need(hint + 1), "the hint is not the largest size that fits"


def test_the_network_is_asked_only_for_the_objectives_layers(model, photo_and_painting):
    from nst_edu.machinery.settings import Optimization
    from nst_edu.minimize import minimize
    from nst_edu.objective import make_objective
    asked = []

    def network(x, layers=None):  # each step stops at the deepest layer eq. (7) needs
        asked.append(layers)
        return model(x, layers)

    objective = make_objective(model, *photo_and_painting, ["conv2_1"], LAYERS, alpha=1e-3, beta=1.0)
    minimize(objective, network, torch.rand(1, 3, 24, 32), Optimization(steps=2))
    assert len(asked) >= 2 and all(a is not None and list(a) == list(objective.layers) for a in asked)


def test_an_init_image_of_the_wrong_shape_is_refused_naming_both_shapes():
    from nst_edu.minimize import initial_image
    with pytest.raises(NstEduError, match=r"^init image has shape \(1, 3, 4, 4\) but the output is \(1, 3, 8, 8\): "
                                          r"resize it$"):
        initial_image(torch.zeros(1, 3, 4, 4), (1, 3, 8, 8), None, 0)
    with pytest.raises(NstEduError, match=r"^init='content' needs a content_image: give one or use init='noise'$"):
        initial_image("content", (1, 3, 8, 8), None, 0)
    # without a seed, fresh noise each time
    shape = (1, 3, 8, 8)
    assert not torch.equal(initial_image("noise", shape, None, None), initial_image("noise", shape, None, None))


def test_style_weights_and_the_convention_reach_eq7(model, photo_and_painting):
    r = run(model, *photo_and_painting, steps=3, style_weights={"conv1_1": 0.9, "conv2_1": 0.1})
    for k in range(3):  # history.style is eq. (5): Σ w_l E_l; history.style_layers the E_l
        e = r.history.style_layers
        assert r.history.style[k] == pytest.approx(0.9 * e["conv1_1"][k] + 0.1 * e["conv2_1"][k], rel=1e-5)
    exact = run(model, *photo_and_painting, steps=1, convention="printed")  # eq. (1): α·L_content + β·L_style
    h = exact.history
    assert h.total[0] == pytest.approx(1.0 * h.content[0] + 1e3 * h.style[0], rel=1e-5)
    # the paper's reading: the content term a mean (tests/test_objective)
    h = run(model, *photo_and_painting, steps=1).history
    assert h.total[0] < 0.5 * (h.content[0] + 1e3 * h.style[0])


def test_the_slow_run_warning_is_given_the_output_size_and_the_batch(model, photo_and_painting, monkeypatch):
    seen = []
    monkeypatch.setattr(synthesis._estimate, "warn_if_slow", lambda size, *a, batch=1: seen.append((size, batch)))
    run(model, *photo_and_painting, steps=2, alpha=[1.0, 2.0], beta=[1e3, 1e3], warn_slow=True)
    assert seen == [((24, 32), 2)]


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_without_a_model_the_network_is_built_from_the_settings(photo_and_painting, pooling):
    from nst_edu import vgg

    kw = dict(content_layers=["conv2_1"], style_layers=["conv2_1"], steps=3, progress=False, device="cpu",
              warn_slow=False)
    built = synthesis.synthesize(*photo_and_painting, pooling=pooling, **kw)  # the Caffe weights, the pooling asked
    given = synthesis.synthesize(*photo_and_painting, model=vgg.vgg19(pooling=pooling, layers=["conv2_1"]), **kw)
    assert torch.equal(built.image, given.image)
