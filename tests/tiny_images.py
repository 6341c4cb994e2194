"""What the synthesis tests share: a tiny photo and painting (random pixels, seed 1) and ``run``, a short
synthesis of them on conv1_1 and conv2_1 (the random-weight ``model`` of conftest has no deeper layer)."""
import pytest
import torch

from nst_edu import synthesis

LAYERS = ["conv1_1", "conv2_1"]


def run(model, content=None, style=None, **kw):
    kw.setdefault("steps", 15)
    kw.setdefault("progress", False)
    return synthesis.synthesize(content, style, model=model, content_layers=["conv2_1"],
                               style_layers=LAYERS, device="cpu", **kw)



@pytest.fixture(scope="module")
def photo_and_painting():
    """(1, 3, 24, 32) and (1, 3, 20, 20): small enough for a step in milliseconds, large enough for conv2_1."""
    g = torch.Generator().manual_seed(1)
    return torch.rand(1, 3, 24, 32, generator=g), torch.rand(1, 3, 20, 20, generator=g)
