"""Fixtures shared by the unit tests."""
import pytest
import torch

from nst_edu import vgg


@pytest.fixture(scope="session")
def model():
    """A VGG-19 with random weights on conv1_1 and conv2_1: fast, and enough to test the loss code.
    (Test files that need other layers or the real weights define their own ``model``.)"""
    torch.manual_seed(0)
    return vgg.vgg19(weights=None, layers=["conv1_1", "conv2_1"])
