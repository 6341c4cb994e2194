"""Tests of nst_edu.widgets, driven from code (no browser), on tiny synthetic images and random weights."""

from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import torch
from PIL import Image

from nst_edu import widgets as W
from nst_edu.errors import NstEduError
from nst_edu.synthesis import History, synthesize
from nst_edu.vgg import CONV_LAYERS, STYLE_LAYERS, vgg19

SMALL_CONTENT, SMALL_STYLE = ["conv2_1"], ["conv1_1", "conv2_1"]
NOW = datetime.now(timezone.utc)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny convolutions on a shared 2-core machine: one intra-op thread is ~30x faster than two."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _image(seed: int, h: int = 16, w: int = 16) -> torch.Tensor:
    return torch.rand((1, 3, h, w), generator=torch.Generator().manual_seed(seed))


def _png(h: int = 12, w: int = 20) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 40, 90)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def explorer():
    made: list[W.StyleTransferExplorer] = []

    def make(steps: int = 12, **kwargs) -> W.StyleTransferExplorer:
        e = W.StyleTransferExplorer(
            _image(1), _image(2), weights=None, size=16, steps=steps, callback_every=2, **kwargs
        )
        assert e.select_layers(SMALL_CONTENT, SMALL_STYLE)
        made.append(e)
        return e

    yield make
    for e in made:  # never leave a worker thread behind
        e.stop()
        assert e.wait(60)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


# ----------------------------------------------------------------------------- layout and defaults
def test_defaults_follow_the_paper() -> None:
    e = W.StyleTransferExplorer(_image(1), _image(2), weights=None, size=16, steps=3)
    assert [n for n, b in e.content_boxes.items() if b.value] == ["conv4_2"]
    assert [n for n, b in e.style_boxes.items() if b.value] == list(STYLE_LAYERS)
    assert set(e.content_boxes) == set(CONV_LAYERS)
    # The paper's 1e-3 (Fig. 2), read in the paper's units like every ratio (nst_edu.losses).
    assert e.ratio_slider.value == pytest.approx(1e-3)
    assert e.ratio_slider.min == -6 and e.ratio_slider.max == 0 and e.ratio_slider.base == 10
    assert e.init_buttons.value == "noise" and e.pooling_buttons.value == "avg"
    assert e.content_picker.value == W.UPLOADED  # tensors become uploads
    bundle = e._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert not e.running and e.result is None and len(e.history) == 0


def test_catalogue_names_select_the_picker() -> None:
    e = W.StyleTransferExplorer("tubingen", "wave", weights=None)
    assert (e.content_picker.value, e.style_picker.value) == ("tubingen", "wave")
    assert "starry_night" in e.style_picker.options


# ----------------------------------------------------------------------------- run, stop, refuse
def test_run_updates_preview_history_progress_and_plot(explorer) -> None:
    e = explorer(steps=12)
    before = e.preview.value
    assert e.run()
    assert e.wait(60)
    r = e.result
    assert r is not None and r.stop_reason == "finished" and r.steps == 12
    assert e.preview.value != before
    assert e.preview_count >= 6  # every 2 steps, plus the final image
    assert len(e.history) == 12 and e.progress.value == 12 and e.progress.max == 12
    assert bytes(e.loss_plot.value).startswith(b"\x89PNG")
    assert e.message.startswith("Done")
    assert torch.equal(e.image, r.image)
    assert not e.run_button.disabled and e.stop_button.disabled


def test_stop_mid_run_keeps_best_image(explorer) -> None:
    e = explorer(steps=1000)
    assert e.run()
    assert e.running and e.stop_button.disabled is False and e.run_button.disabled
    _wait_for(lambda: e.preview_count >= 2)
    assert len(e.history) >= 2  # the live history grows while running
    e.stop_button.click()
    assert e.wait(60)
    r = e.result
    assert r.interrupted and r.stop_reason == "stopped" and r.steps < 1000
    assert torch.equal(e.image, r.best_image)
    assert "Stopped" in e.message and "best image" in e.message
    assert not e.running and not e.run_button.disabled


def test_second_run_is_refused_not_queued(explorer) -> None:
    e = explorer(steps=1000)
    assert e.run()
    assert not e.run()
    assert "Already running" in e.message
    e.run_button.click()  # the button's handler goes the same way
    assert sum(t.name == "nst-explorer" for t in threading.enumerate()) == 1
    e.stop()
    assert e.wait(60)
    assert e.result.interrupted


