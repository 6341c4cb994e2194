"""Other implementations' losses as eq. (7), each conversion checked against the formula written out by hand."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from nst_edu import losses
from nst_edu.beyond import conventions
from nst_edu.beyond.conventions import IMPLEMENTATIONS, as_eq7, mean_units_ratio

BY_NAME = {c.name: c for c in IMPLEMENTATIONS}
N_STYLE = (64, 128, 256, 512, 512)


def _responses(seed: int = 0) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """Small random responses in float64: per style layer F (N × M) and the artwork's raw Gram A; content F, P."""
    g = torch.Generator().manual_seed(seed)
    sizes = [(4, 30), (6, 20), (8, 12), (10, 6), (10, 6)]
    F = [torch.rand(n, m, generator=g, dtype=torch.float64) for n, m in sizes]
    A = [(lambda a: a @ a.T)(torch.rand(n, m, generator=g, dtype=torch.float64)) for n, m in sizes]
    Fc, Pc = torch.rand(10, 6, generator=g, dtype=torch.float64), torch.rand(10, 6, generator=g, dtype=torch.float64)
    return F, A, Fc, Pc


def _shrunk(c, filters=(4, 6, 8, 10, 10), content_filters=10):
    # the same convention on the small test layers (weights that depend on N_l recomputed by the caller)
    return dataclasses.replace(c, style_filters=tuple(filters[: len(c.style_weights)]), content_filters=content_filters)


def _as_eq7_value(c, F, A, Fc, Pc) -> float:
    """α L_content + β Σ w_l E_l with the conversion's α, β, w_l, computed with nst_edu.losses."""
    alpha, beta, w = as_eq7(c, Fc.shape[1], [f.shape[1] for f in F[: len(c.style_weights)]])
    style = sum(wl * losses.style_layer_loss(f, a) for wl, f, a in zip(w, F, A))
    return float(alpha * losses.content_loss(Fc, Pc) + beta * style)


def test_the_paper_is_eq7_itself():
    alpha, beta, w = as_eq7(BY_NAME["the paper (eqs. 1–7)"], 100, [400, 100, 25, 9, 4])
    assert alpha == pytest.approx(1e-3) and beta == pytest.approx(1.0) and w == pytest.approx([0.2] * 5)


def test_neural_image_synthesis_by_hand():
    """LossLayers.lua: content nn.MSECriterion(F, P); style nn.MSECriterion(G/M, A/M) × 1e9/5 per layer; cw = 1e6."""
    F, A, Fc, Pc = _responses()
    by_hand = 1e6 * ((Fc - Pc) ** 2).mean()
    for f, a in zip(F, A):
        m = f.shape[1]
        by_hand += 1e9 / 5 * ((f @ f.T / m - a / m) ** 2).mean()
    c = _shrunk(BY_NAME["NeuralImageSynthesis, normalised net"])
    assert _as_eq7_value(c, F, A, Fc, Pc) == pytest.approx(float(by_hand), rel=1e-10)


def test_jcjohnson_by_hand():
    """neural_style.lua: G:div(C·H·W), MSE × style_weight 100 on every layer; content MSE × 5."""
    F, A, Fc, Pc = _responses(1)
    by_hand = 5.0 * ((Fc - Pc) ** 2).mean()
    for f, a in zip(F, A):
        nm = f.numel()
        by_hand += 100.0 * ((f @ f.T / nm - a / nm) ** 2).mean()
    c = _shrunk(BY_NAME["jcjohnson/neural-style"])
    assert _as_eq7_value(c, F, A, Fc, Pc) == pytest.approx(float(by_hand), rel=1e-10)


def test_deep_textures_by_hand():
    """LossFunctions.py: G = F Fᵀ / M; loss = weight/4 · Σ (G − G_target)² / N², weight 1e9: exactly weight · E_l."""
    F, A, Fc, Pc = _responses(2)
    by_hand = sum(1e9 / 4 * ((f @ f.T / f.shape[1] - a / f.shape[1]) ** 2).sum() / f.shape[0] ** 2
                  for f, a in zip(F, A))
    c = _shrunk(BY_NAME["DeepTextures (texture only)"])
    assert _as_eq7_value(c, F, A, Fc, Pc) == pytest.approx(float(by_hand), rel=1e-10)
    assert as_eq7(c, 6, [30, 20, 12, 6, 6])[1] == pytest.approx(5e9)  # w_l = 1 each, not 1/5: β = 5 × 1e9


def test_neuralart_by_hand():
    """costs.lua: raw Gram, summed squared error ÷ (N·M)², × 2e9/5; content summed squared error, weight 1."""
    F, A, Fc, Pc = _responses(3)
    by_hand = ((Fc - Pc) ** 2).sum()
    for f, a in zip(F, A):
        by_hand += 2e9 / 5 * ((f @ f.T - a) ** 2).sum() / f.numel() ** 2
    c = _shrunk(BY_NAME["neuralart"])
    assert _as_eq7_value(c, F, A, Fc, Pc) == pytest.approx(float(by_hand), rel=1e-10)


def test_per_layer_weights_by_hand():
    """1e3/N_l² per layer (the authors' original-net preset, pystiche's impl_params=True)."""
    F, A, Fc, Pc = _responses(4)
    by_hand = ((Fc - Pc) ** 2).mean()
    for f, a in zip(F, A):
        m = f.shape[1]
        by_hand += 1e3 / f.shape[0] ** 2 * ((f @ f.T / m - a / m) ** 2).mean()
    c = _shrunk(BY_NAME["pystiche_papers, impl_params=True"])
    c = dataclasses.replace(c, style_weights=tuple(1e3 / n**2 for n in c.style_filters))
    assert _as_eq7_value(c, F, A, Fc, Pc) == pytest.approx(float(by_hand), rel=1e-10)


def test_what_the_released_code_means_in_mean_units():
    """The authors' normalised-net preset, printed as α/β = 1e-3, is 2.5e-4 in mean units (K = 1/4), at any size."""
    c = BY_NAME["NeuralImageSynthesis, normalised net"]
    for m in (64, 256, 1024):
        assert mean_units_ratio(c, m, [16 * m, 4 * m, m, m // 4, m // 16]) == pytest.approx(2.5e-4)
    # the paper's own sum, read in mean units, grows with the content layer's N_l·M_l
    paper = BY_NAME["the paper (eqs. 1–7)"]
    assert mean_units_ratio(paper, 256, [1] * 5) == pytest.approx(4 * mean_units_ratio(paper, 64, [1] * 5))


def test_the_tables_have_a_row_with_a_source_for_each():
    table = conventions.conventions_table(1024, [16384, 4096, 1024, 256, 64]).splitlines()[2:]
    sources = conventions.sources_table().splitlines()[2:]
    assert len(table) == len(sources) == len(IMPLEMENTATIONS) >= 10
    for c, row, source in zip(IMPLEMENTATIONS, table, sources):
        assert row.startswith(f"| {c.name} |") and source.startswith(f"| {c.name} |")
        assert c.source in source and (":" in c.source or "arXiv" in c.source)
    assert "| 0.00025 |" in table[1]  # the released code's 1e-3 in mean units
