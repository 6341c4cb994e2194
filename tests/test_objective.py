"""Eq. (7) as an object, and the two readings of α/β (the paper's means, the printed sums)."""
from __future__ import annotations

import pytest
import torch

from nst_edu import losses
from nst_edu import ratio as units
from nst_edu.errors import NstEduError
from nst_edu.objective import make_objective

LAYERS = ["conv1_1", "conv2_1"]


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(1)
    return (
        torch.rand(1, 3, 24, 32, generator=g),
        torch.rand(1, 3, 20, 28, generator=g),
        torch.rand(1, 3, 24, 32, generator=g),
    )


def test_printed_and_calibrated_ratios_convert_both_ways() -> None:
    # conv4_2 of a 128 x 96 photo: 512 filters on 16 x 12 positions
    k = units.PAPER_RATIO_CALIBRATION
    assert units.printed_ratio(1e-3, 512, 192) == pytest.approx(2 * k * 1e-3 / (512 * 192))
    assert units.calibrated_ratio(units.printed_ratio(1e-3, 512, 192), 512, 192) == pytest.approx(1e-3)
    assert units.content_weight("printed", 512, 192) == 1.0
    with pytest.raises(ValueError, match="convention"):
        units.content_weight("mean", 512, 192)


@pytest.mark.parametrize("convention", ["calibrated", "printed"])
def test_total_is_eq7_in_either_convention_computed_directly(model, images, convention) -> None:
    content_image, style_image, x = images
    objective = make_objective(model, content_image, style_image, ["conv2_1"], LAYERS, alpha=3e-3, beta=2.0,
                               convention=convention)
    F = model(x, LAYERS)
    terms = objective(F)
    P = model(content_image, ["conv2_1"])["conv2_1"]
    sq = (F["conv2_1"] - P).pow(2).sum()
    # the mean over N_l·M_l (times the measured calibration), or eq. (1)'s ½ sum
    content_term = units.PAPER_RATIO_CALIBRATION * sq / P.numel() if convention == "calibrated" else 0.5 * sq
    style = sum(0.5 * losses.style_layer_loss(F[n], losses.gram_matrix(model(style_image, [n])[n])) for n in LAYERS)
    assert float(terms.content[0]) == pytest.approx(float(0.5 * sq), rel=1e-5)  # reported as eq. (1) in both
    assert float(terms.style[0]) == pytest.approx(float(style), rel=1e-5)
    assert float(terms.total[0]) == pytest.approx(float(3e-3 * content_term + 2.0 * style), rel=1e-5)


def test_a_calibrated_ratio_is_the_converted_printed_ratio(model, images) -> None:
    content_image, style_image, x = images
    P = model(content_image, ["conv2_1"])["conv2_1"]
    n, m = P.shape[1], P.shape[-2] * P.shape[-1]
    paper = make_objective(model, content_image, style_image, ["conv2_1"], LAYERS, alpha=1e-3, beta=1.0)
    exact = make_objective(model, content_image, style_image, ["conv2_1"], LAYERS,
                           alpha=units.printed_ratio(1e-3, n, m), beta=1.0, convention="printed")
    F = model(x, LAYERS)
    assert float(paper(F).total[0]) == pytest.approx(float(exact(F).total[0]), rel=1e-6)


def test_a_batch_of_ratios_gives_one_total_per_image(model, images) -> None:
    content_image, style_image, x = images
    objective = make_objective(model, content_image, style_image, ["conv2_1"], LAYERS, alpha=[1e-3, 1e-1], beta=1.0)
    assert objective.batch == 2 and objective.layers == ["conv2_1", "conv1_1"]
    terms = objective(model(torch.cat([x, x]), objective.layers))
    assert terms.total.shape == (2,) and float(terms.total[1]) > float(terms.total[0])


def test_the_ratio_names_moved_from_losses_forward_with_a_warning():
    with pytest.warns(DeprecationWarning, match="nst_edu.losses.exact_ratio moved to nst_edu.ratio.printed_ratio"):
        moved = losses.exact_ratio
    assert moved is units.printed_ratio
    with pytest.raises(AttributeError):
        losses.no_such_name


