"""The synthesis result cache: off by default, keyed by everything that shapes a result."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nst_edu import synthesis, vgg
from nst_edu.machinery import cache

pytestmark = pytest.mark.slow  # the real (Caffe) weights: a random network is never cached


@pytest.fixture(scope="module")
def model():
    return vgg.vgg19(layers=["conv1_1"])


@pytest.fixture
def content_image():
    return torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(3))


def run(model, content_image, **kw):
    kw.setdefault("steps", 4)
    return synthesis.synthesize(content_image, None, content_layers=["conv1_1"], model=model, progress=False,
                               device="cpu", warn_slow=False, **kw)


def stored(tmp_path):
    return sorted((tmp_path / "synthesis").glob("*.pt"))


def test_off_without_the_environment_variable(monkeypatch, tmp_path, model, content_image) -> None:
    monkeypatch.delenv(cache.ENV, raising=False)
    run(model, content_image)
    assert cache.cache_dir() is None and not list(tmp_path.iterdir())


def test_a_second_identical_run_is_read_back(monkeypatch, tmp_path, model, content_image) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    first = run(model, content_image)
    assert len(stored(tmp_path)) == 1
    second = run(model, content_image)
    assert second.wall_time == first.wall_time  # not run again: the stored result itself
    assert torch.equal(second.image, first.image) and torch.equal(second.best_image, first.best_image)
    assert second.history == first.history and second.steps == first.steps == 4


@pytest.mark.parametrize("change", [
    {"steps": 5}, {"seed": 1}, {"alpha": 2.0}, {"init": "content"}, {"history_size": 5}, {"lr": 0.5},
])
def test_each_input_is_part_of_the_key(monkeypatch, tmp_path, model, content_image, change) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    run(model, content_image)
    run(model, content_image, **change)
    assert len(stored(tmp_path)) == 2


def test_the_precision_it_ran_in_is_part_of_the_key(monkeypatch, tmp_path, model, content_image) -> None:
    """ "auto" is keyed as it resolved: a machine with bfloat16 and one without never share a result, and an
    explicit precision equal to what "auto" chose reuses it."""
    from nst_edu.machinery import precision

    monkeypatch.setenv(cache.ENV, str(tmp_path))
    monkeypatch.delenv(precision.ENV, raising=False)
    monkeypatch.setenv("NST_EDU_QUICK", "0")
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: False)
    run(model, content_image)  # auto: float32 here
    run(model, content_image, precision="float32")
    assert len(stored(tmp_path)) == 1
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: True)
    run(model, content_image)  # auto: bfloat16 on "a machine with it"
    assert len(stored(tmp_path)) == 2
    run(model, content_image, precision="bfloat16")
    assert len(stored(tmp_path)) == 2


def test_the_pixels_and_the_network_are_part_of_the_key(monkeypatch, tmp_path, model, content_image) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    run(model, content_image)
    other = content_image.clone()
    other[0, 0, 0, 0] += 0.01
    run(model, other)
    run(vgg.vgg19(layers=["conv1_1"], pooling="max"), content_image)
    assert len(stored(tmp_path)) == 3


def test_runs_that_cannot_be_replayed_are_not_stored(monkeypatch, tmp_path, model, content_image) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    run(model, content_image, callback=lambda info: None)      # live previews
    run(model, content_image, seed=None)                        # a random start
    run(model, content_image, extra_loss=lambda x: x.sum() * 0)  # an arbitrary function
    torch.manual_seed(0)
    run(vgg.vgg19(weights=None, layers=["conv1_1"]), content_image)  # random weights
    assert stored(tmp_path) == []


def test_the_code_version_covers_the_code_a_synthesis_reaches() -> None:
    package = Path(cache.__file__).resolve().parents[1]
    files = {p.resolve().relative_to(package).as_posix() for p in cache.synthesis_files()}
    for reached in ("losses.py", "ratio.py", "objective.py", "beyond/guidance.py", "minimize.py", "synthesis.py",
                    "machinery/lbfgs.py", "vgg.py", "layers.py", "machinery/devices.py", "machinery/vgg_weights.py",
                    "machinery/results.py", "machinery/cache.py"):
        assert reached in files
    # not on the path: no effect on results
    assert not {"teaching/catalog.py", "widgets/explorer.py", "grading/core.py"} & files
    assert len(cache.code_version()) == 16


#: What a synthesis runs, by its home after #42: each must be in the key's code version, or an edit to it would
#: hand out a stale picture (a module that moved and was missed by the import walk would, silently).
SYNTHESIS_MODULES = ["nst_edu.layers", "nst_edu.vgg", "nst_edu.losses", "nst_edu.objective", "nst_edu.minimize",
                     "nst_edu.synthesis", "nst_edu.ratio", "nst_edu.errors", "nst_edu.beyond.guidance",
                     *(f"nst_edu.machinery.{m}" for m in ("settings", "results", "checks", "estimate", "cache",
                                                          "allocator", "devices", "lbfgs", "files", "paths",
                                                          "vgg_weights", "precision", "modes"))]


@pytest.mark.parametrize("module", SYNTHESIS_MODULES)
def test_the_code_version_changes_when_a_module_a_synthesis_runs_changes(monkeypatch, module) -> None:
    import importlib.util

    path = Path(importlib.util.find_spec(module).origin)
    assert path in cache.synthesis_files(), f"{module} is not in the cache key's code version"
    cache.code_version.cache_clear()
    before = cache.code_version()
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: real(self) + (b"# edited" if self == path else b""))
    cache.code_version.cache_clear()
    try:
        assert cache.code_version() != before
    finally:
        monkeypatch.undo()
        cache.code_version.cache_clear()


def test_the_device_is_part_of_the_key(monkeypatch, tmp_path) -> None:
    """A result made on a GPU is not handed to a CPU run (their float arithmetic differs): the device is in the key."""
    from nst_edu.machinery.settings import Optimization, Runtime, Watch

    monkeypatch.setenv(cache.ENV, str(tmp_path))
    what = {"content_image": torch.zeros(1, 3, 4, 4), "alpha": 1.0}
    keys = {cache.synthesis_key(what, Optimization(seed=0), Runtime(), Watch(), torch.device(name))
            for name in ("cpu", "meta")}
    assert None not in keys and len(keys) == 2


@pytest.mark.parametrize("change", ["painting", "beta", "content_layers", "style_layers", "style_weights",
                                    "style_blend", "convention"])
def test_a_transfer_is_keyed_by_its_paintings_weights_and_layers(monkeypatch, tmp_path, content_image, change) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    model = vgg.vgg19(layers=["conv1_1", "conv2_1"])
    g = torch.Generator().manual_seed(4)
    paintings = [torch.rand(1, 3, 16, 16, generator=g) for _ in range(2)]
    given = dict(content_layers=["conv1_1"], style_layers=["conv1_1"], beta=1.0)

    def transfer(paintings, **kw):
        synthesis.synthesize(content_image, paintings, model=model, steps=3, progress=False, device="cpu",
                             warn_slow=False, **{**given, **kw})

    other = [p.clone() for p in paintings]
    other[1][0, 0, 0, 0] += 0.01
    changed = {"painting": dict(paintings=other), "beta": dict(beta=2.0),
               "content_layers": dict(content_layers=["conv2_1"]),
               "style_layers": dict(style_layers=["conv1_1", "conv2_1"]), "style_weights": dict(style_weights=[2.0]),
               "style_blend": dict(style_blend=[0.9, 0.1]), "convention": dict(convention="printed")}[change]
    transfer(paintings)
    transfer(**{"paintings": paintings, **changed})
    assert len(stored(tmp_path)) == 2


def test_a_style_reconstruction_is_keyed_by_its_size(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    model = vgg.vgg19(layers=["conv1_1"])
    painting = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(5))
    for size in ((16, 16), (12, 20)):
        r = synthesis.synthesize(None, painting, style_layers=["conv1_1"], size=size, model=model, steps=3,
                                 progress=False, device="cpu", warn_slow=False)
        assert r.image.shape[-2:] == size
    assert len(stored(tmp_path)) == 2
