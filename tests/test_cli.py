"""`python -m nst_edu`: good input writes the image it names, with the paper's defaults; the README's
option table is the parser's. (Bad input: test_cli_refusals.py.)"""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nst_edu.__main__ import main


def test_catalog_lists_images_with_licences(capsys):
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "tubingen" in out and "starry_night" in out and "CC BY" in out


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

    from nst_edu.teaching import images

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


def test_transfer_defaults_are_the_papers(pair, tmp_path, capsys, recorded):
    """README: the default --ratio is the paper's 1e-3, from white noise, average pooling, L-BFGS, seed 0."""
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "64",
                 "-o", str(tmp_path / "out.png")]) == 0
    assert recorded["alpha"] / recorded["beta"] == pytest.approx(1e-3)
    assert (recorded["init"], recorded["pooling"], recorded["optimizer"], recorded["seed"], recorded["steps"],
            recorded["settle"], recorded["precision"]) == ("noise", "avg", "lbfgs", 0, 300, None, "auto")


def test_transfer_flags_reach_the_synthesis(pair, tmp_path, capsys, recorded):
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "64", "--ratio", "0.05",
                 "--steps", "7", "--init", "content", "--pooling", "max", "--optimizer", "adam", "--seed", "3",
                 "--settle", "0.5", "--precision", "bfloat16", "-o", str(tmp_path / "out.png")]) == 0
    assert recorded["alpha"] / recorded["beta"] == pytest.approx(0.05)
    assert (recorded["init"], recorded["pooling"], recorded["optimizer"], recorded["seed"], recorded["steps"],
            recorded["settle"], recorded["precision"]) == ("content", "max", "adam", 3, 7, 0.5, "bfloat16")
    assert "network in bfloat16" in capsys.readouterr().out


def test_figures_makes_a_new_output_folder(tmp_path, capsys, monkeypatch):
    import nst_edu.teaching.figures

    seen = {}
    monkeypatch.setattr(nst_edu.teaching.figures, "render_figures",
                        lambda figures, **kw: seen.update(kw, figures=figures) or [])
    assert main(["figures", "--figure", "1", "--out", str(tmp_path / "new" / "figs"), "--size", "64",
                 "--steps", "5"]) == 0
    assert seen == {"out_dir": tmp_path / "new" / "figs", "figures": ["1"], "size": 64, "steps": 5}


def test_a_style_weight_of_0_is_allowed(pair, tmp_path, capsys, recorded):
    """Weights ≥ 0, not all 0: (0, 1) is the second painting alone, a valid end of a blend slider."""
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--style", pair[1], "--style-weights", "0",
                 "1", "--size", "32", "-o", str(tmp_path / "out.png")]) == 0
    assert recorded["style_blend"] == [0.0, 1.0]


def _cli_reference() -> str:
    """The README's table of every command and option, built from the parser itself."""
    import argparse

    from nst_edu.__main__ import _parser

    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = [f"`{parser.prog} COMMAND`: {parser.description} A command is required.", "",
             "| command | option | default | what it does |", "|---|---|---|---|"]
    for choice in commands._choices_actions:
        sub = commands.choices[choice.dest]
        lines.append(f"| `{choice.dest}` | | | {choice.help} |")
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            value = "{" + ",".join(action.choices) + "}" if action.choices else action.metavar or action.dest.upper()
            value += " …" if action.nargs == "+" else ""
            flags = ", ".join(f"`{o} {value}`" for o in action.option_strings)
            flags += " (repeatable)" if isinstance(action, argparse._AppendAction) else ""
            default = "required" if action.required else "—" if action.default is None else f"`{action.default}`"
            lines.append(f"| | {flags} | {default} | {action.help or ''} |")
    return "\n".join(lines)


def test_the_readme_lists_every_option_as_the_parser_has_it():
    """The README's option table is the parser's: a flag, default, choice, `required` or help text changed
    in one place and not the other fails here (the table to paste is in the message)."""
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- cli-options -->\n", 1)[1].split("\n<!-- /cli-options -->", 1)[0]
    expected = _cli_reference()
    assert block == expected, f"update the README's block between the cli-options markers to:\n{expected}"


def test_figures_defaults(tmp_path, capsys, monkeypatch):
    """`figures` alone renders all three figures at the walkthrough's size and steps (None: config decides)
    into figures/ of the working folder, and prints each path it wrote."""
    from pathlib import Path

    import nst_edu.teaching.figures

    seen = {}

    def render(figures, **kw):
        seen.update(kw, figures=figures)
        return [Path(kw["out_dir"]) / f"figure{f}.png" for f in figures]

    monkeypatch.setattr(nst_edu.teaching.figures, "render_figures", render)
    monkeypatch.chdir(tmp_path)
    assert main(["figures"]) == 0
    assert seen == {"figures": ["1", "2", "3"], "size": None, "steps": None, "out_dir": Path("figures")}
    assert capsys.readouterr().out == "".join(f"wrote {Path('figures', f'figure{f}.png')}\n" for f in "123")


@pytest.mark.parametrize("result, line", [
    (dict(interrupted=False, stop_reason="finished", steps=7, wall_time=1.26), "7 steps, 1.3 s, finished"),
    (dict(interrupted=False, stop_reason="settled", steps=150, wall_time=9.0), "150 steps, 9.0 s, settled"),
    (dict(interrupted=True, stop_reason="finished", steps=3, wall_time=0.04), "3 steps, 0.0 s, interrupted, kept the "
                                                                              "best image"),
])
def test_transfer_saves_the_best_image_and_says_how_the_run_ended(pair, tmp_path, capsys, monkeypatch, result, line):
    import types

    import torch

    import nst_edu.synthesis

    best = torch.full((1, 3, 16, 16), 0.25)
    monkeypatch.setattr(nst_edu.synthesis, "synthesize", lambda *a, **kw: types.SimpleNamespace(
        best_image=best, image=torch.ones(1, 3, 16, 16), **result))
    out = tmp_path / "out.png"
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "24", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out} ({line}; network in float32)\n"  # the tests' precision
    assert np.asarray(Image.open(out)).max() == 64  # 0.25 × 255, rounded: the best image, not the last


def test_ctrl_c_during_a_transfer_exits_130_with_one_line(pair, tmp_path, capsys, monkeypatch):
    import nst_edu.synthesis

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(nst_edu.synthesis, "synthesize", interrupted)
    assert main(["transfer", "--content", pair[0], "--style", pair[1], "--size", "24",
                 "-o", str(tmp_path / "out.png")]) == 130
    assert capsys.readouterr().err == "error: interrupted\n"
    assert not (tmp_path / "out.png").exists()


def test_one_artwork_in_a_list_is_the_same_synthesis(model):
    """The CLI passes one --style as the tensor, several as a list; a list of one is the same run, image and
    history alike (so the CLI's choice between the two cannot change a picture)."""
    import torch

    from nst_edu.synthesis import synthesize

    g = torch.Generator().manual_seed(1)
    photo, painting = torch.rand(1, 3, 24, 32, generator=g), torch.rand(1, 3, 20, 20, generator=g)
    kw = dict(model=model, content_layers=["conv2_1"], style_layers=["conv1_1", "conv2_1"], steps=10, progress=False)
    alone, listed = synthesize(photo, painting, **kw), synthesize(photo, [painting], **kw)
    assert torch.equal(alone.best_image, listed.best_image) and alone.history.total == listed.history.total
