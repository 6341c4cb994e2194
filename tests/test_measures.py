"""The stored ratio-balance measurements and their plot (nst_edu.teaching.measures)."""
from __future__ import annotations

import math

from nst_edu.teaching import measures


def test_the_store_has_the_size_series_and_each_record_is_complete() -> None:
    runs = measures.balance_measurements(steps=300, init="noise", noise=0.1, stats="committed", pooling="avg",
                                         units="mean", content_layer="conv4_2", series=None)
    assert sorted(r["size"] for r in runs) == [128, 256, 512]
    for r in measures.balance_measurements():
        assert len(r["ratios"]) == len(r["gains"]) == len(r["keeps"]) >= 2
        assert all(math.isfinite(g) and g > 0 for g in r["gains"] + r["keeps"])
        assert r["balance"] is None or min(r["ratios"]) <= r["balance"] <= max(r["ratios"])
    assert measures.balance_measurements(size=-1) == []


def test_draw_balance_shows_three_readings_and_the_papers_ratio() -> None:
    balance = {128: 0.27, 256: 0.27, 512: 0.33}
    entries = {128: 512 * 16 * 12, 256: 512 * 32 * 24, 512: 512 * 64 * 48}
    fig = measures.draw_balance(balance, entries, calibration=100)
    ax = fig.axes[0]
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.lines}
    exact = lines["eq. (1) as printed (a sum)"]
    assert exact == [2 * balance[s] / entries[s] for s in sorted(balance)] and exact[0] > 8 * exact[-1]
    assert lines["mean units (content averaged)"] == [0.27, 0.27, 0.33]
    assert lines["nst_edu's units (mean / 100)"] == [0.0027, 0.0027, 0.0033]
    assert lines["the paper's α/β = 1e-3"] == [1e-3, 1e-3]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"


def test_objective_terms_are_eq7s_terms_in_the_units_synthesize_minimises() -> None:
    """Assignment 5 prints them: α·Σ c_l L_content,l with c_l = 2K/(N_l M_l) (nst-edu's units), β·L_style (eq. 5,
    w_l = 1/5), the extra term, and their sum; recomputed here from the paper's losses."""
    import torch

    from nst_edu import losses
    from nst_edu.ratio import PAPER_RATIO_CALIBRATION as K
    from nst_edu.vgg import STYLE_LAYERS, vgg19

    g = torch.Generator().manual_seed(0)
    image, photo, painting = (torch.rand(1, 3, 24, 32, generator=g) for _ in range(3))
    extra = lambda x: 1e-3 * x.sum()  # noqa: E731
    got = measures.objective_terms(image, photo, painting, alpha=1e-3, beta=2.0, extra_loss=extra)
    net = vgg19(layers=["conv4_2", *STYLE_LAYERS])
    with torch.no_grad():
        F = net(image, ["conv4_2", *STYLE_LAYERS])
        P, A = net(photo, ["conv4_2"]), net(painting, list(STYLE_LAYERS))
    N, M = F["conv4_2"].shape[1], F["conv4_2"].shape[2] * F["conv4_2"].shape[3]
    content = 1e-3 * 2 * K / (N * M) * float(losses.content_loss(F["conv4_2"], P["conv4_2"]))
    style = 2.0 * sum(float(losses.style_layer_loss(F[n], losses.gram_matrix(A[n]))) for n in STYLE_LAYERS) / 5
    assert math.isclose(got["content"], content, rel_tol=1e-4) and math.isclose(got["style"], style, rel_tol=1e-4)
    assert math.isclose(got["extra"], float(extra(image)), rel_tol=1e-6)
    assert math.isclose(got["total"], content + style + got["extra"], rel_tol=1e-4)
    printed = measures.objective_terms(image, photo, painting, alpha=1e-3, beta=2.0, convention="printed")
    assert math.isclose(printed["content"], content * N * M / (2 * K), rel_tol=1e-4)  # eq. (7) as printed: c_l = 1
