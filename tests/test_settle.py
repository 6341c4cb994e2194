"""`settle=`: a run ends when its picture stops changing (not the paper's: it fixes no number of steps)."""
import math
import warnings

import pytest
import torch
from tiny_images import run

from nst_edu.beyond.multiscale import multiscale_synthesize
from nst_edu.errors import NstEduError
from nst_edu.minimize import settled

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation


def test_settled_compares_the_shown_pixels_in_grey_levels():
    a = torch.full((1, 3, 4, 4), 0.5)
    assert not settled([], a, 1.0)  # nothing to compare with yet
    assert settled([a.clone()], a, 1e-9) and not settled([a.clone()], a, 0.0)  # "less than": strictly
    assert settled([a.clone()], a + 0.9 / 255, 1.0) and not settled([a.clone()], a + 1.1 / 255, 1.0)
    # Root mean square: one pixel of 16 changed by 4 levels is 1 level.
    b = a.clone()
    b[0, :, 0, 0] += 4 / 255
    assert not settled([a], b, 1.0 - 1e-6) and settled([a], b, 1.0 + 1e-6)
    # Pixels beyond [0, 1] are shown clamped: moving them further changes nothing one can see.
    assert settled([torch.ones(1, 3, 2, 2)], torch.full((1, 3, 2, 2), 3.0), 0.1)
    assert settled([torch.full((1, 3, 2, 2), 2.0)], torch.full((1, 3, 2, 2), 3.0), 0.1)
    assert settled([torch.full((1, 3, 2, 2), -2.0)], torch.full((1, 3, 2, 2), -0.5), 0.1)


def test_a_run_ends_when_its_picture_stops_changing(model, photo_and_painting):
    pictures = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # settling is a normal end, not a warning
        r = run(model, *photo_and_painting, steps=400, settle=2.0, settle_window=10, callback_every=10,
                callback=lambda info: pictures.append(info.image))
    assert r.stop_reason == "settled" and not r.interrupted
    assert r.steps < 400 and r.steps % 10 == 0 and len(r.history) == r.steps
    # The last window moved less than 2 levels, the one before it did not.
    rms = [255 * (b - a).pow(2).mean().sqrt().item() for a, b in zip(pictures, pictures[1:])]
    assert rms[-1] < 2.0 and rms[-2] >= 2.0, rms  # exact: the rule that ended the run, not a measured claim
    # L-BFGS returns the best image, as for every other ending.
    assert torch.equal(r.image, r.best_image) and r.best_loss == min(r.history.total)


def test_without_settle_every_step_is_done(model, photo_and_painting):
    r = run(model, *photo_and_painting, steps=60, settle_window=10)
    assert r.stop_reason == "finished" and r.steps == 60


def test_a_settled_coarse_scale_goes_on_to_the_next(model, photo_and_painting):
    r = multiscale_synthesize(*photo_and_painting, model=model, content_layers=["conv2_1"], style_layers=["conv1_1"],
                              scales=(0.5, 1.0), steps_per_scale=(400, 20), settle=50.0, settle_window=5,
                              progress=False)
    assert tuple(r.image.shape[-2:]) == (24, 32)
    assert r.steps < 420 and r.history.step[-1] == 10  # the coarse scale settled at once (a coarse threshold)


@pytest.mark.parametrize("kw, message", [
    (dict(settle=0.0), "settle must be a positive number of grey levels (e.g. 0.5) or None, got 0.0"),
    (dict(settle=-1), "settle must be a positive number of grey levels (e.g. 0.5) or None, got -1"),
    (dict(settle=math.nan), "settle must be a positive number of grey levels (e.g. 0.5) or None, got nan"),
    (dict(settle=math.inf), "settle must be a positive number of grey levels (e.g. 0.5) or None, got inf"),
    (dict(settle=1.0, settle_window=0), "settle_window must be at least 1 step, got 0"),
])
def test_bad_settle_values_are_refused_before_any_work(model, photo_and_painting, kw, message):
    with pytest.raises(NstEduError) as err:
        run(model, *photo_and_painting, steps=5, **kw)
    assert str(err.value) == message


def test_adam_settled_returns_its_last_step_as_image(model, photo_and_painting):
    """As after "finished": Adam's ``image`` is where it stopped, the best image beside it (L-BFGS returns
    the best, since its run ends inside a line search). From step 30 on, the loss carries a constant without
    gradient (the path is unchanged), so the last step is not the best one."""
    calls, pictures = [], []

    def after_30(x):
        calls.append(1)
        return (x * 0).sum() + (1e6 if len(calls) > 30 else 0.0)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = run(model, *photo_and_painting, steps=600, optimizer="adam", settle=4.0, settle_window=10,
                divergence_factor=1e12, extra_loss=after_30, callback_every=10,
                callback=lambda info: pictures.append(info.image))
    assert r.stop_reason == "settled" and 30 < r.steps < 600 and r.best_step <= 30
    assert torch.equal(r.image, pictures[-1]) and not torch.equal(r.image, r.best_image)
