"""Tests of nst_edu.widgets, driven from code (no browser), on tiny synthetic images and random weights."""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import zlib
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
def _no_thread_tracebacks(monkeypatch):
    """An exception leaving the worker thread would be printed as a traceback in the notebook: fail instead."""
    escaped: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: escaped.append(args.exc_value))
    yield
    assert not escaped, f"exceptions escaped a thread: {escaped}"


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
    # The paper's 1e-3 (Fig. 2), read in nst-edu's units like every ratio (nst_edu.ratio).
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
    assert e.message.startswith("Done") and "(network in float32)" in e.message  # the tests' precision
    assert torch.equal(e.image, r.image)
    assert not e.run_button.disabled and e.stop_button.disabled


def test_the_explorer_runs_the_network_in_the_precision_it_is_given(explorer, monkeypatch) -> None:
    from nst_edu.widgets import explorer as module
    asked = []
    real = module.synthesize
    monkeypatch.setattr(module, "synthesize", lambda *a, **k: asked.append(k["precision"]) or real(*a, **k))
    e = explorer(steps=2, precision="bfloat16")
    assert e.run() and e.wait(60)
    assert asked == ["bfloat16"] and "(network in bfloat16)" in e.message
    with pytest.raises(NstEduError, match="unknown precision 'half'"):
        W.StyleTransferExplorer(_image(1), _image(2), weights=None, size=16, steps=2, precision="half")


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


def _workers() -> int:
    return sum(t.name == "nst-explorer" for t in threading.enumerate())


def test_second_run_is_refused_not_queued(explorer) -> None:
    e = explorer(steps=1000)
    assert e.run()
    first = e._thread
    assert not e.run()
    assert e.notice == "Already running: press Stop first, or wait for the run to finish."
    e.run_button.click()  # the button's handler goes the same way
    e.run_button.click()
    assert _workers() == 1 and e._thread is first
    _wait_for(lambda: e.preview_count >= 2)  # the first run goes on, undisturbed
    assert e.notice.startswith("Already running") and e.status.value.startswith("step ")
    e.stop()
    assert e.wait(60)
    assert e.result.interrupted and e.result.steps >= 2 and "Stopped" in e.message
    e.steps_slider.value = 4
    assert e.run() and e.wait(60)  # Run works again, and clears the old notice
    assert e.result.stop_reason == "finished" and e.result.steps == 4 and e.message.startswith("Done")
    assert e.notice == "" and _workers() == 0


def test_a_refused_press_leaves_the_run_to_finish_undisturbed(explorer, monkeypatch) -> None:
    """Run, Run again while it works (refused), wait: the first run finishes all its steps, its live history
    and progress not reset by the refused press, its previews shown, and nothing queued behind it."""
    gate = threading.Event()
    real = W.explorer.synthesize

    def held_at_step_4(*args, **kwargs):  # the run waits at step 4 until the refused presses are made
        forward = kwargs["callback"]

        def callback(info):
            forward(info)
            if info.step == 4:
                gate.wait(30)

        return real(*args, **dict(kwargs, callback=callback))

    monkeypatch.setattr(W.explorer, "synthesize", held_at_step_4)
    e = explorer(steps=12)
    before = e.preview.value
    assert e.run()
    _wait_for(lambda: e.preview_count >= 2)
    assert e.history.step == [2, 4] and e.progress.value == 4
    assert not e.run()
    e.run_button.click()
    assert e.notice == "Already running: press Stop first, or wait for the run to finish."
    assert e.history.step == [2, 4] and (e.progress.value, e.progress.max) == (4, 12)  # nothing reset
    assert e.running and _workers() == 1
    gate.set()
    assert e.wait(60)
    r = e.result
    assert r.stop_reason == "finished" and r.steps == 12 and len(e.history) == 12, e.message
    assert e.preview.value != before and e.preview_count >= 6 and e.message.startswith("Done")
    time.sleep(0.2)
    assert _workers() == 0 and not e.running and e.result is r  # refused, not queued


def test_stop_when_idle_says_so(explorer) -> None:
    e = explorer()
    assert not e.stop()
    assert "Nothing to stop" in e.message


