"""#44: the departures of notebook 09 change what they say they change, and only that; the edge measure."""
from __future__ import annotations

import pytest
import torch

from nst_edu.beyond import departures
from nst_edu.errors import NstEduError
from nst_edu.teaching.measures import edge_agreement
from nst_edu.vgg import vgg19


def _image(seed: int, size: tuple[int, int] = (48, 64)) -> torch.Tensor:
    return torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(seed))


def test_every_departure_names_what_it_changes_and_the_source_it_answers():
    assert len(departures.DEPARTURES) == 10
    for name, d in departures.DEPARTURES.items():
        assert d.name == name and len(d.what) > 20 and ("/" in d.answers or "CVPR" in d.answers), name
    assert set(departures.NETWORK_DEPARTURES) <= set(departures.DEPARTURES)


def test_an_unknown_departure_is_refused_naming_the_known_ones():
    with pytest.raises(NstEduError, match="max pooling"):
        departures.departure("maxpool", _image(0), _image(1), steps=1)


def test_the_network_departures_change_the_scale_of_the_responses_as_notebook_09_says():
    model = vgg19(layers=["conv5_1"])
    photo = _image(0, (64, 96))
    rms = {}
    with torch.no_grad():
        for name in (None, *departures.NETWORK_DEPARTURES):
            F = departures.departure_network(name, model)(photo, ["conv1_1", "conv5_1"])
            rms[name] = {n: float(v.pow(2).mean().sqrt()) for n, v in F.items()}
    assert departures.departure_network(None, model) is model  # the paper's network is the one given
    assert rms["max pooling"]["conv1_1"] == pytest.approx(rms[None]["conv1_1"])  # before the first pooling: equal
    assert rms["max pooling"]["conv5_1"] > 2 * rms[None]["conv5_1"]
    assert rms["before the ReLU"]["conv5_1"] > 2 * rms[None]["conv5_1"]
    assert rms["torchvision input"]["conv1_1"] < rms[None]["conv1_1"] / 10
    assert rms["original network"]["conv1_1"] > 10 * rms[None]["conv1_1"]


def test_responses_before_the_relu_are_the_convolutions_own():
    model = vgg19(layers=["conv2_1"])
    before = departures.departure_network("before the ReLU", model)
    x = _image(2)
    with torch.no_grad():
        pre, post = before(x, ["conv2_1"])["conv2_1"], model(x, ["conv2_1"])["conv2_1"]
    assert float(pre.min()) < 0 <= float(post.min())
    assert torch.allclose(pre.clamp_min(0), post, atol=1e-4 * float(post.max()))


def test_draw_departures_puts_each_picture_beside_the_papers_with_its_measures():
    pictures = {"the paper": _image(0), "Adam": _image(1)}
    fig = departures.draw_departures(pictures, {"the paper": (5.43, 2.51), "Adam": (5.05, 2.44, 0.014)})
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["the paper\nstyle gain 5.4, content keep 2.5",
                      "Adam\nstyle gain 5.0, content keep 2.4\nthe photo's edges 0.01"]
    assert "d2l" in fig.axes[1].get_xlabel() and fig.axes[0].get_xlabel() == ""


def test_edge_agreement_is_one_for_the_photo_and_near_zero_for_noise():
    photo = torch.nn.functional.avg_pool2d(_image(3, (96, 128)), 4)  # smooth, with edges of its own
    photo = torch.nn.functional.interpolate(photo, scale_factor=4, mode="bilinear")
    assert edge_agreement(photo, photo) == pytest.approx(1.0, abs=1e-5)
    assert abs(edge_agreement(_image(4, (96, 128)), photo)) < 0.1
    assert edge_agreement(photo.roll(3, dims=-1), photo) < edge_agreement(photo.roll(1, dims=-1), photo) < 1


def test_a_departure_that_reads_the_network_otherwise_is_not_served_the_papers_cached_picture(tmp_path, monkeypatch):
    """The book caches syntheses (NST_EDU_CACHE_DIR): the network read before the ReLU has the paper's weights,
    pooling and normalisation, so the key must tell the two classes apart or notebook 09 shows the paper twice."""
    monkeypatch.setenv("NST_EDU_CACHE_DIR", str(tmp_path))
    model = vgg19(layers=["conv5_1"])
    photo, painting = _image(0, (32, 48)), _image(1, (32, 48))
    paper = departures.departure(None, photo, painting, steps=3, model=model)
    before = departures.departure("before the ReLU", photo, painting, steps=3, model=model)
    assert any(tmp_path.rglob("*")), "the runs were cached"
    assert not torch.equal(paper.best_image, before.best_image)
