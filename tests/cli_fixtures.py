"""Fixtures of the command line's tests (test_cli.py, test_cli_refusals.py): two small image files, a
synthesis that must not start, and one that records what the CLI asks of it."""
import numpy as np
import pytest
from PIL import Image


@pytest.fixture()
def pair(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for name in ("content.png", "style.png"):
        Image.fromarray(rng.integers(0, 255, (20, 28, 3), dtype=np.uint8)).save(tmp_path / name)
        paths.append(str(tmp_path / name))
    return paths


@pytest.fixture()
def no_work(monkeypatch):
    """Fail the test if the CLI loads an image or starts a synthesis: checks come before the work."""
    import nst_edu.synthesis
    import nst_edu.teaching.images

    def started(*args, **kwargs):
        raise AssertionError("the work started before the arguments were checked")

    monkeypatch.setattr(nst_edu.teaching.images, "load_image", started)
    monkeypatch.setattr(nst_edu.synthesis, "synthesize", started)


@pytest.fixture()
def recorded(monkeypatch):
    """The settings the CLI hands to synthesize (which does no work here): a dict of its keyword arguments."""
    import types

    import torch

    import nst_edu.synthesis

    calls = {}

    def fake(content_image, style_image, **kwargs):
        calls.update(kwargs)
        return types.SimpleNamespace(best_image=content_image.clamp(0, 1), interrupted=False, stop_reason="finished",
                                     steps=kwargs["steps"], wall_time=0.0, image=torch.zeros(1))

    monkeypatch.setattr(nst_edu.synthesis, "synthesize", fake)
    return calls