def test_error_in_the_thread_becomes_a_message(explorer, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("boom\n  with a second line")

    monkeypatch.setattr(W.explorer, "synthesize", boom)
    e = explorer()
    assert e.run()
    assert e.wait(60)
    assert e.message == e.status.value == "Error: RuntimeError: boom with a second line"
    assert not e.running and not e.run_button.disabled and e.stop_button.disabled
    monkeypatch.undo()
    assert e.run() and e.wait(60)  # the widget still works
    assert e.message.startswith("Done") and e.result.steps == 12


def test_stop_while_loading_ends_cleanly_and_run_works_again(explorer, monkeypatch) -> None:
    """Stop before the first step (here: while the images load): nothing changes, Run works again."""
    e = explorer(steps=4)
    assert e.run() and e.wait(60)
    shown, result = e.image, e.result
    gate = threading.Event()
    real = W.explorer.load_image

    def slow_load(*args, **kwargs):
        assert gate.wait(30)
        return real(*args, **kwargs)

    called = []
    monkeypatch.setattr(W.explorer, "load_image", slow_load)
    monkeypatch.setattr(W.explorer, "synthesize", lambda *a, **k: called.append(1))
    e.steps_slider.value = 1000
    assert e.run()
    assert e.stop() and e.status.value.startswith("Stopping")
    gate.set()
    assert e.wait(60)
    assert not called  # the network is not even built
    assert e.message == "Stopped before the first step; the image on show is unchanged. Press Run to start again."
    assert e.image is shown and e.result is result and not e.run_button.disabled and e.stop_button.disabled
    monkeypatch.undo()
    e.steps_slider.value = 4
    assert e.run() and e.wait(60) and e.message.startswith("Done") and e.result is not result


def test_stop_at_the_first_evaluation_keeps_the_image_on_show(explorer, monkeypatch) -> None:
    """Stop as the optimisation starts (before any loss evaluation, so before any preview)."""
    real = W.explorer.synthesize
    e = explorer(steps=1000)

    def stopped_at_start(*args, **kwargs):
        e.stop()  # from the worker: the stop event is set as synthesize starts
        return real(*args, **kwargs)

    monkeypatch.setattr(W.explorer, "synthesize", stopped_at_start)
    before = e.preview.value
    assert e.run() and e.wait(60)
    assert e.message.startswith("Stopped before the first step") and e.preview_count == 0
    assert e.preview.value == before and e.image is None and e.result is None and len(e.history) == 0
    assert not e.running and not e.run_button.disabled
    monkeypatch.undo()
    e.steps_slider.value = 4
    assert e.run() and e.wait(60) and e.message.startswith("Done") and e.image is not None


def test_stop_inside_the_first_step_shows_that_step(explorer, monkeypatch) -> None:
    real = W.explorer.synthesize
    e = explorer(steps=1000)

    def stop_in_step_one(*args, **kwargs):
        forward = kwargs["callback"]
        kwargs.update(callback_every=1, callback=lambda info: e.stop() if info.step == 1 else forward(info))
        return real(*args, **kwargs)

    monkeypatch.setattr(W.explorer, "synthesize", stop_in_step_one)
    assert e.run() and e.wait(60)
    r = e.result
    assert r.interrupted and r.best_step == 1 and r.steps < 5, r.steps
    assert e.message.startswith(f"Stopped after {r.steps} step") and torch.equal(e.image, r.best_image)
    monkeypatch.undo()
    e.steps_slider.value = 4
    assert e.run() and e.wait(60) and e.message.startswith("Done")


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


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims width×height RGB pixels and holds none: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(
        b"IEND", b"")


def _jpeg(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height), 90).save(buf, format="JPEG", quality=50)  # grey: a third of RGB's memory
    return buf.getvalue()


NOT_IMAGES = {
    "random.png": (bytes(torch.randint(0, 256, (4000,), generator=torch.Generator().manual_seed(0)).tolist()),
                   "it is not an image (4000 bytes that no image format recognises); upload a PNG or JPEG image."),
    "notes.png": (b"Shopping list\n- eggs\n- flour\n",
                  "it is not an image (29 bytes that no image format recognises); upload a PNG or JPEG image."),
    "empty.jpg": (b"", "the file is empty (0 bytes); upload a PNG or JPEG image."),
    "half.png": (_png(120, 160)[:200], "it is truncated or corrupt (Pillow: "),
}


