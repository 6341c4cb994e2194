"""Colour and scale control (nst_edu.beyond.control), and several styles blended (objective.style_targets)."""
from __future__ import annotations

import pytest
import torch

from nst_edu import losses
from nst_edu.beyond import control
from nst_edu.errors import NstEduError
from nst_edu.objective import blend_weights, style_targets

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation


def _images(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, 8, 8, generator=g) * 0.5 + 0.25, torch.rand(1, 3, 8, 8, generator=g) * 0.5 + 0.25


def test_recombine_colour_keeps_luminance_and_photo_chroma() -> None:
    stylised, photo = _images()
    out = control.recombine_colour(stylised, photo)
    assert torch.allclose(control.to_yiq(out)[:, 0], control.to_yiq(stylised)[:, 0], atol=1e-5)
    assert torch.allclose(control.to_yiq(out)[:, 1:], control.to_yiq(photo)[:, 1:], atol=1e-5)
    assert torch.allclose(control.from_yiq(control.to_yiq(photo)), photo, atol=1e-5)


def test_match_luminance_takes_the_photos_mean_and_spread() -> None:
    style, photo = _images(1)
    grey = control.match_luminance(style * 0.3, photo)  # a dark painting
    y = control.to_yiq(photo)[:, 0]
    assert torch.allclose(grey[:, 0], grey[:, 1]) and torch.allclose(grey[:, 1], grey[:, 2])
    assert abs(float(grey[:, 0].mean() - y.mean())) < 1e-3 and abs(float(grey[:, 0].std() / y.std()) - 1) < 1e-2


def test_match_colour_gives_the_photos_mean_and_covariance() -> None:
    g = torch.Generator().manual_seed(2)
    style = torch.rand(1, 3, 16, 16, generator=g) * torch.tensor([0.3, 0.6, 0.2]).view(1, 3, 1, 1) + 0.2
    photo = torch.rand(1, 3, 12, 20, generator=g) * torch.tensor([0.2, 0.3, 0.5]).view(1, 3, 1, 1) + 0.3
    matched = control.match_colour(style, photo)
    (m1, c1), (m2, c2) = control.colour_statistics(matched), control.colour_statistics(photo)
    assert torch.allclose(m1, m2, atol=1e-4) and torch.allclose(c1, c2, atol=1e-4)
    assert matched.shape == style.shape


def test_hue_histogram_tells_red_from_blue() -> None:
    red, blue = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    red[:, 0], blue[:, 2] = 0.9, 0.9
    hr, hb = control.hue_histogram(red), control.hue_histogram(blue)
    assert abs(float(hr.sum()) - 1) < 1e-6 and float((hr - hb).abs().sum()) == pytest.approx(2.0)


def test_blend_weights_normalise_per_layer_and_name_errors() -> None:
    layers = ["conv1_1", "conv2_1"]
    assert blend_weights(2, layers, None) == {n: [0.5, 0.5] for n in layers}
    assert blend_weights(2, layers, [0.7, 0.7]) == {n: [0.5, 0.5] for n in layers}
    assert blend_weights(2, layers, control.scale_blend(["conv1_1"], layers)) == {
        "conv1_1": [1.0, 0.0],
        "conv2_1": [0.0, 1.0],
    }
    for bad, match in (
        ([1.0], "one weight per style image"),
        ([1.0, -1.0], "≥ 0"),
        ([{"conv1_1": 1}, {}], "every style weight is 0 at conv2_1"),
    ):
        with pytest.raises(NstEduError, match=match):
            blend_weights(2, layers, bad)


def test_blended_gram_targets_are_the_weighted_sum(model) -> None:
    a, b = _images(3)
    layers = ["conv1_1", "conv2_1"]
    A = style_targets(model, [a, b], layers, [0.75, 0.25])
    with torch.no_grad():
        Fa, Fb = model(a, layers), model(b, layers)
    for n in layers:
        expected = 0.75 * losses.gram_matrix(Fa[n]) + 0.25 * losses.gram_matrix(Fb[n])
        assert torch.allclose(A[n], expected, rtol=1e-5, atol=1e-6)
    single = style_targets(model, a, layers)
    assert torch.allclose(single["conv1_1"], losses.gram_matrix(Fa["conv1_1"]))
    scale = style_targets(model, [a, b], layers, control.scale_blend(["conv1_1"], layers))
    assert torch.allclose(scale["conv1_1"], losses.gram_matrix(Fa["conv1_1"]))
    assert torch.allclose(scale["conv2_1"], losses.gram_matrix(Fb["conv2_1"]))


def test_synthesize_blends_two_styles_towards_the_heavier(model) -> None:
    from nst_edu.synthesis import synthesize

    a, b = _images(4)
    b = b.flip(-1) * 0.2  # a darker, different painting
    layers = ["conv1_1", "conv2_1"]
    dist = {}
    for blend in ([0.9, 0.1], [0.1, 0.9]):
        r = synthesize(None, [a, b], style_layers=layers, style_blend=blend, model=model, steps=30, progress=False,
                       device="cpu")
        with torch.no_grad():
            F = model(r.image, layers)
        dist[blend[0]] = [sum(float(losses.style_layer_loss(F[n], style_targets(model, s, [n])[n])) for n in layers)
                          for s in (a, b)]
    assert dist[0.9][0] < dist[0.9][1] and dist[0.1][1] < dist[0.1][0]


def test_colour_distance_sees_colour_not_brightness() -> None:
    g = torch.Generator().manual_seed(3)
    photo = torch.rand(1, 3, 12, 16, generator=g)
    assert control.colour_distance(photo, photo) == 0.0
    brighter = control.recombine_colour((photo * 0.6 + 0.2), photo)  # other luminance, the photo's I, Q
    assert control.colour_distance(brighter, photo) < 0.01
    recoloured = photo.flip(1)  # RGB → BGR: the same brightness pattern, other hues
    assert control.colour_distance(recoloured, photo) > 0.1


def test_structure_kept_is_the_luminance_correlation_inside_the_region() -> None:
    torch.manual_seed(0)
    photo = torch.rand(1, 3, 16, 20)
    top = torch.zeros(16, 20)
    top[:8] = 1
    assert control.structure_kept(photo, photo, top) == pytest.approx(1.0, abs=1e-5)
    assert control.structure_kept(1 - photo, photo, top) == pytest.approx(-1.0, abs=1e-5)
    unrelated = torch.rand(1, 3, 16, 20)
    assert abs(control.structure_kept(unrelated, photo, top)) < 0.3
    # only the region counts: the photo kept inside it, noise outside
    half = torch.where(top.bool(), photo, unrelated)
    assert control.structure_kept(half, photo, top) == pytest.approx(1.0, abs=1e-5)
    assert control.structure_kept(half, photo, 1 - top) < 0.3
    assert 0.3 < control.structure_kept(half, photo) < 0.9  # no mask: the whole image


def test_luminance_is_the_ntsc_y_of_yiq() -> None:
    """Y = 0.299 R + 0.587 G + 0.114 B (the NTSC/Rec. 601 weights, typed here, not read from nst_edu)."""
    primaries = torch.eye(3).view(3, 3, 1, 1)  # pure red, green, blue
    y = control.to_yiq(primaries)[:, 0].flatten()
    assert torch.allclose(y, torch.tensor([0.299, 0.587, 0.114]), atol=1e-4), y
    grey = torch.full((1, 3, 2, 2), 0.5)
    assert torch.allclose(control.to_yiq(grey), torch.tensor([0.5, 0.0, 0.0]).view(1, 3, 1, 1), atol=1e-4)
