"""The paper's Fig. 1 as a diagram (nst_edu.teaching.diagram): what a reader must see in it, measured on the drawing."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from drawn_text import text_problems
from matplotlib.backends.backend_agg import FigureCanvasAgg

from nst_edu.errors import NstEduError
from nst_edu.teaching.diagram import LABEL_SIZE, draw_figure1_diagram, draw_gram_entry
from nst_edu.vgg import STYLE_LAYERS


def _results(seed: int, layers=STYLE_LAYERS) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {layer: SimpleNamespace(image=torch.rand(1, 3, 24, 32, generator=g)) for layer in layers}


def _drawn(fig):
    """Lay the figure out and render it as a notebook would (Agg), so positions and pixels are final."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def _image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_style_above_the_network_content_below_one_column_per_layer() -> None:
    fig = draw_figure1_diagram(_results(0), _results(1))
    pictures = _image_axes(fig)
    assert len(pictures) == 2 * len(STYLE_LAYERS)
    (net,) = [ax for ax in fig.axes if not ax.images]
    _drawn(fig)
    style = [ax for ax in pictures if ax.get_title()]
    content = [ax for ax in pictures if ax.get_xlabel()]
    assert [ax.get_xlabel() for ax in content] == list(STYLE_LAYERS)
    titles = [ax.get_title().replace("\n", " ") for ax in style]
    assert titles == ["conv1_1"] + [f"conv1_1 … {layer}" for layer in STYLE_LAYERS[1:]]
    middle = net.get_position()
    assert all(ax.get_position().y0 >= middle.y1 - 1e-6 for ax in style), "style pictures sit above the network"
    assert all(ax.get_position().y1 <= middle.y0 + 1e-6 for ax in content), "content pictures sit below it"
    xs = [ax.get_position().x0 for ax in content]
    assert xs == sorted(xs) and [ax.get_position().x0 for ax in style] == pytest.approx(xs), "one column per layer"


def test_each_layer_is_named_with_its_number_of_filters_and_an_arrow_to_each_picture() -> None:
    fig = draw_figure1_diagram(_results(0), _results(1))
    (net,) = [ax for ax in fig.axes if not ax.images]
    texts = [t.get_text() for t in net.texts]
    assert texts == [f"{layer}\n{n} filters" for layer, n in zip(STYLE_LAYERS, (64, 128, 256, 512, 512))]
    arrows = [a for a in fig.artists if type(a).__name__ == "ConnectionPatch"]
    assert len(arrows) == 2 * len(STYLE_LAYERS)
    blocks = [p for p in net.patches]
    assert len(blocks) == sum(min(2 + j, 5) for j in range(len(STYLE_LAYERS)))
    widths = [max(p.get_width() for p in net.patches if j <= p.get_x() + p.get_width() / 2 < j + 1)
              for j in range(len(STYLE_LAYERS))]
    assert all(a > b for a, b in zip(widths, widths[1:])), "the maps shrink from conv1_1 to conv5_1"


def test_the_pictures_are_drawn_and_the_labels_are_readable() -> None:
    fig = draw_figure1_diagram(_results(0), _results(1))
    rgba = _drawn(fig)
    height = rgba.shape[0]
    for ax in _image_axes(fig):
        x0, y0, x1, y1 = ax.get_window_extent().extents
        cell = rgba[int(height - y1) + 2:int(height - y0) - 2, int(x0) + 2:int(x1) - 2, :3]
        assert cell.size and cell.std() > 40, "a picture cell is blank"  # uniform noise: std ≈ 74
    sizes = [t.get_fontsize() for ax in fig.axes for t in (ax.title, ax.xaxis.label, *ax.texts) if t.get_text()]
    assert sizes and min(sizes) >= LABEL_SIZE >= 10


def test_one_row_alone_draws_that_row() -> None:
    fig = draw_figure1_diagram(_results(0), {})
    assert len(_image_axes(fig)) == len(STYLE_LAYERS) and not fig._suptitle
    fig = draw_figure1_diagram({}, _results(1))
    assert len(_image_axes(fig)) == len(STYLE_LAYERS) and fig._suptitle is not None


@pytest.mark.parametrize("content, style, words", [
    ({}, {}, "nothing to draw"),
    (_results(0), _results(1, STYLE_LAYERS[:3]), "different layers"),
])
def test_bad_input_is_refused_in_one_line(content, style, words) -> None:
    with pytest.raises(NstEduError, match=words) as err:
        draw_figure1_diagram(content, style)
    assert "\n" not in str(err.value)


# ----------------------------------------------------------------------------- one entry of G, eq. (3)
def test_the_gram_picture_prints_the_entry_of_G_before_and_after_a_shuffle() -> None:
    from nst_edu.losses import gram_matrix

    F = torch.rand(1, 6, 10, 14, generator=torch.Generator().manual_seed(3))
    G = gram_matrix(F)[0]
    fig = draw_gram_entry(F, 2, 4, "conv2_1")
    titles = [ax.get_title() for ax in fig.axes]
    sums = [float(t.rsplit("= ", 1)[1]) for t in titles if "G[2, 4]" in t]
    assert len(sums) == 2 and sums == pytest.approx([float(G[2, 4])] * 2, rel=1e-5), (sums, float(G[2, 4]))
    assert titles[0] == "conv2_1 filter 2" and "shuffled" in titles[3]


def test_the_gram_picture_shows_the_maps_and_their_product_and_the_shuffle_moves_them() -> None:
    F = torch.rand(1, 6, 10, 14, generator=torch.Generator().manual_seed(3))
    fig = draw_gram_entry(F, 2, 4)
    shown = [np.asarray(ax.images[0].get_array()) for ax in fig.axes]
    assert np.allclose(shown[0], F[0, 2].numpy()) and np.allclose(shown[1], F[0, 4].numpy())
    assert np.allclose(shown[2], shown[0] * shown[1]), "the right-hand map is the product"
    assert not np.allclose(shown[3], shown[0]) and np.isclose(np.sort(shown[3], None), np.sort(shown[0], None)).all()
    assert np.allclose(shown[5], shown[3] * shown[4]), "the shuffled product, position by position"


@pytest.mark.parametrize("features, i, j, words", [
    (torch.rand(2, 4, 5, 5), 0, 1, "one layer's responses"),
    (torch.rand(4, 5, 5), 0, 4, "this layer has 4"),
    (torch.rand(4, 5, 5), -1, 0, "this layer has 4"),
])
def test_the_gram_picture_refuses_what_is_not_one_layer_or_not_its_filters(features, i, j, words) -> None:
    with pytest.raises(NstEduError, match=words) as err:
        draw_gram_entry(features, i, j)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("label_size, column", [(LABEL_SIZE, 2.5), (18, 2.25)])  # a notebook's, the deck's
def test_no_two_labels_overlap_and_none_leaves_the_figure(label_size: float, column: float) -> None:
    """Measured on the drawing: every text's box (titles, layer names, N_l) apart from every other's."""
    for fig in (draw_figure1_diagram(_results(0), _results(1), label_size=label_size, column=column),
                draw_gram_entry(torch.rand(1, 8, 12, 16, generator=torch.Generator().manual_seed(0)), 2, 4, "conv2_1",
                                label_size=label_size, figsize=(12.0, 5.5))):
        assert text_problems(fig) == [], label_size