def test_blend_weights_normalise_per_layer_and_refuse_what_cannot_be_a_blend():
    from nst_edu.objective import blend_weights

    layers = ["conv1_1", "conv5_1"]
    assert blend_weights(4, layers, None) == {n: [0.25] * 4 for n in layers}
    assert blend_weights(2, layers, [3, 1]) == {n: [0.75, 0.25] for n in layers}
    assert blend_weights(2, layers, [{"conv1_1": 1.0}, {"conv5_1": 2.0}]) == {"conv1_1": [1.0, 0.0],
                                                                             "conv5_1": [0.0, 1.0]}
    with pytest.raises(NstEduError, match=r"^3 style weights for 2 style images: give one weight per style image$"):
        blend_weights(2, layers, [1, 1, 1])
    with pytest.raises(NstEduError, match=r"^style weights must be finite and ≥ 0, got \[-1\.0, 1\.0\] at conv1_1$"):
        blend_weights(2, layers, [-1, 1])
    with pytest.raises(NstEduError, match=r"finite and ≥ 0, got \[nan, 1\.0\]"):
        blend_weights(2, layers, [float("nan"), 1])
    with pytest.raises(NstEduError, match=r"^every style weight is 0 at conv5_1: give that layer a weight or remove it "
                                          r"from style_layers$"):
        blend_weights(2, layers, [{"conv1_1": 1.0}, {"conv1_1": 1.0}])


def test_style_targets_refuse_no_artwork_and_skip_a_painting_that_does_not_count(model, images, monkeypatch):
    from nst_edu import objective
    with pytest.raises(NstEduError, match="^no style image given: give one, or several with style_blend weights$"):
        objective.style_targets(model, [], LAYERS)
    # "a painting that does not count at this layer costs no Gram matrix": one Gram matrix per painting here
    gram, shapes = losses.gram_matrix, []
    monkeypatch.setattr(losses, "gram_matrix", lambda F: shapes.append(tuple(F.shape)) or gram(F))
    first, second, _ = images
    A = objective.style_targets(model, [first, second], LAYERS, [{"conv1_1": 1.0}, {"conv2_1": 1.0}])
    assert shapes == [(1, 64, 24, 32), (1, 128, 10, 14)]
    assert torch.equal(A["conv1_1"], gram(model(first, ["conv1_1"])["conv1_1"]))


def test_targets_only_for_the_images_given(model, images) -> None:
    from nst_edu.objective import compute_targets

    photo, painting = images[0], images[1]
    P, A = compute_targets(model, None, painting, ["conv2_1"], LAYERS)
    assert P == {} and set(A) == set(LAYERS)
    P, A = compute_targets(model, photo, None, ["conv2_1"], LAYERS)
    assert set(P) == {"conv2_1"} and A == {}
    content_only = make_objective(model, photo, None, ["conv2_1"], LAYERS)  # the style layers are ignored
    assert content_only.style_weights == {} and content_only.layers == ["conv2_1"]


def test_an_extra_loss_needs_the_image(model, images) -> None:
    objective = make_objective(model, images[0], None, ["conv2_1"], [], extra_loss=lambda x: x.sum())
    features = model(images[0], objective.layers)
    with pytest.raises(ValueError, match="^this objective has an extra_loss of the image: pass the image x$"):
        objective(features)
    assert float(objective(features, images[0]).total) == pytest.approx(float(images[0].sum()), rel=1e-6)


def test_the_default_weights_are_alpha_1_beta_1000_as_in_synthesize(model, images) -> None:
    objective = make_objective(model, images[0], images[1], ["conv2_1"], LAYERS)
    assert objective.alpha.tolist() == [1.0] and objective.beta.tolist() == [1000.0]
    assert losses.total_loss(2.0, 3.0) == 2.0 + 1000.0 * 3.0  # eq. (7) with the defaults


def test_the_objective_keeps_the_style_weights_and_convention_given(model, images) -> None:
    objective = make_objective(model, images[0], images[1], ["conv2_1"], LAYERS, style_weights={"conv1_1": 0.25,
                               "conv2_1": 0.75}, convention="printed")
    assert objective.style_weights == {"conv1_1": 0.25, "conv2_1": 0.75} and objective.convention == "printed"


def test_alpha_and_beta_become_float32_whatever_they_were_given_as(model, images) -> None:
    # float32 on every device: MPS has no float64 (tests/second_device.py refuses it as MPS does)
    for alpha, beta in ((1, 1000), (torch.tensor(1e-3, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))):
        objective = make_objective(model, images[0], images[1], ["conv2_1"], LAYERS, alpha=alpha, beta=beta)
        assert objective.alpha.dtype == objective.beta.dtype == torch.float32
