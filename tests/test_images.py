"""Tests of nst_edu.teaching.images on synthetic images only."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from nst_edu.errors import ImageError
from nst_edu.teaching import images
from nst_edu.teaching.images import load_image, match_size, resize, save_image, show_images, to_pil


def _assert_image(t: torch.Tensor, h: int, w: int) -> None:
    assert t.shape == (1, 3, h, w)
    assert t.dtype == torch.float32
    assert 0.0 <= t.min().item() and t.max().item() <= 1.0


# ----------------------------------------------------------------------------- PIL modes
def test_rgb_png_roundtrip_is_exact(tmp_path: Path) -> None:
    arr = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "a.png")
    t = load_image(tmp_path / "a.png")
    _assert_image(t, 5, 7)
    assert np.array_equal(np.asarray(to_pil(t)), arr)


def test_mode_L_gray_is_replicated(tmp_path: Path) -> None:
    Image.new("L", (4, 3), 51).save(tmp_path / "g.png")
    t = load_image(str(tmp_path / "g.png"))
    _assert_image(t, 3, 4)
    assert torch.allclose(t, torch.full_like(t, 51 / 255))


def test_mode_1_bilevel() -> None:
    img = Image.new("1", (3, 2), 0)
    img.putpixel((0, 0), 1)
    t = load_image(img)
    assert t[0, :, 0, 0].tolist() == [1.0, 1.0, 1.0]
    assert t[0, :, 1, 2].tolist() == [0.0, 0.0, 0.0]


def test_mode_LA_composites_onto_white() -> None:
    t = load_image(Image.new("LA", (2, 2), (0, 0)))  # black, fully transparent
    assert torch.allclose(t, torch.ones_like(t))
    half = load_image(Image.new("LA", (2, 2), (0, 102)))  # alpha 0.4 over white -> 0.6
    assert torch.allclose(half, torch.full_like(half, 1 - 102 / 255), atol=1e-6)


def test_mode_RGBA_composites_onto_white(tmp_path: Path) -> None:
    img = Image.new("RGBA", (2, 1), (255, 0, 0, 255))
    img.putpixel((1, 0), (0, 0, 0, 0))
    img.save(tmp_path / "rgba.png")
    t = load_image(tmp_path / "rgba.png")
    assert t[0, :, 0, 0].tolist() == [1.0, 0.0, 0.0]
    assert t[0, :, 0, 1].tolist() == [1.0, 1.0, 1.0]


def test_mode_P_palette(tmp_path: Path) -> None:
    img = Image.new("P", (2, 2), 1)
    img.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    img.save(tmp_path / "p.png")
    t = load_image(tmp_path / "p.png")
    assert t[0, :, 1, 1].tolist() == [0.0, 1.0, 0.0]


def test_mode_P_with_transparency_is_white(tmp_path: Path) -> None:
    img = Image.new("P", (2, 1), 0)
    img.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    img.putpixel((1, 0), 1)
    img.save(tmp_path / "pt.png", transparency=0)  # palette index 0 is transparent
    t = load_image(tmp_path / "pt.png")
    assert t[0, :, 0, 0].tolist() == [1.0, 1.0, 1.0]
    assert t[0, :, 0, 1].tolist() == [0.0, 0.0, 1.0]


def test_mode_CMYK(tmp_path: Path) -> None:
    Image.new("CMYK", (3, 2), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=100)
    t = load_image(tmp_path / "c.jpg")
    _assert_image(t, 2, 3)
    r, g, b = t[0, :, 1, 1].tolist()
    assert r > 0.9 and g < 0.1 and b < 0.1  # CMYK (0, 1, 1, 0) is red


def test_16bit_png_keeps_full_precision(tmp_path: Path) -> None:
    arr = np.array([[0, 1, 65534, 65535]], dtype=np.uint16)
    Image.fromarray(arr).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    t = load_image(tmp_path / "deep.png")
    assert t[0, 0, 0, 3].item() == 1.0  # 65535 -> 1.0, not clipped from 255
    assert t[0, 0, 0, 1].item() == pytest.approx(1 / 65535)  # not rounded to 8 bits
    assert t[0, 0, 0, 2].item() < 1.0


def test_exif_orientation_rotates(tmp_path: Path) -> None:
    img = Image.new("RGB", (8, 4), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    img.save(tmp_path / "rot.jpg", exif=exif.tobytes())
    assert Image.open(tmp_path / "rot.jpg").size == (8, 4)
    _assert_image(load_image(tmp_path / "rot.jpg"), 8, 4)  # H=8, W=4 after rotation


# --------------------------------------------------------------------- arrays and tensors
@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.full((2, 3), 255, np.uint8), 1.0),
        (np.full((2, 3, 1), 65535, np.uint16), 1.0),
        (np.ones((2, 3, 3), bool), 1.0),
        (np.full((2, 3, 3), 0.25, np.float64), 0.25),
        (np.concatenate([np.zeros((2, 3, 3)), np.zeros((2, 3, 1))], -1).astype(np.float32), 1.0),
    ],
)
def test_arrays(array: np.ndarray, expected: float) -> None:
    t = load_image(array)
    _assert_image(t, 2, 3)
    assert torch.allclose(t, torch.full_like(t, expected))


@pytest.mark.parametrize("shape", [(3, 4, 5), (1, 3, 4, 5), (4, 5), (1, 4, 5)])
def test_tensor_shapes(shape: tuple[int, ...]) -> None:
    src = torch.rand(shape)
    t = load_image(src)
    _assert_image(t, 4, 5)
    t.zero_()
    assert src.max() > 0  # the result is a copy, not a view of the caller's tensor


def test_uint8_tensor_and_device() -> None:
    t = load_image(torch.full((3, 2, 2), 255, dtype=torch.uint8), device="cpu")
    assert torch.equal(t, torch.ones(1, 3, 2, 2))


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        (np.full((2, 2, 3), 2.0), "divide by 255"),
        (np.array([[np.nan, 0.5]]), "NaN"),
        (np.zeros((3, 4, 5), np.uint8), "transpose(1, 2, 0)"),
        (np.zeros((2, 2, 2, 2), np.uint8), "give H×W or H×W×1/3/4"),
        (np.zeros((0, 4), np.uint8), "empty"),
        (np.zeros((2, 2), np.int64), "use uint8, uint16, bool, or float"),
        (torch.full((3, 2, 2), 255.0), "divide by 255"),
        (torch.rand(2, 3, 4, 4), "x[0]"),
        (torch.rand(4, 4, 3), "permute"),
        (torch.tensor([[float("nan")]]), "NaN"),
        (torch.zeros(3, 2, 2, dtype=torch.int32), "divide by 255"),
        (torch.zeros(3, 0, 2), "empty"),
        (12345, "give a PNG/JPEG path"),
    ],
)
def test_bad_inputs_name_the_fix(source: object, needle: str) -> None:
    with pytest.raises(ImageError) as info:
        load_image(source)  # type: ignore[arg-type]
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------- bad files
def test_missing_file_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file; give a PNG/JPEG path"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="no such file or catalogue name.*nst_edu catalog"):
        load_image("definitely_not_a_painting")


def test_not_an_image_empty_folder_truncated(tmp_path: Path) -> None:
    (tmp_path / "foo.txt").write_text("hello")
    with pytest.raises(ImageError, match=r"not an image file \(PIL: .*\); give a PNG/JPEG"):
        load_image(tmp_path / "foo.txt")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="the file is empty"):
        load_image(tmp_path / "empty.png")
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)
    Image.new("RGB", (64, 64), (1, 2, 3)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt.*again"):
        load_image(tmp_path / "cut.png")


def test_decompression_bomb_refused_before_decoding(tmp_path: Path, monkeypatch) -> None:
    Image.new("L", (100, 100)).save(tmp_path / "big.png")
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(1))
    with pytest.raises(ImageError, match="decompression-bomb guard.*larger max_pixels"):
        load_image(tmp_path / "big.png", max_pixels=9_999)
    assert decoded == []  # refused from the header alone
    with pytest.raises(ImageError, match="max_pixels"):
        load_image(Image.new("L", (100, 100)), max_pixels=100)


def test_pil_decompression_bomb_error_becomes_image_error(tmp_path: Path, monkeypatch) -> None:
    Image.new("L", (100, 100)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # PIL errors above 2x this
    with pytest.raises(ImageError, match="too many pixels"):
        load_image(tmp_path / "big.png")


# ---------------------------------------------------------------------------- resizing
def test_resize_long_side_keeps_aspect() -> None:
    x = torch.rand(1, 3, 300, 200)
    assert resize(x, 150).shape == (1, 3, 150, 100)
    assert resize(torch.rand(1, 3, 10, 1000), 20).shape == (1, 3, 1, 20)  # min 1 pixel
    assert load_image(torch.rand(3, 40, 60), size=30).shape == (1, 3, 20, 30)
    flat = torch.full((1, 3, 64, 64), 0.5)
    assert torch.allclose(resize(flat, 16), flat[..., :16, :16], atol=1e-6)


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_resize_rejects_bad_size(size: object) -> None:
    with pytest.raises(ImageError, match="positive integer"):
        resize(torch.rand(1, 3, 4, 4), size)  # type: ignore[arg-type]


def test_match_size() -> None:
    ref = torch.rand(1, 3, 7, 9)
    assert match_size(torch.rand(1, 3, 20, 20), ref).shape == (1, 3, 7, 9)
    assert match_size(torch.rand(1, 3, 20, 20), (5, 6)).shape == (1, 3, 5, 6)


# ------------------------------------------------------------------------------ saving
def test_to_pil_clamps_and_rounds() -> None:
    x = torch.tensor([-1.0, 0.5, 2.0, 0.2]).view(1, 1, 1, 4).expand(1, 3, 1, 4)
    assert np.asarray(to_pil(x))[0, :, 0].tolist() == [0, 128, 255, 51]
    with pytest.raises(ImageError, match="NaN"):
        to_pil(torch.full((3, 2, 2), float("nan")))


def test_save_image_creates_dirs_and_roundtrips(tmp_path: Path) -> None:
    x = torch.rand(1, 3, 6, 5)
    out = save_image(x, tmp_path / "a" / "b" / "out.png")
    assert out == tmp_path / "a" / "b" / "out.png"
    assert torch.allclose(load_image(out), x, atol=0.5 / 255 + 1e-6)
    assert save_image(x, tmp_path / "noext").suffix == ".png"
    with pytest.raises(ImageError, match="cannot write '.bmp' images"):
        save_image(x, tmp_path / "out.bmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "noext.png"]


@pytest.mark.parametrize("suffix, fmt", [(".jpg", "JPEG"), (".jpeg", "JPEG"), (".webp", "WEBP"), (".tif", "TIFF"),
                                         (".TIFF", "TIFF")])
def test_save_image_writes_the_format_of_its_extension(tmp_path: Path, suffix: str, fmt: str) -> None:
    sky = torch.linspace(0.3, 0.9, 64).view(1, 1, 1, 64).expand(1, 3, 48, 64).clone()  # a smooth gradient
    sky[:, 2] = 0.95
    out = save_image(sky, tmp_path / f"out{suffix}")
    with Image.open(out) as im:
        assert im.format == fmt and im.size == (64, 48)
    # JPEG at quality 95 without chroma subsampling: no visible banding or colour blocks on a sky
    assert (load_image(out) - sky).abs().max() < 6 / 255


def test_save_image_refuses_a_folder_or_a_file_in_the_way(tmp_path: Path) -> None:
    x = torch.rand(1, 3, 4, 4)
    (tmp_path / "photo.jpg").write_bytes(b"not a folder")
    (tmp_path / "results.png").mkdir()
    with pytest.raises(ImageError, match="photo.jpg is a file, so .* cannot be created"):
        save_image(x, tmp_path / "photo.jpg" / "out.png")
    with pytest.raises(ImageError, match="results.png is a folder: name a file in it"):
        save_image(x, tmp_path / "results.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg", "results.png"]


def test_the_output_path_errors_are_whole_sentences(tmp_path: Path) -> None:
    def refused(path: Path, message: str) -> None:
        with pytest.raises(ImageError, match="^" + re.escape(message) + "$"):
            images.check_output_path(path)

    refused(tmp_path / "x.bmp", f"cannot write '.bmp' images ({tmp_path / 'x.bmp'}): use .png, .jpg, .jpeg, .webp, "
                                ".tif, .tiff")
    (tmp_path / "results.png").mkdir()
    refused(tmp_path / "results.png", f"{tmp_path / 'results.png'} is a folder: name a file in it, e.g. "
                                      f"{tmp_path / 'results.png' / 'result.png'}")
    (tmp_path / "photo.jpg").write_bytes(b"not a folder")
    target = tmp_path / "photo.jpg" / "out.png"
    refused(target, f"{tmp_path / 'photo.jpg'} is a file, so {target} cannot be created: choose another folder")
    long = tmp_path / ("a" * 300 + ".png")
    refused(long, f"cannot write {str(long)[:60]}…: {os.strerror(errno.ENAMETOOLONG)}; choose a shorter name")
    with pytest.raises(ImageError, match="^image contains NaN; the optimisation diverged, lower the learning rate$"):
        to_pil(torch.full((1, 3, 2, 2), float("nan")))


def test_a_pil_image_is_saved_as_it_is(tmp_path: Path) -> None:
    save_image(Image.new("L", (4, 4), 128), tmp_path / "gray.png")
    with Image.open(tmp_path / "gray.png") as saved:
        assert saved.mode == "L" and saved.getpixel((0, 0)) == 128


def test_save_image_is_atomic(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "keep.png"
    save_image(torch.zeros(1, 3, 2, 2), target)
    before = target.read_bytes()

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_image(torch.ones(1, 3, 2, 2), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]  # no temp file left

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_image(torch.ones(1, 3, 2, 2), tmp_path / "new.png")
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


# ----------------------------------------------------------------------------- display
def test_show_images_grid() -> None:
    pictures = [torch.rand(1, 3, 4, 4)] * 3 + [Image.new("RGB", (4, 4))]
    fig = show_images(pictures, ["a", "b", None, "d"], ncols=2, size=2.0)
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert len(axes) == 4
    assert [ax.get_title() for ax in axes] == ["a", "b", "", "d"]
    assert not axes[0].axison
    assert tuple(fig.get_size_inches()) == (4.0, 4.0)
    single = images.show_image(torch.rand(3, 4, 4), title="x")
    assert [ax.get_title() for ax in single.get_axes()] == ["x"]
    with pytest.raises(ImageError, match="give one title per image"):
        show_images([torch.rand(1, 3, 2, 2)], ["a", "b"])


def test_saved_png_gets_the_permissions_a_plain_open_would(tmp_path):
    # mkstemp alone would leave the file private (0600); a user's PNG should be readable like any other.
    old = os.umask(0o022)
    try:
        path = images.save_image(torch.rand(1, 3, 4, 4), tmp_path / "out.png")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_name_too_long_for_the_file_system_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="choose a shorter name"):
        save_image(torch.rand(1, 3, 4, 4), tmp_path / ("a" * 300 + ".png"))


def test_jpeg_is_written_at_quality_95_without_chroma_subsampling(tmp_path: Path) -> None:
    """The README's promise, read from the file itself: the quantisation tables of quality 95, and 4:4:4 sampling."""
    from PIL import JpegImagePlugin

    x = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(0))
    ours = save_image(x, tmp_path / "ours.jpg")
    Image.new("RGB", (48, 32)).save(tmp_path / "reference.jpg", quality=95, subsampling=0)
    with Image.open(ours) as im, Image.open(tmp_path / "reference.jpg") as ref:
        assert JpegImagePlugin.get_sampling(im) == 0  # 4:4:4 (Pillow: 0), not 4:2:0 (2)
        assert im.quantization == ref.quantization  # the tables of quality 95
