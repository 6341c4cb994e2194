"""`python -m nst_edu`: bad input exits 2 with one line, good input writes a PNG."""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nst_edu.__main__ import main


@pytest.fixture()
def pair(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for name in ("content.png", "style.png"):
        Image.fromarray(rng.integers(0, 255, (20, 28, 3), dtype=np.uint8)).save(tmp_path / name)
        paths.append(str(tmp_path / name))
    return paths


def test_catalog_lists_images_with_licences(capsys):
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "tubingen" in out and "starry_night" in out and "CC BY" in out


@pytest.mark.parametrize("args, needle", [
    (["--content", "missing.jpg"], "missing.jpg"),
    (["--ratio", "-1"], "--ratio"),
    (["--steps", "0"], "--steps"),
    (["-o", "out.bmp"], "cannot write '.bmp' images"),
    (["--ratio", "inf"], "--ratio must be a positive, finite number"),
    (["--ratio", "nan"], "--ratio must be a positive, finite number"),
    (["--style", "no_such_painting"], "no_such_painting"),
    (["--style-weights", "0.5", "0.5"], "2 --style-weights for 1 --style"),
    (["--style-weights", "-1"], "--style-weights must be ≥ 0"),
])
def test_bad_input_exits_2_with_one_line(pair, tmp_path, capsys, args, needle):
    argv = ["transfer", "--content", pair[0], "--style", pair[1], "--size", "16", "--steps", "2",
            "-o", str(tmp_path / "out.png")]
    if args[0] == "--style-weights":
        argv += args
        args = []
    for flag, value in zip(args[::2], args[1::2]):
        if flag in argv and flag != "--style-weights":
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err


def test_transfer_writes_a_png(pair, tmp_path, capsys):
    out = tmp_path / "result.png"
    code = main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "24", "--steps", "3",
                 "--ratio", "1e-3", "-o", str(out)])
    assert code == 0 and "wrote" in capsys.readouterr().out
    assert Image.open(out).size == (24, 17)


