"""Images in, images out: every image is a float32 tensor of shape (1, 3, H, W), RGB, in [0, 1].

:func:`load_image` takes whatever a student has at hand and, on bad input, fails with one line
that says what to do instead.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

from nst_edu.errors import CatalogError, ImageError
from nst_edu.machinery.files import atomic_path, check_folder
from nst_edu.teaching import catalog

if TYPE_CHECKING:  # matplotlib is imported only when something is shown (saves ~0.3 s and ~30 MB)
    from matplotlib.figure import Figure

ImageSource = Union[str, os.PathLike, Image.Image, np.ndarray, torch.Tensor]
MAX_PIXELS = 100_000_000
_ACCEPTS = (
    "give a PNG/JPEG path, a catalogue name (see `python -m nst_edu catalog`), "
    "a PIL image, an array or a tensor"
)
_RANGE_FIX = "values must be in [0, 1]; divide by 255 (or clamp with .clamp(0, 1) / np.clip)"


def load_image(
    source: ImageSource,
    size: int | None = None,
    *,
    device: torch.device | str | None = None,
    max_pixels: int = MAX_PIXELS,
) -> torch.Tensor:
    """Load an image as a float32 RGB tensor in [0, 1].

    Args:
        source: A file path, a catalogue name (fetched on first use), a PIL image, a numpy
            array (H×W or H×W×1/3/4; uint8, uint16, bool or float in [0, 1]) or a tensor
            ((3, H, W), (1, 3, H, W), (H, W) or (1, H, W); float in [0, 1] or uint8).
        size: Long side in pixels after resizing (aspect ratio kept); None keeps the size.
        device: Where to put the result; None means CPU (or the input tensor's device).
        max_pixels: Refuse larger images (decompression-bomb guard), checked before decoding.

    Returns:
        Tensor of shape (1, 3, H, W), dtype float32, values in [0, 1].

    Raises:
        ImageError: If the source cannot be read or converted; the message says how to fix it.
    """
    if isinstance(source, torch.Tensor):
        image = _from_tensor(source)
    elif isinstance(source, np.ndarray):
        image = _from_array(source, "array")
    elif isinstance(source, Image.Image):
        _check_pixels(source, max_pixels, "PIL image")
        image = _from_pil(source)
    elif isinstance(source, (str, os.PathLike)):
        image = _from_pil(_open_path(source, max_pixels))
    else:
        raise ImageError(f"cannot read image of type {type(source).__name__}; {_ACCEPTS}")
    if size is not None:
        image = resize(image, size)
    return image.to(device) if device is not None else image


def _open_path(source: str | os.PathLike, max_pixels: int) -> Image.Image:
    """Open a file (or fetch a catalogue image) and decode it, refusing bombs before decoding."""
    path = Path(source).expanduser()
    where = f"cannot read image {str(source)!r}"
    if not path.exists() and isinstance(source, str):
        try:
            catalog.get_entry(source)
        except CatalogError:
            raise ImageError(f"{where}: no such file or catalogue name; {_ACCEPTS}") from None
        path = catalog.fetch(source)  # its CatalogError already says how to get the file
    if not path.exists():
        raise ImageError(f"{where}: no such file; {_ACCEPTS}")
    if not path.is_file():
        raise ImageError(f"{where}: it is a folder, not a file; {_ACCEPTS}")
    if path.stat().st_size == 0:
        raise ImageError(f"{where}: the file is empty; give a complete image file")
    try:
        # Our own pixel check below is the limit; PIL's (lower) warning would be a second one.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{where}: too many pixels ({exc}); use a smaller image") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"{where}: not an image file (PIL: {exc}); {_ACCEPTS}") from exc
    except OSError as exc:
        raise ImageError(f"{where}: {exc}; check the path and its permissions") from exc
    _check_pixels(img, max_pixels, where)
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:  # PIL reports truncation as OSError
        raise ImageError(f"{where}: truncated or corrupt (PIL: {exc}); download it again") from exc
    return img


def _check_pixels(img: Image.Image, max_pixels: int, where: str) -> None:
    width, height = img.size
    if width * height > max_pixels:
        raise ImageError(
            f"{where}: {width}x{height} = {width * height} pixels is more than max_pixels="
            f"{max_pixels} (decompression-bomb guard); shrink the image or pass a larger max_pixels"
        )
    if width == 0 or height == 0:
        raise ImageError(f"{where}: the image is empty ({width}x{height}); give a non-empty image")


def _from_pil(img: Image.Image) -> torch.Tensor:
    """Convert any PIL mode to (1, 3, H, W) float32, keeping 16-bit precision."""
    img = ImageOps.exif_transpose(img)  # phone photos store rotation as a tag, not pixels
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit grey PNG/TIFF; PIL's "I" is 32-bit but in practice holds 16-bit samples.
        # (PIL itself decodes 16-bit *RGB* PNGs to 8-bit RGB, so only grey keeps 16 bits.)
        gray = np.clip(np.asarray(img, dtype=np.float64), 0, 65535) / 65535.0
        return _from_array(gray.astype(np.float32), "image")
    if mode == "F":
        return _from_array(np.asarray(img, dtype=np.float32), "image")
    has_alpha = mode in ("LA", "La", "RGBA", "RGBa", "PA") or "transparency" in img.info
    try:
        img = img.convert("RGBA" if has_alpha else "RGB")  # covers 1, L, P, CMYK, YCbCr, ...
    except (ValueError, OSError) as exc:
        raise ImageError(f"cannot convert mode {mode!r} to RGB ({exc}); save as RGB PNG") from exc
    return _from_array(np.asarray(img), "image")


def _from_array(array: np.ndarray, what: str) -> torch.Tensor:
    """Convert an H×W or H×W×{1,3,4} array to (1, 3, H, W) float32."""
    if array.ndim == 3 and array.shape[-1] not in (1, 3, 4) and array.shape[0] in (1, 3, 4):
        fix = "give H×W×C (use array.transpose(1, 2, 0))"
        raise ImageError(f"{what} of shape {array.shape} is channels-first; {fix}")
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (1, 3, 4)):
        raise ImageError(f"{what} of shape {array.shape} is not an image; give H×W or H×W×1/3/4")
    if array.size == 0:
        raise ImageError(f"{what} of shape {array.shape} is empty; give a non-empty image")
    values = _normalise(array, what)
    if values.ndim == 2:
        values = values[:, :, None]
    if values.shape[-1] == 4:
        # Transparent pixels have arbitrary (often black) colour; composite onto white so
        # they look as they do on a page and do not inject dark blotches into the statistics.
        rgb, alpha = values[..., :3], values[..., 3:]
        values = rgb * alpha + (1.0 - alpha)
    if values.shape[-1] == 1:
        values = np.repeat(values, 3, axis=-1)
    tensor = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
    return tensor.permute(2, 0, 1).unsqueeze(0).contiguous()


def _normalise(array: np.ndarray, what: str) -> np.ndarray:
    """Map uint8, uint16, bool or float [0, 1] samples to float32 in [0, 1]."""
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if np.issubdtype(array.dtype, np.floating):
        values = array.astype(np.float32)
        if not np.isfinite(values).all():
            raise ImageError(f"{what} contains NaN or infinite values; replace them first")
        if values.min() < 0.0 or values.max() > 1.0:
            lo, hi = values.min(), values.max()
            raise ImageError(f"{what} has values in [{lo:.4g}, {hi:.4g}]; {_RANGE_FIX}")
        return values
    raise ImageError(
        f"{what} has dtype {array.dtype}; use uint8, uint16, bool, or float in [0, 1] "
        "(convert to float and divide by 255)"
    )


def _from_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """Convert (3,H,W), (1,3,H,W), (H,W) or (1,H,W) tensors to (1, 3, H, W) float32."""
    shape, x = tuple(tensor.shape), tensor.detach()
    if x.ndim == 4 and shape[0] == 1:
        x = x[0]
    if x.ndim == 3 and x.shape[0] in (1, 3):
        x = x.permute(1, 2, 0)  # to H×W×C, so arrays and tensors share one validation path
    elif x.ndim != 2:
        fix = "give (3, H, W), (1, 3, H, W), (H, W) or (1, H, W)"
        if x.ndim == 4 and shape[1] in (1, 3):
            fix = "take one image of the batch with x[0]"
        elif x.ndim == 3 and shape[-1] in (1, 3):
            fix = "permute H×W×C to C×H×W with x.permute(2, 0, 1)"
        raise ImageError(f"tensor of shape {shape} is not an image; {fix}")
    if x.is_floating_point():
        x = x.float()  # numpy has no bfloat16
    return _from_array(x.cpu().numpy(), "tensor").to(tensor.device)


def _check_image_tensor(image: torch.Tensor) -> None:
    if not isinstance(image, torch.Tensor) or image.ndim != 4 or image.shape[:2] != (1, 3):
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ImageError(f"image must be a (1, 3, H, W) tensor, got {shape}; use load_image()")


def resize(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize so that the long side is ``size`` pixels, keeping the aspect ratio.

    Args:
        image: Tensor of shape (1, 3, H, W).
        size: New long side in pixels (the short side is rounded, at least 1).

    Returns:
        Tensor of shape (1, 3, H', W') with max(H', W') == size.

    Raises:
        ImageError: If ``size`` is not a positive integer or ``image`` has the wrong shape.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ImageError(f"size must be a positive integer (long side in pixels), got {size!r}")
    _check_image_tensor(image)
    height, width = image.shape[-2:]
    scale = size / max(height, width)
    return _resize_to(image, max(1, round(height * scale)), max(1, round(width * scale)))


def match_size(image: torch.Tensor, reference: torch.Tensor | tuple[int, int]) -> torch.Tensor:
    """Resize ``image`` to the H×W of ``reference`` (a tensor or an (H, W) tuple).

    Returns:
        Tensor of shape (1, 3, H_ref, W_ref).
    """
    _check_image_tensor(image)
    height, width = reference.shape[-2:] if isinstance(reference, torch.Tensor) else reference
    return _resize_to(image, int(height), int(width))


def match_pixel_count(image: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Resize ``image``, keeping its aspect ratio, to about as many pixels as ``reference``.

    This is how a style image is prepared: eq. (4) divides by the *generated* image's M_l², so the
    artwork's Gram matrices A^l are only comparable when both images have about the same M_l.
    """
    h, w = reference.shape[-2:]
    sh, sw = image.shape[-2:]
    scale = math.sqrt(h * w / (sh * sw))
    return _resize_to(image, max(1, round(sh * scale)), max(1, round(sw * scale)))


def _resize_to(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    if (height, width) == tuple(image.shape[-2:]):
        return image.clone()
    # antialias: plain bilinear downsampling aliases, which shows up as false "texture".
    out = F.interpolate(image, (height, width), mode="bilinear", antialias=True)
    return out.clamp(0.0, 1.0)


def to_pil(image: torch.Tensor) -> Image.Image:
    """Convert a (1, 3, H, W) or (3, H, W) tensor to 8-bit RGB (clamped to [0, 1], rounded).

    Raises:
        ImageError: If the shape is wrong or the tensor holds NaN.
    """
    if isinstance(image, torch.Tensor) and image.ndim == 3:
        image = image.unsqueeze(0)
    _check_image_tensor(image)
    x = image.detach().float().cpu()[0]
    if torch.isnan(x).any():
        raise ImageError("image contains NaN; the optimisation diverged, lower the learning rate")
    array = (x.clamp(0.0, 1.0) * 255.0).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(np.ascontiguousarray(array), mode="RGB")


#: What :func:`save_image` writes, by file extension. JPEG at quality 95 without chroma subsampling:
#: a smooth sky shows no bands or colour blocks.
OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}
_SAVE_OPTIONS = {"JPEG": {"quality": 95, "subsampling": 0}, "WEBP": {"quality": 95}, "PNG": {}, "TIFF": {}}


def check_output_path(path: str | os.PathLike) -> Path:
    """The path an image will be written to, checked before any work: an extension Pillow writes
    (none: ``.png``), not a folder, and a parent folder that exists or can be created.

    Raises:
        ImageError: one line naming the problem and the fix.
    """
    path = Path(path).expanduser()
    path = path if path.suffix else path.with_suffix(".png")
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise ImageError(f"cannot write {path.suffix!r} images ({path}): use "
                         f"{', '.join(OUTPUT_FORMATS)}")
    try:
        if path.is_dir():
            raise ImageError(f"{path} is a folder: name a file in it, e.g. {path / 'result.png'}")
        check_folder(path.parent, "folder", target=path, error=ImageError)
    except OSError as exc:  # a name longer than the file system allows, and the like
        raise ImageError(f"cannot write {str(path)[:60]}…: {exc.strerror or exc}; choose a shorter name") from exc
    return path


def save_image(image: torch.Tensor | Image.Image, path: str | os.PathLike) -> Path:
    """Save atomically (temp file + rename), creating parent folders; the format follows the
    extension (:data:`OUTPUT_FORMATS`: PNG, JPEG, WebP, TIFF).

    Args:
        image: Tensor of shape (1, 3, H, W) or (3, H, W), or a PIL image.
        path: Destination; a missing suffix gets ``.png``.

    Returns:
        The path written.

    Raises:
        ImageError: an extension Pillow does not write, a folder, a file in the way, or an image
            that cannot be converted (:func:`check_output_path`).
    """
    path = check_output_path(path)
    fmt = OUTPUT_FORMATS[path.suffix.lower()]
    pil = image if isinstance(image, Image.Image) else to_pil(image)
    with atomic_path(path, suffix=path.suffix) as tmp:
        pil.save(tmp, format=fmt, **_SAVE_OPTIONS[fmt])
    return path


def show_images(
    images: torch.Tensor | Image.Image | Sequence[torch.Tensor | Image.Image],
    titles: Sequence[str | None] | None = None,
    ncols: int | None = None,
    size: float = 3.0,
) -> Figure:
    """Show one image or a grid of images, without axes.

    Args:
        images: One image or a sequence; each a (1, 3, H, W) / (3, H, W) tensor or PIL image.
        titles: One title per image (None entries allowed), shown above each image.
        ncols: Columns of the grid; default min(n, 4).
        size: Height and width of each cell in inches.

    Returns:
        The matplotlib Figure (Jupyter displays it when it is a cell's last value).

    Raises:
        ImageError: If there are no images or the number of titles differs.
    """
    if isinstance(images, (torch.Tensor, Image.Image)):
        images = [images]
    images = list(images)
    if not images:
        raise ImageError("show_images got no images; pass at least one tensor or PIL image")
    if titles is not None and len(titles) != len(images):
        got = f"{len(images)} images but {len(titles)} titles"
        raise ImageError(f"show_images got {got}; give one title per image")
    ncols = max(1, min(ncols or 4, len(images)))
    nrows = math.ceil(len(images) / ncols)
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot) is not tracked globally: no double display, no leak.
    fig = Figure(figsize=(size * ncols, size * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i < len(images):
            pil = images[i] if isinstance(images[i], Image.Image) else to_pil(images[i])
            ax.imshow(np.asarray(pil.convert("RGB")))
            if titles is not None and titles[i]:
                ax.set_title(titles[i])
    return fig


def show_image(image: torch.Tensor | Image.Image, title: str | None = None) -> Figure:
    """Show a single image; see :func:`show_images`."""
    return show_images([image], None if title is None else [title])
