"""Notebook 08 (#44): the one-page loop's switch to torchvision's weights feeds the network as nst-edu's
torchvision network is fed, so the page is right on a machine with internet too (here: a fake hub cache)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torchvision

from nst_edu import vgg

PAGE = Path(__file__).resolve().parents[1] / "notebooks" / "08_the_method_in_one_page.ipynb"


def _network_cell() -> str:
    cells = json.loads(PAGE.read_text(encoding="utf-8"))["cells"]
    (source,) = ["".join(c["source"]) for c in cells if c["cell_type"] == "code" and "USE_TORCHVISION = False" in
                 "".join(c["source"])]
    return source


@pytest.mark.slow
@pytest.mark.parametrize("use_torchvision", [False, True])
def test_the_pages_responses_are_nst_edus_for_either_network(tmp_path, monkeypatch, use_torchvision):
    import nst_edu

    # torchvision's checkpoint, faked with random weights in its layout (features.<index>.weight)
    fake = torchvision.models.vgg19(weights=None)
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save({k: v for k, v in fake.state_dict().items() if k.startswith("features.")},
               tmp_path / "hub" / "checkpoints" / vgg.TORCHVISION_FILE)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torchvision.models, "vgg19", lambda weights=None: fake)  # what the download would give
    vgg.conv_weights.cache_clear()
    try:
        x = torch.rand(1, 3, 40, 56, generator=torch.Generator().manual_seed(0))
        page = {"content_image": x, "style_image": x.flip(3), "vgg": nst_edu.caffe_vgg19(normalized=True)}
        exec(_network_cell().replace("USE_TORCHVISION = False", f"USE_TORCHVISION = {use_torchvision}"), page)
        ours = (vgg.vgg19(weights="torchvision", normalize=False) if use_torchvision else vgg.vgg19(normalize=True))
        layers = list(page["INDEX"])
        expected = ours(x, layers)
        got = page["responses"](x)
        for name in layers:
            scale = float(expected[name].abs().max())
            assert torch.allclose(got[name], expected[name], rtol=1e-4, atol=1e-4 * scale), name
        assert tuple(page["P"].shape) == tuple(expected["conv4_2"].shape)
    finally:
        vgg.conv_weights.cache_clear()
