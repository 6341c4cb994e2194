"""The fixture of a tiny photo and painting shared by the synthesis tests (random pixels, seed 1)."""
import pytest
import torch


@pytest.fixture(scope="module")
def photo_and_painting():
    """(1, 3, 24, 32) and (1, 3, 20, 20): small enough for a step in milliseconds, large enough for conv2_1."""
    g = torch.Generator().manual_seed(1)
    return torch.rand(1, 3, 24, 32, generator=g), torch.rand(1, 3, 20, 20, generator=g)
