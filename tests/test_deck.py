"""The deck's pictures (nst_edu.teaching.deck) and the label size stamped into every PNG (nst_edu.teaching.display).

What a presenter needs from a slide's picture: every label at least the deck's smallest text once the PNG is
shown at its natural size (``tests/test_slides.py`` measures that in Chromium), the picture no wider than the
slide, and the paintings named as the catalogue names them.
"""
from __future__ import annotations

import base64
import io
from types import SimpleNamespace

import pytest
import torch
from drawn_text import text_problems
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from nst_edu.errors import NstEduError
from nst_edu.teaching import catalog, deck, display
from nst_edu.teaching.diagram import draw_figure1_diagram, draw_gram_entry
from nst_edu.teaching.figures import FIGURE3_RATIOS
from nst_edu.vgg import STYLE_LAYERS


def _image(height: int, width: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(seed))


def _result(height: int = 48, width: int = 64, seed: int = 0) -> SimpleNamespace:
    return SimpleNamespace(image=_image(height, width, seed))


def _png_size(fig: Figure) -> tuple[int, int]:
    """The PNG's size as a notebook shows it (IPython's print_figure, bbox tight)."""
    return Image.open(io.BytesIO(base64.b64decode(display._png(fig)))).size


def _labels(fig: Figure) -> list:
    return [t for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label) if t.get_text()]


def _fits_a_slide(fig: Figure, height_px: int = 640) -> None:
    width, height = _png_size(fig)
    assert width <= deck.MAX_WIDTH * deck.DPI + 2 and height <= height_px, (width, height)
    assert display.smallest_text_px(fig) >= deck.MIN_TEXT_PX
    assert text_problems(fig) == []


def test_a_row_of_pictures_labels_each_in_the_decks_size_and_fits_the_slide() -> None:
    fig = deck.draw_pictures([_image(48, 64, k) for k in range(6)], [f"picture {k}" for k in range(6)], columns=3,
                             height=2.45)
    strip = deck.draw_pictures([_image(48, 64, k) for k in range(4)],
                               [f"α/β = 1e-0{k}\nstyle gain 53.8\nkeep 0.9" for k in range(4)], height=2.3)
    _fits_a_slide(strip)  # the live slide's still: three lines under each picture
    assert [len([ax for ax in fig.axes if ax.images])] == [6]
    assert [t.get_text() for t in _labels(fig)] == [f"picture {k}" for k in range(6)]
    assert {t.get_fontsize() for t in _labels(fig)} == {deck.LABEL_PT}
    rows = sorted({round(ax.get_position().y0, 3) for ax in fig.axes if ax.images})
    assert len(rows) == 2  # six pictures in rows of three
    _fits_a_slide(fig)
    wide = deck.draw_pictures([_image(48, 64, k) for k in range(8)], ["x"] * 8, height=3.0)
    assert wide.get_figwidth() <= deck.MAX_WIDTH + 1e-9  # eight in a row: the height gives way, not the slide


def test_a_row_of_pictures_refuses_a_missing_label() -> None:
    with pytest.raises(NstEduError, match="one label per picture: got 2 pictures and 1 labels"):
        deck.draw_pictures([_image(8, 8), _image(8, 8)], ["one"])


def test_fig2_names_each_painting_as_the_catalogue_does_above_its_picture() -> None:
    names = ["shipwreck", "starry_night", "the_scream"]
    paintings = {n: _image(40, 60 if n != "the_scream" else 30, k) for k, n in enumerate(names)}
    results = {n: _result(seed=10 + k) for k, n in enumerate(names)}
    fig = deck.draw_paintings(paintings, results, {n: 1e-3 for n in names})
    top = [ax for ax in fig.axes if ax.get_title()]
    assert [" ".join(ax.get_title().split()) for ax in top] == [" ".join(deck.painting_label(n).split()) for n in names]
    scream = catalog.get_entry("the_scream")
    assert deck.painting_label("the_scream") == f"{scream.title}\n{scream.artist}, {scream.year}"
    bottom = [ax for ax in fig.axes if ax.get_xlabel()]
    assert [ax.get_xlabel() for ax in bottom] == ["α/β = 1e-03"] * 3
    for painting_ax, picture_ax, n in zip(top, bottom, names):
        assert painting_ax.get_position().y0 > picture_ax.get_position().y1  # the painting above its picture
        assert torch.equal(torch.as_tensor(painting_ax.images[0].get_array()[..., 0]),
                           (paintings[n][0, 0] * 255).round().to(torch.uint8))
    _fits_a_slide(fig)


def test_fig2_refuses_paintings_without_their_pictures() -> None:
    with pytest.raises(NstEduError, match="a result and a ratio for each painting"):
        deck.draw_paintings({"shipwreck": _image(8, 8)}, {"starry_night": _result()}, {"shipwreck": 1e-3})


def test_fig3_for_a_slide_has_readable_row_and_column_labels_and_fits_under_a_heading() -> None:
    results = {(layer, ratio): _result(seed=k) for k, (layer, ratio) in
               enumerate((lay, r) for lay in STYLE_LAYERS for r in FIGURE3_RATIOS)}
    fig = deck.draw_figure3(results)
    assert len([ax for ax in fig.axes if ax.images]) == 20
    columns = [ax.get_title() for ax in fig.axes if ax.get_title()]
    rows = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert columns == ["1e-05", "1e-04", "1e-03", "1e-02"] and "α/β" in fig.get_suptitle()
    assert rows == ["conv1_1"] + [f"conv1_1 … {layer}" for layer in STYLE_LAYERS[1:]]
    assert {t.get_fontsize() for t in _labels(fig)} == {deck.LABEL_PT}
    _fits_a_slide(fig, height_px=630)


def test_the_diagram_and_the_gram_picture_at_the_decks_size_fit_a_slide() -> None:
    content = {layer: _result(seed=k) for k, layer in enumerate(STYLE_LAYERS)}
    style = {layer: _result(seed=10 + k) for k, layer in enumerate(STYLE_LAYERS)}
    _fits_a_slide(draw_figure1_diagram(content, style, label_size=deck.LABEL_PT, column=2.25))
    maps = torch.rand(1, 8, 12, 16, generator=torch.Generator().manual_seed(0))
    _fits_a_slide(draw_gram_entry(maps, 2, 4, "conv2_1", label_size=deck.LABEL_PT, figsize=(12.0, 5.5)))


# ---------------------------------------------------------------------------------------- the stamp in the PNG
def test_smallest_text_px_counts_what_is_drawn() -> None:
    fig = Figure(figsize=(3, 2), dpi=100)
    ax = fig.subplots()
    ax.set_title("title", fontsize=18)
    FigureCanvasAgg(fig).draw()  # the tick labels exist, at matplotlib's default 10 pt
    assert display.smallest_text_px(fig) == pytest.approx(10 * 100 / 72)
    ax.axis("off")  # ticks no longer drawn: only the title counts
    assert display.smallest_text_px(fig) == pytest.approx(18 * 100 / 72)
    ax.set_title("")
    assert display.smallest_text_px(fig) is None


def test_every_png_the_package_shows_carries_its_smallest_text() -> None:
    fig = deck.draw_pictures([_image(24, 32)], ["a label"])
    text = Image.open(io.BytesIO(base64.b64decode(display._png(fig)))).text
    assert float(text[display.TEXT_PX_KEY]) == pytest.approx(deck.LABEL_PT * deck.DPI / 72, abs=0.01)
    bare = Figure(figsize=(1, 1))
    bare.subplots().axis("off")
    assert display.TEXT_PX_KEY not in Image.open(io.BytesIO(base64.b64decode(display._png(bare)))).text
