"""Figures are shown as pictures in IPython, and the display checks catch what a reader would see wrong."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nst_edu.teaching import display

NOTEBOOKS = sorted(p for p in (Path(__file__).resolve().parents[1] / "notebooks").rglob("*.ipynb")
            if ".ipynb_checkpoints" not in p.parts)


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    png = sh.display_formatter.formatters["image/png"]
    saved = dict(png.type_printers), dict(png.deferred_printers)
    png.type_printers.clear(), png.deferred_printers.clear()  # a fresh kernel: no inline backend yet
    yield sh
    png.type_printers.clear(), png.deferred_printers.clear()
    png.type_printers.update(saved[0]), png.deferred_printers.update(saved[1])


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([0, 1], [1, 0])
    return fig


def test_a_bare_figure_is_text_until_enabled_then_one_png(shell) -> None:
    fig = _figure()
    assert "image/png" not in shell.display_formatter.format(fig)[0]  # the bug: '<Figure size …>'
    assert display.enable_figure_display(shell)
    data, _ = shell.display_formatter.format(fig)
    assert data["text/plain"].startswith("<Figure size")
    import base64

    assert base64.b64decode(data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_existing_formatter_is_kept(shell) -> None:
    from matplotlib.figure import Figure

    def mine(fig):
        return "bWluZQ=="  # the user's own choice, e.g. the inline backend's retina PNG

    shell.display_formatter.formatters["image/png"].for_type(Figure, mine)
    display.enable_figure_display(shell)
    assert shell.display_formatter.format(_figure())[0]["image/png"] == "bWluZQ=="


def test_outside_ipython_nothing_happens() -> None:
    """Plain Python (the CLI): no formatter, and IPython is not even imported."""
    import subprocess
    import sys

    code = ("import sys, nst_edu, nst_edu.teaching.display as d; "
            "print(d.enable_figure_display(), 'IPython' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _out(kind: str, **kw):
    return {"output_type": kind, **kw}


PNG = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 1160x260 with 5 Axes>"}


@pytest.mark.parametrize(
    "source, outputs, expected",
    [
        ("figures.draw_figure1(r, {})", [_out("execute_result", data=PNG)], []),
        (
            "figures.draw_figure1(r, {})",
            [_out("execute_result", data={"text/plain": "<Figure size 1160x260 with 5 Axes>"})],
            ["text repr"],
        ),
        (
            "print(fig)",
            [_out("stream", name="stdout", text="<Figure size 640x480 with 1 Axes>\n")],
            ["printed as text"],
        ),
        ("images.show_images([x])", [_out("execute_result", data={"text/plain": "tensor([[0.5]])"})], ["tensor dump"]),
        ("fig = draw_grid(rows)", [], ["no picture"]),
        ("x = 1", [_out("error", ename="ValueError", evalue="bad", traceback=[])], ["traceback"]),
        ("# draw_grid(rows) is in a comment\nx = 1", [], []),
        ("torch.zeros(2)", [_out("execute_result", data={"text/plain": "tensor([0., 0.])"})], []),  # no picture meant
        ("settings", [_out("execute_result", data={"text/plain": "Settings(quick=True)"})], []),
        # a cell that only defines a drawing function draws nothing; the cell that calls it does
        ("def draw_figures(p):\n    return show_images(p)", [], []),
        ("def draw_figures(p):\n    return show_images(p)\nfig = draw_figures(x)", [], ["no picture"]),
        ("%matplotlib inline\nfig = show_images(x)", [], ["no picture"]),
    ],
)
def test_output_problems(source: str, outputs: list, expected: list[str]) -> None:
    problems = display.output_problems(source, outputs)
    assert len(problems) == len(expected), problems
    for problem, word in zip(problems, expected):
        assert word in problem


def test_count_and_declared() -> None:
    outs = [_out("display_data", data=PNG), _out("stream", name="stdout", text="hi"), _out("execute_result", data=PNG)]
    assert display.count_pictures(outs) == 2
    assert display.declared_figures({"nst_edu": {"figures": 3}}) == 3
    assert display.declared_figures({}) is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_declares_its_pictures(path: Path) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    declared = display.declared_figures(meta)
    assert declared is not None and declared >= 0, f"{path.name}: add {{'nst_edu': {{'figures': N}}}} to its metadata"
    assert meta["nst_edu"].get("paper"), f"{path.name}: say which part of the paper it covers (metadata nst_edu.paper)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_drawing_cell_promises_its_pictures(path: Path) -> None:
    """Before anything runs: each drawing cell promises pictures and the cells add up to the total."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [("".join(c["source"]), c["metadata"], None) for c in nb["cells"] if c["cell_type"] == "code"]
    assert display.figure_count_problems(nb["metadata"], cells) == [], path.name


def _cell(source: str, promised: int = 0, shown: int | None = None) -> tuple[str, dict, int | None]:
    return source, ({"nst_edu": {"figures": promised}} if promised else {}), shown


def test_figure_counts_are_held_per_cell() -> None:
    ok = [_cell("import nst_edu", 0, 0), _cell("draw_content_reconstructions(results)", 2, 2), _cell("x = 1", 0, 0)]
    assert display.figure_count_problems({"nst_edu": {"figures": 2}}, ok) == []
    # a drawing cell that now shows one picture less, with the notebook's total lowered to match
    fewer = [ok[0], _cell(ok[1][0], 2, 1), ok[2]]
    assert display.figure_count_problems({"nst_edu": {"figures": 1}}, fewer) == [
        "code cell 1 showed 1 pictures but its metadata promises 2", "it declares 1 pictures but its cells promise 2"]
    # ... and with that cell's own promise removed too: it still calls a drawing function
    unpromised = [ok[0], _cell(ok[1][0], 0, 0), ok[2]]
    problems = display.figure_count_problems({"nst_edu": {"figures": 0}}, unpromised)
    assert len(problems) == 1 and problems[0].startswith("code cell 1 draws but promises no picture")
    # a cell that shows a picture without promising one (e.g. plt.imshow, not one of our functions)
    extra = [ok[0], ok[1], _cell("plt.imshow(x)", 0, 1)]
    assert display.figure_count_problems({"nst_edu": {"figures": 2}}, extra) == [
        "code cell 2 showed 1 pictures but its metadata promises 0"]
    assert "does not declare" in display.figure_count_problems({}, ok)[0]
