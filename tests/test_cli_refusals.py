"""`python -m nst_edu`: bad input exits 2 with one whole sentence on stderr, before any work."""
import numpy as np
import pytest
from PIL import Image

from nst_edu.__main__ import main


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


ANOTHER = "choose another --out"


@pytest.mark.parametrize("args, message", [
    (["--out", "{tmp}/a_file/sub"], "{tmp}/a_file is a file, so {tmp}/a_file/sub cannot be created: " + ANOTHER),
    (["--out", "{tmp}/a_file"], "{tmp}/a_file is a file, so {tmp}/a_file cannot be created: " + ANOTHER),
    (["--size", "0"], "--size must be a positive, finite number, got 0"),
    (["--steps", "-1"], "--steps must be a positive, finite number, got -1"),
])
def test_figures_refuses_bad_input_before_any_work(tmp_path, capsys, monkeypatch, args, message):
    import nst_edu.teaching.figures

    def started(*args, **kwargs):
        raise AssertionError("the figures were rendered before the arguments were checked")

    monkeypatch.setattr(nst_edu.teaching.figures, "render_figures", started)
    (tmp_path / "a_file").write_text("in the way")
    assert main(["figures", "--figure", "3", *[a.format(tmp=tmp_path) for a in args]]) == 2
    assert capsys.readouterr().err == f"error: {message.format(tmp=tmp_path)}\n"


@pytest.mark.parametrize("argv, needle, command", [
    ([], "the following arguments are required: command", ""),
    (["transfer", "-o", "x.png", "--style", "a"], "the following arguments are required: --content", " transfer"),
    (["transfer", "--content", "a", "-o", "x.png"], "the following arguments are required: --style", " transfer"),
    (["transfer", "--content", "a", "--style", "b"], "the following arguments are required: -o/--output",
     " transfer"),
    (["transfer", "--content", "a", "--style", "b", "-o", "x.png", "--init", "zeros"], "argument --init: invalid "
     "choice: 'zeros' (choose from 'noise', 'content')", " transfer"),
    (["figures", "--figure", "4"], "argument --figure: invalid choice: '4'", " figures"),
])
def test_a_usage_error_is_one_line_naming_the_help_to_read(capsys, argv, needle, command):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith(f"error: {needle}") and err.endswith(f" (see python -m nst_edu{command} --help)\n"), err
    assert err.count("\n") == 1, err


NOT_ALL_0 = "--style-weights must be ≥ 0 and not all 0, got "


@pytest.mark.parametrize("args, message", [
    (["--style-weights", "0.5", "0.5"], "2 --style-weights for 1 --style images: give one weight per --style"),
    (["--style-weights", "0", "0", "--style", "{style}"], NOT_ALL_0 + "[0.0, 0.0]"),
    (["--style-weights", "-1", "2", "--style", "{style}"], NOT_ALL_0 + "[-1.0, 2.0]"),
    (["--style-weights", "nan", "1", "--style", "{style}"], NOT_ALL_0 + "[nan, 1.0]"),
    (["--size", "0"], "--size must be a positive, finite number, got 0"),
    (["--steps", "-3"], "--steps must be a positive, finite number, got -3"),
    (["--ratio", "0"], "--ratio must be a positive, finite number, got 0.0"),
    (["--settle", "0"], "--settle must be a positive, finite number, got 0.0"),
    (["--settle", "inf"], "--settle must be a positive, finite number, got inf"),
])
def test_the_cli_refuses_with_the_whole_sentence(pair, tmp_path, capsys, no_work, args, message):
    argv = ["transfer", "--content", pair[0], "--style", pair[1], "-o", str(tmp_path / "out.png"), "--size", "24",
            *[a.format(style=pair[1]) for a in args]]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_an_elongated_artwork_too_small_at_the_photos_pixel_count_is_named(pair, tmp_path, capsys):
    strip = tmp_path / "strip.png"
    Image.fromarray(np.zeros((6, 400, 3), dtype=np.uint8)).save(strip)
    assert main(["transfer", "--content", pair[0], "--style", str(strip), "--size", "64", "-o",
                 str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the artwork {str(strip)!r} (at the photo's pixel count) is ") and \
        err.endswith("use a larger --size, or a less elongated image\n"), err
    assert not (tmp_path / "out.png").exists()


def test_a_size_too_large_for_the_memory_names_the_size_and_the_largest_that_fits(pair, tmp_path, capsys, no_work):
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "20000",
                 "-o", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --size 20000 needs about ") and " GB free: use --size " in err, err
    assert int(err.rsplit("use --size ", 1)[1].split()[0]) < 20000


def test_a_photo_too_small_for_conv5_1_is_refused_before_the_synthesis(pair, tmp_path, capsys, recorded):
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "8",
                 "-o", str(tmp_path / "out.png")]) == 2
    assert capsys.readouterr().err == ("error: the photo is 8×6 px, but conv5_1 comes after 4 poolings and needs at "
                                       "least 16 px on each side: use a larger --size, or a less elongated image\n")
    assert recorded == {}