@pytest.mark.parametrize("name", NOT_IMAGES)
def test_an_upload_that_is_not_an_image_keeps_the_previous_image(explorer, name: str) -> None:
    data, said = NOT_IMAGES[name]
    e = explorer(steps=4)
    assert e.upload("content", _png(), "ok.png")
    kept = e._uploads["content"]
    e.content_upload.value = ({"name": name, "type": "image/png", "size": len(data), "content": memoryview(data),
                               "last_modified": NOW},)  # as the browser sends it
    assert e.notice.startswith(f"Cannot read the uploaded file {name!r}: {said}"), e.notice
    assert "\n" not in e.notice and "Traceback" not in e.notice and len(e.notice) < 300
    assert e._uploads["content"] is kept and e.content_picker.value == W.UPLOADED
    assert e.content_upload.value == ()  # emptied, so the same file can be chosen again
    assert e.run() and e.wait(60)
    assert e.message.startswith("Done") and e.result.image.shape == (1, 3, 10, 16)  # the previous upload


def test_a_huge_photo_is_decoded_shrunk(explorer) -> None:
    """A 108-megapixel phone photo (more than Pillow's 89-megapixel bomb limit) just works: JPEG decodes
    it at 1/8 of its size, and what is kept is at most 1024 px on the long side."""
    e = explorer(steps=4)
    assert e.upload("style", _jpeg(12000, 9000), "phone.jpg")
    assert e.notice == "Uploaded 'phone.jpg' (12000×9000, shrunk to 1024×768) as the artwork."
    assert e._uploads["style"].shape == (1, 3, 768, 1024) and e.style_picker.value == W.UPLOADED
    assert e.run() and e.wait(60) and e.message.startswith("Done")


def test_a_jpeg_is_decoded_at_a_reduced_scale(explorer, monkeypatch) -> None:
    """The pixel limit applies to what is decoded: a JPEG over it still loads (decoded at 1/2 scale), a PNG
    of the same size, which would be decoded whole, is refused. (Pillow's limit lowered: small files.)"""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 7_000_000)
    e = explorer(steps=4)
    assert e.upload("content", _jpeg(4000, 3000), "big.jpg")
    assert e.notice == "Uploaded 'big.jpg' (4000×3000, shrunk to 1024×768) as the photograph."
    assert not e.upload("content", _png_header(4000, 3000), "big.png")
    assert e.notice == (
        "Cannot read the uploaded file 'big.png': it is 4000×3000 = 12 megapixels, more than the 7 megapixels an "
        "upload may decode to (decompression-bomb guard); shrink it to at most 3055 px on the long side, or save it "
        "as JPEG, and upload it again.")
    assert e._uploads["content"].shape == (1, 3, 768, 1024)  # the JPEG stays chosen


@pytest.mark.parametrize(("width", "height", "said"), [
    (12000, 9000, "it is 12000×9000 = 108 megapixels"),  # over Pillow's limit: refused by ours, before decoding
    (30000, 30000, "it is the size in its header = 900 megapixels"),  # over twice it: refused by Pillow's open
])
def test_a_decompression_bomb_is_refused_before_decoding(explorer, recwarn, width, height, said) -> None:
    e = explorer(steps=4)
    before = e._uploads["content"]
    assert not e.upload("content", _png_header(width, height), "bomb.png")
    assert e.notice.startswith(f"Cannot read the uploaded file 'bomb.png': {said}, more than the 89 megapixels")
    assert e.notice.endswith("shrink it to at most 10922 px on the long side, or save it as JPEG, and upload it again.")
    assert e._uploads["content"] is before
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]  # nothing printed


