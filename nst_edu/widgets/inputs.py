"""What a user gives the explorer, made safe: uploaded files, moved controls, and exceptions as one line.

A user uploads whatever is at hand: a phone photo of 12–108 megapixels, a screenshot, or by mistake a
text file, an empty file, half a download. The explorer works at a few hundred pixels, so a big photo is
decoded already shrunk (JPEG can do this itself) and kept at :data:`UPLOAD_LONG_SIDE`; a file that would
decode to more than Pillow's decompression-bomb limit is refused before any pixel is decoded.
"""
from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor

from nst_edu.errors import ImageError, NstEduError
from nst_edu.teaching.images import MAX_PIXELS, load_image

#: Long side, in pixels, of the image kept from an upload: twice the explorer's largest size, so any size
#: the slider allows is a reduction of it, while a 108-megapixel photo costs ~9 MB instead of 1.3 GB.
UPLOAD_LONG_SIDE = 1024

_FIX = "upload a PNG or JPEG image"


def pixel_limit() -> int:
    """The most pixels an upload may decode to: Pillow's decompression-bomb limit (``MAX_IMAGE_PIXELS``,
    ≈ 89 megapixels, ≈ 270 MB as RGB), read at each call so that a user who changed it is followed."""
    return int(Image.MAX_IMAGE_PIXELS or MAX_PIXELS)


def _too_big(width_height: str, pixels: int, limit: int) -> ImageError:
    side = int((limit * 4 / 3) ** 0.5)  # the long side of a 4:3 photo at the limit
    return ImageError(
        f"it is {width_height} = {pixels / 1e6:.0f} megapixels, more than the {limit / 1e6:.0f} megapixels "
        f"an upload may decode to (decompression-bomb guard); shrink it to at most {side} px on the long side, "
        f"or save it as JPEG, and upload it again"
    )


def decode_upload(data: bytes, long_side: int = UPLOAD_LONG_SIDE) -> tuple[Tensor, tuple[int, int]]:
    """Decode an uploaded file into an image tensor no larger than ``long_side``.

    A huge photo is what users expect to just work (every phone makes them), so it is decoded and shrunk,
    not refused: a JPEG is decoded directly at 1/2, 1/4 or 1/8 of its size (Pillow's ``draft``), which
    keeps a 12000×9000 photo at ~5 MB of pixels; other formats are decoded whole, so they are refused
    when they would decode to more than :func:`pixel_limit` pixels, before decoding (a PNG of a few
    kilobytes can claim 30000×30000 pixels: a decompression bomb).

    Args:
        data: the file's bytes.
        long_side: the long side kept, in pixels (aspect ratio kept; small images are not enlarged).

    Returns:
        The image, (1, 3, H, W) float32 in [0, 1], and the file's own (width, height).

    Raises:
        ImageError: the file is empty, not an image, truncated, or too big to decode; the one-line message
            names the problem and the fix.
    """
    if not data:
        raise ImageError(f"the file is empty (0 bytes); {_FIX}")
    limit = pixel_limit()
    try:
        with warnings.catch_warnings():  # our limit below is the check; Pillow's warning would be printed
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            pil = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # more than twice Pillow's limit: refused while opening
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found.group(1)) if found else 2 * limit
        raise _too_big("the size in its header", pixels, limit) from None
    except UnidentifiedImageError:
        raise ImageError(f"it is not an image ({len(data)} bytes that no image format recognises); {_FIX}") from None
    with pil:
        width, height = pil.size
        if pil.format == "JPEG":
            pil.draft("RGB", (long_side, long_side))  # the decoder skips detail: at least long_side kept
        decoded = pil.size[0] * pil.size[1]
        if decoded > limit:
            raise _too_big(f"{width}×{height}", width * height, limit)
        try:
            pil.load()
        except (OSError, SyntaxError, ValueError) as exc:  # Pillow reports a cut-off file as OSError
            raise ImageError(f"it is truncated or corrupt (Pillow: {exc}); upload the complete file again") from None
        image = ImageOps.exif_transpose(pil)  # before shrinking: phone photos store rotation as a tag
        if (image.width > image.height) != (pil.width > pil.height):
            width, height = height, width  # the size as shown, after that rotation
        image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        return load_image(image), (width, height)


def one_line(exc: BaseException, limit: int = 240) -> str:
    """An exception as one line for a widget: our own errors' message (it names the fix), else the
    exception's type and text, cut at ``limit`` characters (a status line, not a log)."""
    text = [t.strip() for t in str(exc).strip().splitlines()]
    if text and isinstance(exc, NstEduError):
        line = text[0]
    else:
        line = f"{type(exc).__name__}: {' '.join(text)}".rstrip(": ")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def guarded(what: str, handler: Callable[[Any], Any], tell: Callable[[str], Any]) -> Callable[[Any], None]:
    """``handler`` for a button or an observer, with any exception passed to ``tell`` as one line.

    An exception raised in a widget handler never reaches the user's cell: the kernel logs it, and to
    the user the button simply did nothing. Here the widget says what failed.
    """
    def run(arg: Any) -> None:
        try:
            handler(arg)
        except Exception as exc:
            tell(f"{what} failed: {one_line(exc)}")

    return run


def change_notice(what: str, value: Any) -> str:
    """What the explorer says when a control moves during a run: it waits for the next Run."""
    shown = ("ticked" if value else "unticked") if isinstance(value, bool) else (
        f"{value:.3g}" if isinstance(value, float) else str(value))
    return f"{what} set to {shown}: it applies at the next Run (this run keeps its settings; press Stop, then Run, " \
           "to use it now)."
