"""The claims of three functions that only notebooks 03, 05 and 07 used to exercise (issue #20):
``control.luminance_only_transfer`` (colour control), ``guidance.region_style_gain`` (spatial control,
measured) and ``measures.TransferMeasure`` (style gain / content keep).

Each test states a claim of a docstring (or of the house rules in DEVELOPERS.md) in a case whose answer
is known, so that a wrong colour, mask, painting or judge fails it.
"""
from __future__ import annotations

import math

import pytest
import torch

import nst_edu.synthesis
from nst_edu import losses, vgg
from nst_edu.beyond import control, guidance
from nst_edu.errors import NstEduError
from nst_edu.teaching import images
from nst_edu.teaching.measures import TransferMeasure
from nst_edu.vgg import STYLE_LAYERS

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation

LAYERS = ["conv1_1", "conv2_1"]  # the random ``model`` of tests/conftest.py has these
RUN = dict(alpha=1e-3, beta=1.0, content_layers=["conv2_1"], style_layers=LAYERS, steps=10, seed=0,
           progress=False, device="cpu", warn_slow=False)


def _photo(seed: int = 0, height: int = 16, width: int = 24) -> torch.Tensor:
    """A colourful image well inside the RGB cube (so recombining Y with its I, Q rarely clamps)."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, height, width, generator=g) * 0.5 + 0.25


def _yiq(image: torch.Tensor) -> torch.Tensor:
    return control.to_yiq(image)[0]


def _is_grey(image: torch.Tensor) -> bool:
    return bool(torch.allclose(image[:, 0], image[:, 1], atol=1e-6) and torch.allclose(image[:, 1], image[:, 2],
                                                                                         atol=1e-6))


class _Spy:
    """Stands in for ``nst_edu.synthesis.synthesize`` (imported by luminance_only_transfer when called):
    records each call and runs the real one."""

    def __init__(self) -> None:
        self.real, self.calls = nst_edu.synthesis.synthesize, []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.real(*args, **kwargs)


@pytest.fixture
def spy(monkeypatch) -> _Spy:
    s = _Spy()
    monkeypatch.setattr(nst_edu.synthesis, "synthesize", s)
    return s


# ------------------------------------------------------------------------------ luminance_only_transfer
def test_luminance_only_transfer_synthesises_from_grey_luminance_images(spy, model) -> None:
    """Sec. 5.1: the network sees luminance only: the photo's Y, and the painting's Y moved to the photo's
    mean and spread (a dark painting must not darken the photo); the other arguments go to synthesize."""
    photo, painting = _photo(1), _photo(2, 20, 20) * 0.3  # a dark painting, another size
    control.luminance_only_transfer(photo, painting, model=model, **RUN)
    assert len(spy.calls) == 1
    (content, style), kwargs = spy.calls[0]
    assert kwargs["model"] is model and all(kwargs[k] == v for k, v in RUN.items())
    assert content.shape == photo.shape and style.shape == painting.shape
    assert _is_grey(content) and _is_grey(style)
    assert torch.allclose(content[0, 0], _yiq(photo)[0], atol=1e-6), "the content is the photo's luminance"
    y_photo, y_style = _yiq(photo)[0], style[0, 0]
    assert float(y_style.mean()) == pytest.approx(float(y_photo.mean()), abs=1e-3)
    assert float(y_style.std()) == pytest.approx(float(y_photo.std()), rel=1e-2)
    y_painting = _yiq(painting)[0]  # and it is still the painting's pattern of light and dark
    corr = torch.corrcoef(torch.stack([y_style.reshape(-1), y_painting.reshape(-1)]))[0, 1]
    assert float(corr) > 0.999


def test_luminance_only_transfer_keeps_the_photos_colour_and_the_synthesis_luminance(model) -> None:
    """The result is the synthesis' Y with the photo's I, Q (YIQ), an RGB image like the photo."""
    photo, painting = _photo(3), _photo(4)
    out, result = control.luminance_only_transfer(photo, painting, model=model, **RUN)
    assert out.shape == photo.shape and out.dtype == torch.float32 and out.device.type == "cpu"
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    inside = ((out > 1e-4) & (out < 1 - 1e-4)).all(1)[0]  # pixels that recombination did not clamp
    assert float(inside.float().mean()) > 0.9
    yiq_out, yiq_photo, yiq_synth = _yiq(out), _yiq(photo), _yiq(result.image)
    assert torch.allclose(yiq_out[1:, inside], yiq_photo[1:, inside], atol=1e-4), "I, Q are the photo's"
    assert torch.allclose(yiq_out[0, inside], yiq_synth[0, inside], atol=1e-4), "Y is the synthesis'"
    assert control.colour_distance(out, photo) < 0.005
    assert float((yiq_out[0] - yiq_photo[0]).abs().mean()) > 0.02, "the luminance was transferred, not copied"


@pytest.mark.parametrize("case", [
    "rgba photo",
    "rgba painting",
    "grey photo",
])
def test_luminance_only_transfer_refuses_a_non_rgb_image_before_any_work(spy, model, case) -> None:
    """DEVELOPERS.md: bad input raises an NstEduError with one line (synthesize refuses these before any work)."""
    photo, painting = _photo(5), _photo(6)
    rgba, grey = torch.rand(1, 4, 16, 24), torch.rand(1, 1, 16, 24)
    args = {"rgba photo": (rgba, painting), "rgba painting": (photo, rgba), "grey photo": (grey, painting)}[case]
    with pytest.raises(NstEduError) as info:
        control.luminance_only_transfer(*args, model=model, **RUN)
    assert "\n" not in str(info.value)
    assert not spy.calls, "refused before the synthesis ran"


# ------------------------------------------------------------------------------ real images, real weights
@pytest.fixture(scope="module")
def pictures(mirror) -> dict[str, torch.Tensor]:
    """Tübingen at 48 px, The Starry Night and The Scream at its pixel count (and resized to its shape)."""
    photo = images.load_image("tubingen", 48)
    out = {"photo": photo}
    for name in ("starry_night", "the_scream"):
        out[name] = images.match_pixel_count(images.load_image(name, 48), photo)
        out[name + "@photo"] = images.match_size(out[name], photo)
    return out


@pytest.fixture(scope="module")
def caffe():
    """The synthesis network of notebook 07 (normalised Caffe weights, average pooling), to conv3_1."""
    return vgg.vgg19(layers=STYLE_LAYERS[:3], device="cpu")


def _halves(photo: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    height, width = photo.shape[-2:]
    left = torch.zeros(height, width)
    left[:, : width // 2] = 1
    return left, 1 - left


def _side_by_side(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    half = left.shape[-1] // 2
    return torch.cat([left[..., :half], right[..., half:]], dim=-1)


# ------------------------------------------------------------------------------ region_style_gain
@pytest.mark.slow
def test_region_style_gain_names_the_painting_each_half_was_painted_with(caffe, pictures) -> None:
    """Left half cut from The Starry Night, right half from The Scream: each half gains towards its own."""
    p = pictures
    image = _side_by_side(p["starry_night@photo"], p["the_scream@photo"])
    left, right = _halves(p["photo"])
    layers = STYLE_LAYERS[:3]
    gain = {(region, name): guidance.region_style_gain(caffe, image, p["photo"], mask, p[name], layers)
            for region, mask in (("left", left), ("right", right)) for name in ("starry_night", "the_scream")}
    assert gain[("left", "starry_night")] > 1.5 and gain[("right", "the_scream")] > 1.5, gain
    assert gain[("left", "starry_night")] > 2 * gain[("left", "the_scream")], gain
    assert gain[("right", "the_scream")] > 2 * gain[("right", "starry_night")], gain


@pytest.mark.slow
def test_region_style_gain_looks_only_inside_its_region(caffe, pictures) -> None:
    """The Starry Night on the left, the photo itself on the right: the right region gained nothing, the left
    more than the whole image did."""
    p = pictures
    image = _side_by_side(p["starry_night@photo"], p["photo"])
    left, right = _halves(p["photo"])
    layers = STYLE_LAYERS[:3]
    gain_left, gain_right, gain_all = (guidance.region_style_gain(caffe, image, p["photo"], m, p["starry_night"],
                                                                  layers) for m in (left, right, left + right))
    assert 0.8 < gain_right < 1.25, gain_right
    assert gain_left > 2 and gain_left > gain_all, (gain_left, gain_all)


@pytest.mark.slow
def test_region_style_gain_is_one_for_the_photo_and_a_geometric_mean_over_layers(caffe, pictures) -> None:
    """"1: no closer" (the photo against itself), and the geometric mean of the per-layer gains."""
    p = pictures
    left, _ = _halves(p["photo"])
    layers = STYLE_LAYERS[:3]
    assert guidance.region_style_gain(caffe, p["photo"], p["photo"], left, p["the_scream"], layers) == pytest.approx(1)
    image = 0.5 * p["photo"] + 0.5 * p["the_scream@photo"]
    per_layer = [guidance.region_style_gain(caffe, image, p["photo"], left, p["the_scream"], [n]) for n in layers]
    assert len({round(g, 3) for g in per_layer}) == len(layers), "the layers differ, or the test proves nothing"
    together = guidance.region_style_gain(caffe, image, p["photo"], left, p["the_scream"], layers)
    assert together == pytest.approx(math.prod(per_layer) ** (1 / len(layers)), rel=1e-6)


def _mask_cases(height: int, width: int) -> dict[str, torch.Tensor]:
    sky = torch.zeros(width, height)  # (W, H): transposed
    sky[: width // 3] = 1
    return {"wrong size": torch.ones(height, width + 1), "transposed": sky, "empty": torch.zeros(height, width)}


@pytest.mark.parametrize("case", [
    "wrong size",
    "transposed",
    "empty",
])
def test_region_style_gain_refuses_a_bad_mask_in_one_line(model, case) -> None:
    """DEVELOPERS.md: bad input raises an NstEduError with one line (check_masks says it for guided_targets)."""
    photo, image, painting = _photo(7, 16, 24), _photo(8, 16, 24), _photo(9, 16, 24)
    with pytest.raises(NstEduError) as info:
        guidance.region_style_gain(model, image, photo, _mask_cases(16, 24)[case], painting, LAYERS)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------ TransferMeasure
@pytest.fixture(scope="module")
def measure(pictures) -> TransferMeasure:
    return TransferMeasure(pictures["photo"], pictures["starry_night"])


@pytest.mark.slow
def test_transfer_measure_is_its_formula_with_a_fixed_raw_caffe_judge(measure, pictures) -> None:
    """(style gain, content keep) as the module docstring defines them, judged by the raw Caffe VGG-19 with max
    pooling and no normalisation, whatever network the synthesis uses (built and run first here)."""
    photo, painting, flat = pictures["photo"], pictures["starry_night"], pictures["starry_night@photo"]
    image = 0.4 * photo + 0.6 * flat
    with torch.no_grad():
        vgg.vgg19(layers=STYLE_LAYERS, device="cpu")(image, list(STYLE_LAYERS))  # the synthesis' network
    judge = vgg.vgg19(weights="caffe", pooling="max", normalize=False, layers=[*STYLE_LAYERS, "conv4_2"], device="cpu")
    with torch.no_grad():
        A = {n: losses.gram_matrix(F) for n, F in judge(painting, list(STYLE_LAYERS)).items()}
        F = {name: judge(x, [*STYLE_LAYERS, "conv4_2"]) for name, x in (("photo", photo), ("painting", flat),
                                                                         ("result", image))}
    E = {name: [float(losses.style_layer_loss(F[name][n], A[n])) for n in STYLE_LAYERS] for name in F}
    gain = math.prod(b / a for b, a in zip(E["photo"], E["result"])) ** (1 / len(STYLE_LAYERS))
    mse = {name: float((F[name]["conv4_2"] - F["photo"]["conv4_2"]).pow(2).mean()) for name in ("painting", "result")}
    measured = measure(image)
    assert isinstance(measured, tuple) and len(measured) == 2
    assert measured == pytest.approx((gain, mse["painting"] / mse["result"]), rel=1e-4)
    assert 1 < measured[0] and 1 < measured[1]  # a blend: something of both


@pytest.mark.slow
def test_transfer_measure_scores_the_photo_the_painting_and_noise(measure, pictures) -> None:
    """"The photo itself has style gain 1"; the painting (a pure texture) content keep 1 and a high style gain;
    white noise is neither closer to the painting's style nor to the photo's content."""
    gain, keep = measure(pictures["photo"])
    assert gain == pytest.approx(1, abs=1e-6) and keep > 1e6
    gain, keep = measure(pictures["starry_night@photo"])
    assert keep == pytest.approx(1, abs=1e-6) and gain > 3
    gain, keep = measure(torch.rand(pictures["photo"].shape, generator=torch.Generator().manual_seed(0)))
    assert gain < 1 and keep < 1.5


@pytest.mark.slow
def test_transfer_measure_follows_a_fade_from_the_photo_to_the_painting(measure, pictures) -> None:
    """The more of the painting in the image, the higher the style gain and the lower the content keep."""
    photo, painting = pictures["photo"], pictures["starry_night@photo"]
    fade = {t: measure((1 - t) * photo + t * painting) for t in (0.0, 0.25, 0.5, 0.75, 1.0)}
    gains = [fade[t][0] for t in (0.0, 0.5, 0.75, 1.0)]
    keeps = [fade[t][1] for t in (0.25, 0.5, 0.75, 1.0)]
    assert gains == sorted(gains) and gains[-1] > 2 * gains[0], fade
    assert keeps == sorted(keeps, reverse=True) and keeps[0] > 2 * keeps[-1], fade


@pytest.mark.slow
def test_region_style_gain_with_one_region_is_the_measures_style_gain(measure, pictures) -> None:
    """guidance's docstring: the region gain is TransferMeasure's style gain for one region (all-ones mask)."""
    photo = pictures["photo"]
    image = 0.5 * photo + 0.5 * pictures["starry_night@photo"]
    whole = torch.ones(photo.shape[-2:])
    gain = guidance.region_style_gain(measure.net, image, photo, whole, pictures["starry_night"], STYLE_LAYERS)
    assert gain == pytest.approx(measure(image)[0], rel=1e-5)