def test_controls_moved_during_a_run_wait_for_the_next_run(explorer, monkeypatch) -> None:
    seen: list[dict] = []
    real = W.explorer.synthesize

    def spy(content, style, **kwargs):
        seen.append(dict(kwargs, size=tuple(content.shape[-2:])))
        return real(content, style, **kwargs)

    monkeypatch.setattr(W.explorer, "synthesize", spy)
    e = explorer(steps=1000)
    assert e.run()
    _wait_for(lambda: e.preview_count >= 1)
    e.ratio_slider.value = 1e-1
    assert e.notice == ("α/β set to 0.1: it applies at the next Run (this run keeps its settings; press Stop, then "
                        "Run, to use it now).")
    e.size_slider.value = 32
    assert e.notice.startswith("size set to 32: it applies at the next Run")
    e.steps_slider.value = 3
    e.init_buttons.value = "content"
    assert e.notice.startswith("init set to content: it applies")
    e.style_boxes["conv1_1"].value = False
    assert e.notice.startswith("style layer conv1_1 set to unticked: it applies at the next Run")
    assert e.upload("style", _png(), "new.png")
    assert e.notice == "Uploaded 'new.png' (20×12) as the artwork: it applies at the next Run."
    preview_count = e.preview_count
    _wait_for(lambda: e.preview_count >= preview_count + 2)  # the run goes on
    assert e.running and e.progress.max == 1000
    e.stop()
    assert e.wait(60)
    assert e.result.steps > 3 and e.result.image.shape == (1, 3, 16, 16)  # the old steps and size
    assert len(seen) == 1 and seen[0]["beta"] == pytest.approx(1e3) and seen[0]["init"] == "noise"
    assert e.run() and e.wait(60)  # the next Run takes every change
    assert e.message.startswith("Done") and e.result.steps == 3 and e.result.image.shape == (1, 3, 32, 32)
    assert seen[1]["beta"] == pytest.approx(10) and seen[1]["init"] == "content"
    assert seen[1]["style_layers"] == ["conv2_1"] and seen[1]["size"] == (32, 32)
    e.size_slider.value = 16  # when idle, nothing to say
    assert e.message.startswith("Done")


def test_an_exception_in_a_handler_becomes_a_notice(explorer, monkeypatch) -> None:
    e = explorer(steps=1000)
    monkeypatch.setattr(W.explorer, "change_notice", lambda *a: 1 / 0)
    assert e.run()
    e.size_slider.value = 48  # the observer raises: no exception reaches the caller
    assert e.notice == "size failed: ZeroDivisionError: division by zero"
    e.save = lambda path=None: {}["no such key"]  # a button whose handler raises
    e.save_button.click()
    assert e.notice == "Save failed: KeyError: 'no such key'"
    e.stop()
    assert e.wait(60) and "Stopped" in e.message


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


def test_a_refused_run_changes_nothing_and_one_group_of_layers_is_enough(explorer) -> None:
    """With no layer ticked Run is refused before any thread starts and the last run stays on show; ticking
    the style layers alone, or the content layers alone, is enough to run again."""
    e = explorer(steps=4)
    assert e.run() and e.wait(60)
    shown, result, preview, thread = e.image, e.result, e.preview.value, e._thread
    assert e.select_layers([], [])
    assert not e.run()
    assert e.notice.startswith("Cannot run: no layer ticked") and e._thread is thread and not e.running
    assert e.image is shown and e.result is result and e.preview.value == preview
    assert not e.run_button.disabled and e.stop_button.disabled
    assert e.select_layers(style=SMALL_STYLE)  # style alone: the content term is empty
    assert e.run() and e.wait(60) and e.message.startswith("Done"), e.message
    assert e.select_layers(content=SMALL_CONTENT, style=[])  # content alone
    assert e.run() and e.wait(60) and e.message.startswith("Done"), e.message
    assert e.result is not result


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
    mirror = Path(os.environ.get("NST_EDU_MIRROR", "")).expanduser()
    if not os.environ.get("NST_EDU_MIRROR") or not (mirror / "the_scream.jpg").exists():
        pytest.skip("needs the image mirror for the catalogue artwork: set NST_EDU_MIRROR (e.g. ../shared/images)")
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
    assert e.run() and e.wait(120)
    assert isinstance(seen["style"], list) and len(seen["style"]) == 2
    assert seen["blend"] == pytest.approx([0.7, 0.3]) and e.result is not None, e.message
    e.second_style_picker.value = W.explorer.NO_SECOND
    assert e.blend_slider.disabled
    seen.clear()
    assert e.run() and e.wait(120)
    assert not isinstance(seen["style"], list) and seen["blend"] is None