def test_module_entry_point_has_no_traceback_on_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "nst_edu", "transfer", "--content", "nope.png",
                           "--style", "nope.png", "-o", str(tmp_path / "x.png")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_two_styles_blend_towards_the_heavier_weight(tmp_path):
    rng = np.random.default_rng(1)
    paths = {}
    for name, channel in (("red", 0), ("blue", 2)):
        a = rng.integers(0, 60, (24, 24, 3), dtype=np.uint8)
        a[..., channel] = rng.integers(180, 255, (24, 24), dtype=np.uint8)
        Image.fromarray(a).save(tmp_path / f"{name}.png")
        paths[name] = str(tmp_path / f"{name}.png")
    Image.fromarray(rng.integers(100, 160, (24, 24, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    redness = {}
    for weights in (("0.9", "0.1"), ("0.1", "0.9")):
        out = tmp_path / f"out_{weights[0]}.png"
        assert main(["transfer", "--content", str(tmp_path / "photo.png"), "--style", paths["red"], "--style",
                     paths["blue"], "--style-weights", *weights, "--ratio", "1e-5", "--size", "24", "--steps", "40",
                     "-o", str(out)]) == 0
        a = np.asarray(Image.open(out)).astype(float)
        redness[weights[0]] = a[..., 0].mean() - a[..., 2].mean()
    assert redness["0.9"] > 20 and redness["0.1"] < -20, redness


@pytest.fixture()
def no_work(monkeypatch):
    """Fail the test if the CLI loads an image or starts a synthesis: checks come before the work."""
    import nst_edu.images
    import nst_edu.synthesis

    def started(*args, **kwargs):
        raise AssertionError("the work started before the arguments were checked")

    monkeypatch.setattr(nst_edu.images, "load_image", started)
    monkeypatch.setattr(nst_edu.synthesis, "synthesize", started)


@pytest.mark.parametrize("case, needle", [
    ("file_in_the_way", "is a file, so"),
    ("output_is_a_folder", "is a folder: name a file in it"),
    ("huge_size", "GB free: use --size"),
    ("infinite_ratio", "--ratio must be a positive, finite number"),
])
def test_bad_output_size_and_ratio_are_refused_before_any_work(pair, tmp_path, capsys, no_work, case, needle):
    (tmp_path / "photo.jpg").write_bytes(b"a file")
    (tmp_path / "results.png").mkdir()
    out = {"file_in_the_way": tmp_path / "photo.jpg" / "out.png", "output_is_a_folder": tmp_path / "results.png"}
    argv = ["transfer", "--content", pair[0], "--style", pair[1], "--steps", "2",
            "-o", str(out.get(case, tmp_path / "out.png")),
            "--size", "20000" if case == "huge_size" else "16",
            "--ratio", "inf" if case == "infinite_ratio" else "1e-3"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content.png", "photo.jpg", "results.png", "style.png"]


def test_transfer_writes_a_jpeg(pair, tmp_path, capsys):
    out = tmp_path / "result.jpg"
    argv = ["transfer", "--content", pair[0], "--style", pair[1], "--size", "24", "--steps", "3", "-o", str(out)]
    assert main(argv) == 0
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.size == (24, 17)


def test_a_warning_is_one_line_without_source(pair, tmp_path, capsys, monkeypatch):
    """What a library warns about while the command runs (Pillow's "Corrupt EXIF data", a diverging
    loss) reaches the user as one line, not Python's file-and-code-line warning display."""
    import warnings

    from nst_edu import images

    real = images.load_image

    def load_and_warn(*args, **kwargs):
        warnings.warn("Corrupt EXIF data.  Expecting to read 12 bytes\nbut only got 2.", UserWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(images, "load_image", load_and_warn)
    code = main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "32", "--steps", "2",
                 "-o", str(tmp_path / "out.png")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "warning: Corrupt EXIF data. Expecting to read 12 bytes but only got 2.\n" in err, err
    assert ".py:" not in err and "warnings.warn" not in err, err


@pytest.fixture()
def recorded(monkeypatch):
    """The settings the CLI hands to synthesize (which does no work here): a dict of its keyword arguments."""
    import types

    import torch

    import nst_edu.synthesis

    calls = {}

    def fake(content_image, style_image, **kwargs):
        calls.update(kwargs)
        return types.SimpleNamespace(best_image=content_image.clamp(0, 1), interrupted=False, stop_reason="finished",
                                     steps=kwargs["steps"], wall_time=0.0, image=torch.zeros(1))

    monkeypatch.setattr(nst_edu.synthesis, "synthesize", fake)
    return calls


def test_transfer_defaults_are_the_papers(pair, tmp_path, capsys, recorded):
    """README: the default --ratio is the paper's 1e-3, from white noise, average pooling, L-BFGS, seed 0."""
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "64",
                 "-o", str(tmp_path / "out.png")]) == 0
    assert recorded["alpha"] / recorded["beta"] == pytest.approx(1e-3)
    assert (recorded["init"], recorded["pooling"], recorded["optimizer"], recorded["seed"], recorded["steps"]) \
        == ("noise", "avg", "lbfgs", 0, 300)


def test_transfer_flags_reach_the_synthesis(pair, tmp_path, capsys, recorded):
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "64", "--ratio", "0.05",
                 "--steps", "7", "--init", "content", "--pooling", "max", "--optimizer", "adam", "--seed", "3",
                 "-o", str(tmp_path / "out.png")]) == 0
    assert recorded["alpha"] / recorded["beta"] == pytest.approx(0.05)
    assert (recorded["init"], recorded["pooling"], recorded["optimizer"], recorded["seed"], recorded["steps"]) \
        == ("content", "max", "adam", 3, 7)


@pytest.mark.parametrize("where, needle", [
    ("a_file/sub", "is a file, so "), ("a_file", "is a file, so "),
])
def test_figures_refuses_a_bad_output_folder_before_any_work(tmp_path, capsys, monkeypatch, where, needle):
    import nst_edu.figures

    def started(*args, **kwargs):
        raise AssertionError("the figures were rendered before the output folder was checked")

    monkeypatch.setattr(nst_edu.figures, "render_figures", started)
    (tmp_path / "a_file").write_text("in the way")
    assert main(["figures", "--figure", "3", "--out", str(tmp_path / where)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "--out" in err and len(err.strip().splitlines()) == 1


def test_figures_makes_a_new_output_folder(tmp_path, capsys, monkeypatch):
    import nst_edu.figures

    seen = {}
    monkeypatch.setattr(nst_edu.figures, "render_figures", lambda figures, **kw: seen.update(kw) or [])
    assert main(["figures", "--figure", "1", "--out", str(tmp_path / "new" / "figs")]) == 0
    assert seen["out_dir"] == tmp_path / "new" / "figs"

