"""The real Caffe VGG-19 on a small real pair from the catalogue (the mirror in CI)."""
import pytest

from nst_edu import catalog
from nst_edu.errors import CatalogError
from nst_edu.images import load_image, match_size
from nst_edu.optimize import synthesize


@pytest.fixture(scope="module")
def pair():
    try:
        content = load_image("tubingen", size=64)
        style = match_size(load_image("starry_night", size=64), content)
    except CatalogError as exc:
        pytest.skip(f"catalogue images unavailable ({exc}); set NST_EDU_MIRROR=../shared/images")
    return content, style


@pytest.mark.slow
def test_style_transfer_lowers_content_and_style_losses(pair):
    r = synthesize(*pair, alpha=1.0, beta=1e4, steps=60, progress=False, device="cpu")
    h = r.history
    assert h.content[-1] < h.content[0] / 10
    assert h.style[-1] < h.style[0] / 5
    assert r.best_loss < h.total[0] / 10


def test_catalogue_names_used_here_exist():
    assert {"tubingen", "starry_night"} <= set(catalog.names())
