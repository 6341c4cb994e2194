"""Spatial control: guided Gram matrices, mask propagation and every mask error (nst_edu.beyond.guidance)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from nst_edu import losses
from nst_edu.beyond import guidance
from nst_edu.beyond.guidance import Guidance, Region
from nst_edu.errors import NstEduError

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation


def test_guided_gram_against_a_direct_computation() -> None:
    g = torch.Generator().manual_seed(0)
    F = torch.rand(1, 4, 3, 5, generator=g, dtype=torch.float64)
    mask = torch.rand(3, 5, generator=g, dtype=torch.float64)
    N, M = 4, 15
    Fm, m = F.reshape(N, M), mask.reshape(M)
    direct = torch.zeros(N, N, dtype=torch.float64)
    for i in range(N):
        for j in range(N):
            direct[i, j] = (
                sum(m[k] * Fm[i, k] * m[k] * Fm[j, k] for k in range(M)) * M / sum(m[k] ** 2 for k in range(M))
            )
    assert torch.allclose(guidance.guided_gram_matrix(F, mask)[0], direct)
    # an all-ones mask is eq. (3); a region's Gram matrix does not grow with its area
    assert torch.allclose(guidance.guided_gram_matrix(F, torch.ones(3, 5, dtype=torch.float64)), losses.gram_matrix(F))
    tiled = torch.cat([F, F], dim=-1)  # the same statistics in both halves
    half = torch.cat([torch.ones(3, 5), torch.zeros(3, 5)], dim=-1).double()
    assert torch.allclose(guidance.guided_gram_matrix(tiled, half), losses.gram_matrix(tiled))


def test_guided_loss_is_eq4_per_region_weighted() -> None:
    g = torch.Generator().manual_seed(1)
    F = torch.rand(1, 3, 4, 4, generator=g)
    masks = torch.stack([torch.ones(4, 4), torch.zeros(4, 4)])
    masks[1, :2] = 1
    A = torch.rand(2, 3, 3, generator=g)
    w = torch.tensor([0.25, 2.0])
    expected = sum(w[r] * (guidance.guided_gram_matrix(F, masks[r]) - A[r]).pow(2).sum() / (4 * 3**2 * 16**2)
                   for r in range(2))
    assert torch.allclose(guidance.guided_style_layer_loss(F, masks, A, w), expected)
    one = guidance.guided_style_layer_loss(F, torch.ones(1, 4, 4), A[:1], torch.ones(1))
    assert torch.allclose(one, losses.style_layer_loss(F, A[0]))


def test_propagation_follows_the_network_and_inside_erodes() -> None:
    mask = torch.zeros(32, 32)
    mask[:, :16] = 1
    simple = guidance.propagate(mask, ["conv1_1", "conv2_1", "conv3_1", "conv5_1"])
    inside = guidance.propagate(mask, ["conv1_1", "conv2_1", "conv3_1", "conv5_1"], "inside")
    assert {n: tuple(m.shape) for n, m in simple.items()} == {"conv1_1": (32, 32), "conv2_1": (16, 16),
                                                               "conv3_1": (8, 8), "conv5_1": (2, 2)}
    assert torch.equal(simple["conv1_1"], mask) and float(simple["conv3_1"].sum()) == 32
    assert float(inside["conv1_1"].sum()) == 32 * 15  # one column lost next to the border of the region
    assert float(inside["conv3_1"].sum()) < float(simple["conv3_1"].sum())
    assert all(float(inside[n].max()) <= 1 and float(inside[n].min()) >= 0 for n in inside)
    with pytest.raises(NstEduError, match="unknown propagation"):
        guidance.propagate(mask, ["conv1_1"], "outside")


def test_masks_from_png_and_labels(tmp_path) -> None:
    seg = np.zeros((6, 8, 3), np.uint8)
    seg[:3] = (70, 130, 220)
    seg[3:] = (200, 80, 40)
    Image.fromarray(seg).save(tmp_path / "seg.png")
    masks = guidance.masks_from_png(tmp_path / "seg.png", {"#4682dc": "sky", "#c85028": "town"})
    assert set(masks) == {"sky", "town"} and float(masks["sky"].sum()) == 24 and masks["town"].shape == (6, 8)
    assert set(guidance.masks_from_png(tmp_path / "seg.png")) == {"#4682dc", "#c85028"}
    labels = guidance.masks_from_labels(np.array([[0, 1], [1, 1]]), ["a", "b"])
    assert float(labels["b"].sum()) == 3


def test_the_committed_tubingen_mask_has_two_regions() -> None:
    from nst_edu.machinery.paths import PACKAGE_DATA

    masks = guidance.masks_from_png(PACKAGE_DATA / "masks" / "tubingen_sky_town.png")
    assert len(masks) == 2 and 0.2 < float(next(iter(masks.values())).mean()) < 0.8


def test_every_mask_error_is_one_line(tmp_path, model) -> None:
    (tmp_path / "bad.png").write_bytes(b"not a png")
    cases = [
        (lambda: guidance.masks_from_png(tmp_path / "bad.png"), "cannot read the mask"),
        (lambda: guidance.masks_from_labels(np.zeros((2, 2)), None), "integer array"),
        (lambda: guidance.masks_from_labels(np.array([[0, 1]]), ["one"]), "2 regions but 1 names"),
        (lambda: guidance.check_masks({"sky": torch.ones(4, 5)}, (4, 6), "output"), r"shape \(4, 5\) .* 4×6"),
        (lambda: guidance.check_masks({"sky": torch.zeros(4, 6)}, (4, 6), "output"), "has no pixels"),
        (lambda: guidance.guided_targets(model, Guidance([]), ["conv1_1"], (8, 8)), "no regions"),
        (lambda: guidance.guided_targets(model, Guidance([Region(torch.ones(8, 9), torch.rand(1, 3, 8, 8))]),
                                         ["conv1_1"], (8, 8)), "output mask"),
        (lambda: guidance.guided_targets(model, Guidance([Region(torch.ones(8, 8), torch.rand(1, 3, 8, 8),
                                                                 torch.zeros(8, 8))]), ["conv1_1"], (8, 8)),
         "style mask 'region 0' has no pixels"),
        (lambda: guidance.guided_targets(model, Guidance([Region(_corner(8), torch.rand(1, 3, 8, 8))], "inside"),
                                         ["conv2_1"], (8, 8)), "vanishes at conv2_1"),
    ]
    png = tmp_path / "seg.png"
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(png)
    cases.append((lambda: guidance.masks_from_png(png, {"#ffffff": "x"}), "not in the mask"))
    for call, match in cases:
        with pytest.raises(NstEduError, match=match) as info:
            call()
        assert "\n" not in str(info.value)


def _corner(n: int) -> torch.Tensor:
    m = torch.zeros(n, n)
    m[0, 0] = 1
    return m


def test_two_regions_take_their_own_paintings(model) -> None:
    from nst_edu.synthesis import synthesize

    g = torch.Generator().manual_seed(5)
    red, blue = torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16)
    red[:, 0] = 0.8 + 0.2 * torch.rand(16, 16, generator=g)
    blue[:, 2] = 0.8 + 0.2 * torch.rand(16, 16, generator=g)
    top = torch.zeros(16, 16)
    top[:8] = 1
    guide = Guidance([Region(top, red), Region(1 - top, blue)])
    r = synthesize(None, guide, style_layers=["conv1_1"], size=(16, 16), model=model, steps=60, progress=False,
                   device="cpu")
    x = r.image[0]
    assert float(x[0, :6].mean()) > float(x[2, :6].mean()) + 0.2  # the top is red
    assert float(x[2, 10:].mean()) > float(x[0, 10:].mean()) + 0.2  # the bottom blue
    with pytest.raises(NstEduError, match="needs the output size"):
        synthesize(None, guide, style_layers=["conv1_1"], model=model, steps=2, progress=False)



def test_a_guided_transfer_keeps_its_content_term_and_takes_the_photos_size(model) -> None:
    from nst_edu.objective import make_objective

    g = torch.Generator().manual_seed(6)
    photo, red, blue = (torch.rand(1, 3, 16, 16, generator=g) for _ in range(3))
    top = torch.zeros(16, 16)
    top[:8] = 1
    guide = Guidance([Region(top, red), Region(1 - top, blue)])
    objective = make_objective(model, photo, guide, ["conv2_1"], ["conv1_1"])  # no output_size: the photo's
    assert list(objective.content_targets) == ["conv2_1"] and list(objective.guided) == ["conv1_1"]
    with pytest.raises(NstEduError, match=r"^guidance without a content image needs the output size: "
                                          r"pass size=\(H, W\)$"):
        make_objective(model, None, guide, ["conv2_1"], ["conv1_1"])
