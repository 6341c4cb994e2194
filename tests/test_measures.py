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