def test_stop_when_idle_says_so(explorer) -> None:
    e = explorer()
    assert not e.stop()
    assert "Nothing to stop" in e.message


def test_error_in_the_thread_becomes_a_message(explorer, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(W.explorer, "synthesize", boom)
    e = explorer()
    assert e.run()
    assert e.wait(60)
    assert e.message == "Error: RuntimeError: boom"
    assert not e.running and not e.run_button.disabled and e.stop_button.disabled


# ----------------------------------------------------------------------------- bad input
def test_bad_upload_gives_message_and_widget_stays_alive(explorer) -> None:
    e = explorer(steps=4)
    assert not e.upload("content", b"this is not an image", "notes.png")
    assert "Cannot read the uploaded file 'notes.png'" in e.message
    # The FileUpload widget itself (ipywidgets 8 value format).
    e.style_upload.value = ({"name": "bad.jpg", "type": "image/jpeg", "size": 3, "content": memoryview(b"abc"),
                             "last_modified": NOW},)
    assert "'bad.jpg'" in e.message
    e.content_upload.value = ({"name": "ok.png", "type": "image/png", "size": 1, "content": memoryview(_png()),
                               "last_modified": NOW},)
    assert e.message.startswith("Uploaded 'ok.png' (20×12)")
    assert e.run() and e.wait(60)
    assert e.result.image.shape == (1, 3, 10, 16)  # the upload, resized to the long side 16


def test_unknown_layer_gives_message(explorer) -> None:
    e = explorer()
    assert not e.select_layers(content=["conv9_9"])
    assert "unknown VGG-19 layer 'conv9_9'" in e.message
    assert not e.select_layers(style=["pool2"])
    assert "only convolutional layers" in e.message
    assert [n for n, b in e.content_boxes.items() if b.value] == SMALL_CONTENT  # unchanged
    assert e.select_layers(content=["relu2_1"])  # the ReLU is the same response
    assert e.content_boxes["conv2_1"].value


def test_no_layer_ticked_refuses_to_run(explorer) -> None:
    e = explorer()
    assert e.select_layers([], [])
    assert not e.run()
    assert "no layer ticked" in e.message and not e.running


def test_uploaded_choice_without_upload_refuses(explorer) -> None:
    e = W.StyleTransferExplorer("tubingen", "wave", weights=None)
    e.style_picker.value = W.UPLOADED
    assert not e.run()
    assert "no style image was uploaded" in e.message


def test_set_image_with_bad_source_gives_message() -> None:
    e = W.StyleTransferExplorer(_image(1), _image(2), weights=None)
    assert not e.set_image("style", "/no/such/file.png")
    assert e.message.startswith("Cannot use that style image")


# ----------------------------------------------------------------------------- save
def test_save_writes_a_png(explorer, tmp_path: Path) -> None:
    e = explorer(steps=4)
    assert e.save(tmp_path / "x.png") is None and "Nothing to save" in e.message
    assert e.run() and e.wait(60)
    out = e.save(tmp_path / "sub" / "result.png")
    assert out == tmp_path / "sub" / "result.png" and "Saved" in e.message
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (16, 16)
    assert [p.name for p in out.parent.iterdir()] == ["result.png"]  # atomic: no temp file left
    e.save_path.value = str(tmp_path / "button.png")
    e.save_button.click()
    assert (tmp_path / "button.png").exists()
    assert e.save(tmp_path / "x.bmp") is None and "Cannot save" in e.message and ".bmp" in e.message
    jpeg = e.save(tmp_path / "x.jpg")  # the format follows the extension, as in save_image
    with Image.open(jpeg) as im:
        assert im.format == "JPEG" and im.size == (16, 16)


# ----------------------------------------------------------------------------- ratio explorer
def test_ratio_explorer_switches_between_stored_images() -> None:
    imgs = {1e-4: _image(3), 1e-3: _image(4), 1e-2: _image(5)}
    rx = W.RatioExplorer(imgs)
    assert rx.value == pytest.approx(1e-3)
    assert rx.image.value == W.png_bytes(imgs[1e-3], 256)
    rx.select(1e-2)
    assert rx.value == 1e-2 and rx.image.value == W.png_bytes(imgs[1e-2], 256)
    rx.slider.value = 1e-4
    assert rx.image.value == W.png_bytes(imgs[1e-4], 256)
    rx.select(3e-5)  # nearest on a log scale
    assert rx.value == 1e-4
    assert [label for label, _ in rx.slider.options] == ["1e-04", "1e-03", "1e-02"]
    with pytest.raises(NstEduError):
        W.RatioExplorer({})


def test_ratio_grid_feeds_the_ratio_explorer() -> None:
    model = vgg19(weights=None, layers=SMALL_CONTENT + SMALL_STYLE)
    grid = W.ratio_grid(_image(1), _image(2), (1e-4, 1e-2), steps=8, model=model,
                        content_layers=SMALL_CONTENT, style_layers=SMALL_STYLE)
    assert sorted(grid) == [1e-4, 1e-2]
    assert all(img.shape == (1, 3, 16, 16) for img in grid.values())
    assert not torch.equal(grid[1e-4], grid[1e-2])
    rx = W.RatioExplorer(grid)
    assert rx.ratios == [1e-4, 1e-2]
    with pytest.raises(NstEduError):
        W.ratio_grid(_image(1), _image(2), (0.0,), steps=1, model=model)


def test_ratio_explorer_accepts_synthesis_results() -> None:
    r = synthesize(_image(1), _image(2), steps=2, weights=None, progress=False,
                   content_layers=SMALL_CONTENT, style_layers=SMALL_STYLE)
    assert torch.equal(W.RatioExplorer({1e-3: r}).images[1e-3], r.image)


# ----------------------------------------------------------------------------- viewers
def test_feature_map_browser() -> None:
    fm = W.FeatureMapBrowser(_image(6, 24, 24), size=None, layers=["conv1_1", "conv2_1"], weights=None)
    assert fm.channel.max == 63 and fm.responses("conv1_1").shape == (64, 24, 24)
    first = fm.map_view.value
    fm.channel.value = 5
    assert fm.map_view.value != first and "channel 5 of 64" in fm.info.value
    fm.layer.value = "conv2_1"
    assert fm.channel.max == 127 and "12×12 map" in fm.info.value


def test_gram_viewer() -> None:
    gv = W.GramViewer(_image(7), size=None, layers=["conv1_1", "conv2_1"], weights=None)
    assert gv.gram("conv1_1").shape == (64, 64)
    first = gv.heatmap.value
    gv.layer.value = "conv2_1"
    assert gv.heatmap.value != first and "128×128" in gv.info.value
    gv.scale.value = "linear"
    assert bytes(gv.heatmap.value).startswith(b"\x89PNG")


def test_loss_plot_png_handles_empty_and_zero_losses() -> None:
    assert W.loss_plot_png(History()).startswith(b"\x89PNG")
    h = History(step=[1, 2], content=[0.0, 0.0], style=[2.0, 1.0])
    assert W.loss_plot_png(h).startswith(b"\x89PNG")


def test_a_second_artwork_blends_with_the_slider(explorer, monkeypatch) -> None:
    mirror = Path(__file__).resolve().parents[2] / "shared" / "images"
    if not (mirror / "the_scream.jpg").exists():
        pytest.skip("needs the image mirror for the catalogue artwork")
    seen = {}
    real = W.explorer.synthesize

    def spy(content, style, **kwargs):
        seen.update(style=style, blend=kwargs.get("style_blend"))
        return real(content, style, **kwargs)

    monkeypatch.setattr(W.explorer, "synthesize", spy)
    e = explorer(steps=3)
    assert e.blend_slider.disabled  # nothing to blend with yet
    e.second_style_picker.value = "the_scream"
    assert not e.blend_slider.disabled
    e.blend_slider.value = 0.3
    monkeypatch.setenv("NST_EDU_MIRROR", str(mirror))
    assert e.run() and e.wait(120)
    assert isinstance(seen["style"], list) and len(seen["style"]) == 2
    assert seen["blend"] == pytest.approx([0.7, 0.3]) and e.result is not None, e.message
    e.second_style_picker.value = W.explorer.NO_SECOND
    assert e.blend_slider.disabled
    seen.clear()
    assert e.run() and e.wait(120)
    assert not isinstance(seen["style"], list) and seen["blend"] is None
