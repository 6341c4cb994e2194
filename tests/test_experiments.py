"""Fast checks of nst_edu.experiments (random weights or tiny images; the notebooks run the real thing)."""
from __future__ import annotations

import pytest
import torch

from nst_edu.errors import NstEduError
from nst_edu.teaching import figures as E

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation


def test_cumulative_subsets_and_labels() -> None:
    subsets = E.cumulative_subsets()
    assert subsets[0] == ("conv1_1",) and subsets[-1] == ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    assert E.subset_label(subsets[2]) == "conv1_1…conv3_1"


def test_tv_loss_zero_for_constant_and_positive_for_noise() -> None:
    assert float(E.tv_loss(torch.full((1, 3, 8, 8), 0.5))) == 0.0
    assert float(E.tv_loss(torch.rand(1, 3, 8, 8))) > 0


def test_load_style_matches_pixel_count() -> None:
    content = torch.rand(1, 3, 30, 40)
    style = E.load_style(torch.rand(1, 3, 100, 50), content)
    assert abs(style.shape[-2] * style.shape[-1] - 1200) < 80
    assert style.shape[-2] > style.shape[-1]  # aspect kept


def test_figure_functions_with_random_weights() -> None:
    model = E.feature_model(weights=None)
    content, style = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    c = E.content_reconstructions(content, layers=["conv1_1", "conv2_1"], steps=2, model=model)
    s = E.style_reconstructions(style, layers=["conv1_1", "conv2_1"], steps=2, model=model)
    assert list(c) == ["conv1_1", "conv2_1"] and list(s) == ["conv1_1", "conv2_1"]
    f3 = E.figure3(content, style, ratios=(1e-3, 1e-2), layers=["conv1_1", "conv2_1"], steps=2, model=model)
    assert set(f3) == {(l, r) for l in ("conv1_1", "conv2_1") for r in (1e-3, 1e-2)}
    fig = E.draw_figure3(f3, layers=["conv1_1", "conv2_1"])
    assert len(fig.axes) == 4
    assert len(E.draw_figure1(c, s).axes) == 4
    assert E.pixel_error(content, content) == 0.0


def test_render_figures_rejects_unknown_figure(tmp_path) -> None:
    with pytest.raises(NstEduError, match="unknown figure"):
        E.render_figures(["4"], out_dir=tmp_path, progress=False)


def test_figure2_draws_the_papers_five_panels_at_the_papers_ratios(monkeypatch) -> None:
    """Fig. 2 of the paper: Shipwreck, Starry Night, The Scream at α/β = 1e-3 (B-D); Femme nue assise and
    Composition VII at 1e-4 (E, F). The list is typed here from the paper, not read from nst_edu."""
    calls = []
    monkeypatch.setattr(E, "load_style", lambda name, content_image: name)
    monkeypatch.setattr(E, "synthesize",
                        lambda content_image, style, alpha, beta, **kw: calls.append((style, alpha / beta)))
    E.figure2(torch.zeros(1, 3, 8, 8), model=object())
    assert calls == [("shipwreck", 1e-3), ("starry_night", 1e-3), ("the_scream", 1e-3),
                     ("seated_nude", 1e-4), ("composition_vii", 1e-4)]

