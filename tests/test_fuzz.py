"""Fuzzing the command line with Hypothesis: whatever a user types and whatever file they hand in,
``python -m nst_edu transfer`` either writes a valid image of the size asked for (exit 0) or says in one
line what is wrong (exit 2), with no traceback and no half-written file left behind.

``make test`` runs a few dozen examples (the "default" profile, well under a minute); ``make fuzz``
runs the "long" profile (thousands) once.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nst_edu.__main__ import main  # noqa: E402

settings.register_profile("default", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("NST_EDU_FUZZ_PROFILE", "default"))

MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16", "F", "CMYK", "YCbCr", "HSV"]
SAVE_AS = {".png": "PNG", ".jpg": "JPEG", ".tif": "TIFF", ".webp": "WEBP", ".bmp": "BMP", ".gif": "GIF"}


@st.composite
def image_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes): a real image in any mode and size, maybe truncated or mislabelled, or junk."""
    kind = draw(st.sampled_from(["image"] * 8 + ["truncated", "random", "empty"]))
    name_ext = draw(st.sampled_from(list(SAVE_AS) + [".txt", ""]))
    if kind == "random":
        return f"junk{name_ext}", draw(st.binary(min_size=1, max_size=256))
    if kind == "empty":
        return f"empty{name_ext}", b""
    mode = draw(st.sampled_from(MODES))
    w = draw(st.integers(1, 40))
    h = draw(st.one_of(st.integers(max(1, w * 2 // 3), w * 3 // 2 + 1), st.integers(1, 40)))  # often a photo's shape
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    rgb = Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    im = rgb.convert(mode) if mode not in ("I;16", "HSV") else (rgb.convert("L").convert(mode) if mode == "I;16"
                                                                  else rgb.convert("HSV"))
    fmt = SAVE_AS.get(draw(st.sampled_from(list(SAVE_AS))), "PNG")
    buf = io.BytesIO()
    try:
        exif = Image.Exif()
        exif[0x0112] = draw(st.integers(1, 8))  # EXIF orientation
        im.save(buf, format=fmt, exif=exif) if fmt in ("JPEG", "PNG", "TIFF", "WEBP") else im.save(buf, format=fmt)
    except (OSError, ValueError, KeyError):  # this format cannot hold this mode: send PNG bytes instead
        buf = io.BytesIO()
        rgb.save(buf, format="PNG")
    data = buf.getvalue()
    if kind == "truncated":
        data = data[: max(1, len(data) // draw(st.integers(2, 5)))]
    return f"image{name_ext}", data


# Half the examples have only good arguments (so that they get as far as loading and synthesising, and
# the images are what varies); the others have one argument drawn from everything a user might type.
GOOD = {"output": st.sampled_from(["out.png", "out.jpg", "out.webp", "out.tiff", "noext", "sub/dir/out.png",
                                   "FOLDER/out.png"]),
        "size": st.sampled_from([16, 24, 32]), "ratio": st.sampled_from(["1e-3", "1e-2", "1e-30", "1"]),
        "steps": st.sampled_from(["1", "2", "3"]), "weights": st.none()}
ANY = {"output": st.sampled_from(["out.bmp", "out.", "FILE/out.png", "FOLDER", "FILE", ".hidden.png",
                                  "a" * 300 + ".png"]),
       "size": st.sampled_from([-5, 0, 1, 2, 8, 15, 100_000]),
       "ratio": st.sampled_from(["0", "-1", "nan", "inf", "-inf", "abc", "1e400"]),
       "steps": st.sampled_from(["0", "-2", "x", "1e3"]),
       "weights": st.lists(st.sampled_from(["0", "0.5", "1", "-1", "nan", "inf"]), max_size=3)}


@st.composite
def arguments(draw: st.DrawFn) -> dict:
    bad = draw(st.sampled_from([None] * 5 + list(ANY)))
    return {k: draw(ANY[k] if k == bad else GOOD[k]) for k in GOOD}


@given(content=image_files(), style=image_files(), args=arguments())
def test_the_command_line_writes_an_image_or_says_why_not(tmp_path_factory, capsys, content, style, args):
    output, size, ratio, steps, weights = (args[k] for k in ("output", "size", "ratio", "steps", "weights"))
    work = tmp_path_factory.mktemp("fuzz")
    (work / "FILE").write_bytes(b"a file where a folder would go")
    (work / "FOLDER").mkdir()
    paths = []
    for label, (name, data) in (("content", content), ("style", style)):
        path = work / f"{label}-{name}"
        path.write_bytes(data)
        paths.append(str(path))
    argv = ["transfer", "--content", paths[0], "--style", paths[1], "--size", str(size), "--ratio", ratio,
            "--steps", steps, "-o", str(work / output)]
    if weights is not None:
        argv += ["--style-weights", *weights] if weights else ["--style-weights"]
    before = set(work.rglob("*"))
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: a malformed number, a flag without a value
        code = exc.code
    out, err = capsys.readouterr()
    hypothesis.event(f"exit {code}" + (f": {err.split(':')[1][:40]}" if code == 2 and ":" in err else ""))
    assert "Traceback" not in err + out
    assert code in (0, 2), (code, err)
    said = [line for line in err.strip().splitlines() if not line.startswith("synthesis:")]  # the progress bar
    *warned, last = said or [""]
    assert all(line.startswith("warning: ") for line in warned), err  # each warning one line
    if code == 2:
        assert last.startswith("error: "), err  # the refusal: one line, the last
        assert set(work.rglob("*")) == before, "a refused run left a file behind"
    else:
        written = Path(out.split("wrote ", 1)[1].split(" (", 1)[0])
        with Image.open(written) as im:
            im.load()
            assert max(im.size) == size, (im.size, size)
        new = set(work.rglob("*")) - before - {written}
        assert all(not p.name.startswith(".") for p in new), f"temporary files left: {sorted(new)}"
