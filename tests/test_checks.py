"""`nst_edu.machinery.checks`: what `synthesize` refuses before any work, and the one line that says so."""
import re

import pytest
import torch

from nst_edu import synthesis
from nst_edu.errors import NstEduError
from nst_edu.machinery import checks, estimate
from nst_edu.machinery.checks import check_image_sides, output_size

FIX = re.escape(": give larger images (or a larger size=)") + "$"


def _stop(*args, **kwargs):
    raise AssertionError("the work started although an image was too small")


@pytest.fixture()
def no_forward(monkeypatch):
    """The checks come before the network runs: any forward pass fails the test."""
    from nst_edu.vgg import VGG19Features

    monkeypatch.setattr(VGG19Features, "forward", _stop)


@pytest.mark.parametrize("content_hw, style_hws, match", [
    ((1, 1), [(20, 20)], r"^the content image is 1×1 px, but conv2_1 comes after 1 poolings and needs at least 2 px"),
    ((24, 32), [(1, 1)], r"^the style image is 1×1 px, but conv2_1 comes after 1 poolings and needs at least 2 px"),
    # Several artworks: the one too small is named by its place in the list.
    ((24, 32), [(20, 20), (1, 1)], r"^style image 2 is 1×1 px, but conv2_1 comes after 1 poolings"),
    ((24, 32), [(1, 1), (20, 20)], r"^style image 1 is 1×1 px, but conv2_1 comes after 1 poolings"),
    ((24, 32), [(20, 20), (20, 20), (1, 1)], r"^style image 3 is 1×1 px"),
])
def test_an_image_too_small_for_its_layers_is_named_with_the_fix(model, no_forward, content_hw, style_hws, match):
    content = torch.rand(1, 3, *content_hw)
    styles = [torch.rand(1, 3, *hw) for hw in style_hws]
    with pytest.raises(NstEduError, match=match + ".*" + FIX):
        synthesis.synthesize(content, styles[0] if len(styles) == 1 else styles, model=model,
                             content_layers=["conv2_1"], style_layers=["conv1_1", "conv2_1"], progress=False)


def test_a_style_reconstruction_checks_the_size_asked_for(model, no_forward):
    """Without a photo the output's size comes from size=; the artwork may be large enough and the
    output not (conv5_1 comes after four poolings: 16 px)."""
    with pytest.raises(NstEduError, match=r"^the output is 8×8 px, but conv5_1 comes after 4 poolings and needs at "
                                          r"least 16 px on each side" + FIX):
        synthesis.synthesize(None, torch.rand(1, 3, 64, 64), size=(8, 8), model=model, style_layers=["conv5_1"],
                             progress=False)


def test_the_memory_check_counts_every_image_of_a_batch(model, monkeypatch):
    """Three ratios at once are a batch of three images: the memory check must be asked for three."""
    asked = []

    def check_memory(hw, layers, device, batch=1, **kwargs):
        asked.append((hw, batch))
        raise NstEduError("stopped by the test")

    monkeypatch.setattr(estimate, "check_memory", check_memory)
    for alpha, beta, batch in (([1.0, 1.0, 1.0], [1e2, 1e3, 1e4], 3), (1.0, [1e2, 1e3], 2), (1.0, 1e3, 1)):
        with pytest.raises(NstEduError, match="stopped by the test"):
            synthesis.synthesize(torch.rand(1, 3, 24, 32), torch.rand(1, 3, 20, 20), alpha=alpha, beta=beta,
                                 model=model, content_layers=["conv2_1"], style_layers=["conv1_1"], progress=False)
        assert asked.pop() == ((24, 32), batch)


@pytest.mark.parametrize("layers, side, refused", [
    (["conv5_1"], 15, True), (["conv5_1"], 16, False),
    (["conv5_1"], 12, True),  # 2**4 = 16, not 2*4 = 8
    (["conv4_2"], 7, True), (["conv4_2"], 8, False),
    # The deepest layer by the network's order, not by its name: "relu1_1" > "conv5_1" as text.
    (["conv5_1", "relu1_1"], 12, True), (["relu1_1", "conv5_1", "pool1"], 12, True),
    (["relu1_1"], 1, False), ([], 1, False),
])
def test_the_deepest_layer_decides_how_large_an_image_must_be(layers, side, refused):
    if not refused:
        check_image_sides({"the photo": (side, 40)}, layers, "fix it")
        return
    with pytest.raises(NstEduError, match=rf"^the photo is 40×{side} px, but (conv5_1|conv4_2) .*: fix it$"):
        check_image_sides({"the photo": (side, 40)}, layers, "fix it")


def test_the_output_size_is_the_photos_else_the_size_asked_else_the_first_artworks():
    photo, first, second = torch.rand(1, 3, 24, 32), torch.rand(1, 3, 20, 30), torch.rand(1, 3, 40, 50)
    assert output_size(photo, first, (64, 64)) == (24, 32)
    assert output_size(None, first, (64, 65)) == (64, 65)
    assert output_size(None, first, None) == (20, 30)
    assert output_size(None, [first, second], None) == (20, 30)
    assert output_size(None, [first], None) == (20, 30)
    assert output_size(None, None, None) is None
    assert checks.__all__ == ["check_before_work", "check_image_shapes", "check_image_sides", "check_weights",
                             "output_size"]


@pytest.mark.parametrize("content_shape, style_shapes, message", [
    ((3, 24, 32), [(1, 3, 20, 20)], "the content image has shape (3, 24, 32), not (1, 3, H, W): add the batch axis "
                                    "with .unsqueeze(0)"),
    ((1, 3, 24, 32), [(3, 20, 20)], "the style image has shape (3, 20, 20), not (1, 3, H, W): add the batch axis "
                                    "with .unsqueeze(0)"),
    ((1, 3, 24, 32), [(1, 3, 20, 20), (3, 20, 20)], "style image 2 has shape (3, 20, 20), not (1, 3, H, W): add the "
                                                    "batch axis with .unsqueeze(0)"),
    ((24, 32), [(1, 3, 20, 20)], "the content image has shape (24, 32), not (1, 3, H, W): load it with "
                                 "nst_edu.teaching.images.load_image, which takes (3, H, W), (H, W), arrays and PIL "
                                 "images"),
    ((1, 1, 24, 32), [(1, 3, 20, 20)], "the content image has shape (1, 1, 24, 32), not (1, 3, H, W): load it with"),
    ((1, 24, 32), [(1, 3, 20, 20)], "the content image has shape (1, 24, 32), not (1, 3, H, W): load it with"),
])
def test_an_image_of_another_shape_is_refused_with_the_fix(model, no_forward, content_shape, style_shapes, message):
    """A (3, H, W) tensor (torchvision's ToTensor gives one) was refused by the memory layout's
    RuntimeError "required rank 4 tensor to use channels_last format", which says nothing of the fix."""
    styles = [torch.rand(*shape) for shape in style_shapes]
    with pytest.raises(NstEduError, match="^" + re.escape(message)):
        synthesis.synthesize(torch.rand(*content_shape), styles[0] if len(styles) == 1 else styles, model=model,
                             content_layers=["conv2_1"], style_layers=["conv1_1"], progress=False)


def test_a_style_reconstruction_from_a_3_axis_painting_is_refused_too(model, no_forward):
    with pytest.raises(NstEduError, match=re.escape("the style image has shape (3, 20, 20), not (1, 3, H, W)")):
        synthesis.synthesize(None, torch.rand(3, 20, 20), model=model, style_layers=["conv1_1"], progress=False)
