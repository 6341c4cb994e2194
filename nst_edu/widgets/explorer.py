"""The explorer: eq. (7) as a control panel that runs a synthesis in a background thread."""
from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch import Tensor

from nst_edu import catalog, config
from nst_edu.errors import NstEduError
from nst_edu.images import load_image, match_pixel_count, save_image
from nst_edu.synthesis import History, StepInfo, SynthesisResult, synthesize
from nst_edu.vgg import CONTENT_LAYERS, CONV_LAYERS, STYLE_LAYERS, Weights, paper_name
from nst_edu.widgets.inputs import change_notice, decode_upload, guarded, one_line
from nst_edu.widgets.viewers import Displayable, png_bytes

UPLOADED = "(uploaded)"
NO_SECOND = "(none)"


def loss_plot_png(history: History, width: float = 4.0, height: float = 2.6) -> bytes:
    """L_content and L_style against the step, log scale, as a small PNG (no pyplot, thread-safe)."""
    fig = Figure(figsize=(width, height), dpi=72, layout="constrained")
    ax = fig.add_subplot()
    for values, label in ((history.content, "L_content"), (history.style, "L_style")):
        points = [(s, v) for s, v in zip(history.step, values) if v > 0]
        if points:
            ax.plot(*zip(*points), marker=".", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step (loss evaluations)")
    if ax.lines:
        ax.legend(loc="upper right")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class StyleTransferExplorer(Displayable):
    """A control panel for eq. (7): choose images and settings, press Run, watch, Stop, Save.

    Args:
        content, style: catalogue names (or tensors, paths) preselected in the pickers.
        settings: from :func:`nst_edu.config.setup`; gives the default size, steps, seed, device.
        size, steps, ratio: initial image size (long side), loss evaluations and α/β.
        weights: the network's weights (``None``: random, for fast tests).
        callback_every: preview every this many steps (default: every tenth of the run, at most 10).
        output: default path of the Save button.

    Programmatic hooks (what the buttons do): :meth:`run`, :meth:`stop`, :meth:`wait`, :meth:`save`,
    :meth:`set_image`, :meth:`upload`, :meth:`select_layers`; state: :attr:`running`,
    :attr:`result`, :attr:`history`, :attr:`preview_count`, :attr:`message`, :attr:`notice`.

    Nothing a user does with it raises: a bad upload, Run while running, Stop at any moment, a control
    moved during a run, an exception in the worker thread or in a handler, each becomes one line in the
    widget (the run's :attr:`status` line, or the :attr:`notice` line for what the user just did), and
    the next Run works.
    """

    def __init__(
        self,
        content: Any = "tubingen",
        style: Any = "starry_night",
        *,
        settings: config.Settings | None = None,
        size: int | None = None,
        steps: int | None = None,
        ratio: float = 1e-3,
        weights: Weights = "caffe",
        callback_every: int | None = None,
        output: str | Path = "build/explorer_result.png",
    ) -> None:
        quick = config.quick_mode()
        self.weights, self.callback_every = weights, callback_every
        self.seed = settings.seed if settings else 0
        self.device = settings.device if settings else None
        size = size or (settings.size if settings else (48 if quick else 256))
        steps = steps or (settings.steps if settings else (8 if quick else 300))
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._running = False
        self._result: SynthesisResult | None = None
        self._live = History()
        self._image: Tensor | None = None
        self._uploads: dict[str, Tensor] = {}
        self.preview_count = 0

        options = catalog.names() + [UPLOADED]
        self.content_picker = widgets.Dropdown(options=options, value="tubingen", description="photograph")
        self.style_picker = widgets.Dropdown(options=options, value="starry_night", description="artwork")
        self.content_upload = widgets.FileUpload(accept="image/*", multiple=False, description="upload photo")
        self.style_upload = widgets.FileUpload(accept="image/*", multiple=False, description="upload artwork")
        # Several styles (Gatys et al. 2017): the two artworks' Gram matrices mixed per layer.
        self.second_style_picker = widgets.Dropdown(options=[NO_SECOND] + catalog.names(), value=NO_SECOND,
                                                    description="2nd artwork")
        self.blend_slider = widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="blend",
                                                readout_format=".2f", disabled=True,
                                                tooltip="weight of the 2nd artwork (0: only the first)")
        self.second_style_picker.observe(self._guarded("2nd artwork", lambda change: setattr(
            self.blend_slider, "disabled", change["new"] == NO_SECOND)), "value")
        self.ratio_slider = widgets.FloatLogSlider(value=ratio, base=10, min=-6, max=0, step=0.5,
                                                   description="α/β", readout_format=".0e")
        self.content_boxes = {
            n: widgets.Checkbox(n in CONTENT_LAYERS, description=n, indent=False) for n in CONV_LAYERS
        }
        self.style_boxes = {n: widgets.Checkbox(n in STYLE_LAYERS, description=n, indent=False) for n in CONV_LAYERS}
        self.size_slider = widgets.IntSlider(size, min=16, max=512, step=16, description="size")
        self.steps_slider = widgets.IntSlider(steps, min=1, max=1000, description="steps")
        self.init_buttons = widgets.ToggleButtons(options=["noise", "content"], value="noise", description="init")
        self.pooling_buttons = widgets.ToggleButtons(options=["avg", "max"], value="avg", description="pooling")
        self.run_button = widgets.Button(description="Run", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.save_button = widgets.Button(description="Save PNG", icon="save")
        self.save_path = widgets.Text(str(output), description="save to")
        self.preview = widgets.Image(value=png_bytes(torch.full((1, 3, 8, 8), 0.5), 8), format="png", width=256)
        self.loss_plot = widgets.Image(format="png", width=288)
        self.progress = widgets.IntProgress(0, min=0, max=steps, description="progress")
        self.status = widgets.Label("Choose images and settings, then press Run.")
        self._last = self.status.value
        # Two lines, because a run rewrites its status every few steps: a refusal or a warning about what
        # the user just did (a bad upload, Run while running) would be gone before it could be read.
        self.notice_line = widgets.Label("", style={"text_color": "#b45309"})
        for w, cls in ((self.run_button, "nst-run"), (self.stop_button, "nst-stop"), (self.preview, "nst-preview"),
                       (self.status, "nst-status"), (self.save_button, "nst-save"), (self.notice_line, "nst-notice"),
                       (self.content_upload, "nst-content-upload"), (self.style_upload, "nst-style-upload"),
                       (self.size_slider, "nst-size"), (self.steps_slider, "nst-steps"),
                       (self.ratio_slider, "nst-ratio")):
            w.add_class(cls)

        for role, up in (("content", self.content_upload), ("style", self.style_upload)):
            up.observe(self._guarded("Upload", lambda change, role=role: self._on_upload(role, change["new"])),
                       "value")
        self.run_button.on_click(self._guarded("Run", lambda _: self.run()))
        self.stop_button.on_click(self._guarded("Stop", lambda _: self.stop()))
        self.save_button.on_click(self._guarded("Save", lambda _: self.save()))
        watched = {"α/β": self.ratio_slider, "size": self.size_slider, "steps": self.steps_slider,
                   "init": self.init_buttons, "pooling": self.pooling_buttons, "photograph": self.content_picker,
                   "artwork": self.style_picker, "2nd artwork": self.second_style_picker, "blend": self.blend_slider,
                   **{f"content layer {n}": b for n, b in self.content_boxes.items()},
                   **{f"style layer {n}": b for n, b in self.style_boxes.items()}}
        for what, control in watched.items():
            control.observe(self._guarded(what, lambda change, what=what: self._changed(what, change["new"])),
                            "value")
        for role, value in (("content", content), ("style", style)):
            self.set_image(role, value)

        def grid(boxes: dict[str, widgets.Checkbox], title: str) -> widgets.VBox:
            return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), widgets.GridBox(
                list(boxes.values()), layout=widgets.Layout(grid_template_columns="repeat(4, 90px)"))])

        controls = widgets.VBox(
            [
                widgets.HBox([self.content_picker, self.content_upload]),
                widgets.HBox([self.style_picker, self.style_upload]),
                widgets.HBox([self.second_style_picker, self.blend_slider]),
                self.ratio_slider,
                self.size_slider,
                self.steps_slider,
                self.init_buttons,
                self.pooling_buttons,
                widgets.HBox([grid(self.content_boxes, "content layers"), grid(self.style_boxes, "style layers")]),
                widgets.HBox([self.run_button, self.stop_button, self.save_button, self.save_path]),
            ]
        )
        self.widget = widgets.VBox([controls, self.progress, widgets.HBox([self.preview, self.loss_plot]), self.status,
                                    self.notice_line])
        self.widget.add_class("nst-explorer")

    # ------------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        """True while a synthesis thread is working."""
        return self._running

    @property
    def result(self) -> SynthesisResult | None:
        """The last finished (or stopped) run's result."""
        return self._result

    @property
    def history(self) -> History:
        """Losses so far: every previewed step while running, then every step of the finished run."""
        return self._result.history if self._result is not None and not self._running else self._live

    @property
    def message(self) -> str:
        """The latest line the widget said: the run's status or a notice, whichever came last."""
        return self._last

    @property
    def notice(self) -> str:
        """The notice line: what became of the user's last action (a refused Run, a bad upload, a control
        moved during a run); it stays until the next Run starts, while :attr:`status` follows the run."""
        return self.notice_line.value

    @property
    def image(self) -> Tensor | None:
        """The image on show (the latest preview, then the result kept)."""
        return self._image

    def _say(self, text: str) -> None:
        """Set the run's status line (progress, then how the run ended)."""
        self.status.value = self._last = text

    def _notice(self, text: str) -> None:
        """Set the notice line (what became of the user's last action)."""
        self.notice_line.value = self._last = text

    def _guarded(self, what: str, handler: Any) -> Any:
        """``handler`` with its exceptions said in the notice line (:func:`~nst_edu.widgets.inputs.guarded`)."""
        return guarded(what, handler, self._notice)

    def _changed(self, what: str, value: Any) -> None:
        # A run copies every setting when it starts (run()), so moving a control cannot disturb it.
        if self._running:
            self._notice(change_notice(what, value))

    # ------------------------------------------------------------------ inputs
    def set_image(self, role: str, source: Any) -> bool:
        """Choose the photograph (``role="content"``) or artwork (``"style"``): a catalogue name
        selects it in the picker; a tensor, path, PIL image or PNG/JPEG bytes becomes the upload."""
        picker = self.content_picker if role == "content" else self.style_picker
        if isinstance(source, str) and source in picker.options:
            picker.value = source
            return True
        if isinstance(source, (bytes, bytearray, memoryview)):
            return self.upload(role, bytes(source))
        try:
            self._uploads[role] = load_image(source)
        except Exception as exc:  # shown, not raised: the widget must stay usable
            self._notice(f"Cannot use that {role} image: {one_line(exc)}")
            return False
        picker.value = UPLOADED
        return True

    def upload(self, role: str, data: bytes, name: str = "upload") -> bool:
        """What the FileUpload buttons do: decode the file's bytes (:func:`~nst_edu.widgets.inputs.decode_upload`:
        a huge photo is shrunk, a file that is no image is refused). A refused file leaves the image chosen
        before in place and says why in the notice line; an upload during a run waits for the next Run."""
        try:
            image, (w, h) = decode_upload(bytes(data))
        except Exception as exc:
            why = one_line(exc) if isinstance(exc, NstEduError) else f"{one_line(exc)}; upload a PNG or JPEG image"
            self._notice(f"Cannot read the uploaded file {name!r}: {why}.")
            return False
        self._uploads[role] = image  # a run going on holds its own reference to the image it started with
        (self.content_picker if role == "content" else self.style_picker).value = UPLOADED
        kh, kw = image.shape[-2:]
        shrunk = "" if (kw, kh) == (w, h) else f", shrunk to {kw}×{kh}"
        later = ": it applies at the next Run" if self._running else ""
        self._notice(f"Uploaded {name!r} ({w}×{h}{shrunk}) as the {'photograph' if role == 'content' else 'artwork'}"
                     f"{later}.")
        return True

    def _on_upload(self, role: str, value: Any) -> None:
        files = list(value.values()) if isinstance(value, dict) else list(value or ())
        if files:  # ipywidgets 8: a tuple of dicts with name and content (a memoryview)
            self.upload(role, bytes(files[-1]["content"]), files[-1].get("name", "upload"))
            (self.content_upload if role == "content" else self.style_upload).value = ()  # free it; allow re-upload

    def select_layers(self, content: Any = None, style: Any = None) -> bool:
        """Tick exactly these layers (None leaves a group alone); unknown names give a message."""
        try:
            chosen = [None if names is None else [paper_name(n).replace("relu", "conv") for n in names]
                      for names in (content, style)]
            bad = [n for names in chosen if names for n in names if n not in CONV_LAYERS]
            if bad:
                raise NstEduError(f"only convolutional layers can be ticked, not {bad}: use conv1_1 … conv5_4")
        except Exception as exc:
            self._notice(f"Cannot select layers: {one_line(exc)}")
            return False
        for names, boxes in zip(chosen, (self.content_boxes, self.style_boxes)):
            if names is not None:
                for n, box in boxes.items():
                    box.value = n in names
        return True

    def _source(self, role: str) -> Any:
        value = (self.content_picker if role == "content" else self.style_picker).value
        if value != UPLOADED:
            return value
        if role not in self._uploads:
            raise NstEduError(f"no {role} image was uploaded: use the upload button or pick a catalogue image")
        return self._uploads[role]

    # ------------------------------------------------------------------ actions
    def run(self) -> bool:
        """Start a synthesis in a background thread (the Run button). Returns False when refused."""
        with self._lock:
            if self._running:  # one thread at a time: a second would race the first for the preview
                self._notice("Already running: press Stop first, or wait for the run to finish.")
                return False
            try:
                c_layers = [n for n, b in self.content_boxes.items() if b.value]
                s_layers = [n for n, b in self.style_boxes.items() if b.value]
                if not c_layers and not s_layers:
                    raise NstEduError("no layer ticked: tick at least one content or one style layer (paper: conv4_2)")
                job = dict(
                    content=self._source("content"),
                    style=self._source("style"),
                    c_layers=c_layers,
                    s_layers=s_layers,
                    ratio=float(self.ratio_slider.value),
                    size=int(self.size_slider.value),
                    steps=int(self.steps_slider.value),
                    init=self.init_buttons.value,
                    pooling=self.pooling_buttons.value,
                    blend=float(self.blend_slider.value),
                    second=None if self.second_style_picker.value == NO_SECOND else self.second_style_picker.value,
                )
            except Exception as exc:
                self._notice(f"Cannot run: {one_line(exc)}")
                return False
            self._stop_event = threading.Event()
            self._running = True
            self._live = History()
            self.progress.max, self.progress.value = job["steps"], 0
            self.run_button.disabled, self.stop_button.disabled = True, False
            self.notice_line.value = ""  # notices were about the settings this run now takes
            self._say("Starting: loading the images and the network …")
            self._thread = threading.Thread(target=self._work, args=(job,), name="nst-explorer", daemon=True)
            self._thread.start()
        return True

    def stop(self) -> bool:
        """End the run after the current step, keeping the best image (the Stop button)."""
        with self._lock:  # with the end of _work: a Stop as the run ends cannot leave "Stopping …" on show
            if not self._running:
                self._notice("Nothing to stop: press Run first.")
                return False
            self._stop_event.set()
            self._say("Stopping after the current step …")
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends (at most ``timeout`` seconds); True when nothing is running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self._running

    def save(self, path: str | Path | None = None) -> Path | None:
        """Write the image on show (atomically) to ``path`` or the "save to" box: PNG, JPEG, WebP or
        TIFF by the extension (:func:`nst_edu.images.save_image`)."""
        if self._image is None:
            self._notice("Nothing to save yet: press Run first.")
            return None
        try:
            written = save_image(self._image, path or self.save_path.value)
        except Exception as exc:
            self._notice(f"Cannot save: {one_line(exc)}")
            return None
        self._notice(f"Saved {written}.")
        return written

    # ------------------------------------------------------------------ the worker thread
    def _show(self, image: Tensor) -> None:
        self._image = image
        self.preview.value = png_bytes(image, 128)
        self.preview_count += 1

    def _on_step(self, info: StepInfo) -> None:
        h = self._live
        h.step.append(info.step), h.content.append(info.content), h.style.append(info.style), h.total.append(info.total)
        self.progress.value = info.step
        self._show(info.image)
        self.loss_plot.value = loss_plot_png(h)
        self._say(f"step {info.step}/{info.steps}: L_content {info.content:.3g}, L_style {info.style:.3g}")

    def _work(self, job: dict) -> None:
        """The thread's body. It catches everything: an exception leaving a thread is printed by
        ``threading.excepthook`` as a traceback into whichever cell ran last; here it becomes the status."""
        try:
            ending = self._finish(self._synthesize(job))
        except Exception as exc:
            ending = f"Error: {one_line(exc)}"
        with self._lock:
            try:
                self._say(ending)
            finally:  # whatever happens, the widget can run again
                self._running = False
                self.run_button.disabled, self.stop_button.disabled = False, True

    def _synthesize(self, job: dict) -> SynthesisResult | None:
        """Load the images and run :func:`synthesize`; None when Stop came before it started."""
        content = load_image(job["content"], job["size"])
        style = match_pixel_count(load_image(job["style"]), content)  # equal M_l, eq. (4)
        blend = None
        if job["second"] is not None:  # two artworks: Gram matrices mixed (1 − blend) : blend
            style = [style, match_pixel_count(load_image(job["second"]), content)]
            blend = [1.0 - job["blend"], job["blend"]]
        if self._stop_event.is_set():  # Stop while loading: skip building the network and the targets
            return None
        every = self.callback_every or max(1, min(10, job["steps"] // 10))
        return synthesize(
            content,
            style,
            style_blend=blend,
            content_layers=job["c_layers"],
            style_layers=job["s_layers"],
            alpha=1.0,
            beta=1.0 / job["ratio"],
            init=job["init"],
            steps=job["steps"],
            seed=self.seed,
            weights=self.weights,
            pooling=job["pooling"],
            device=self.device,
            callback=self._on_step,
            callback_every=every,
            stop_event=self._stop_event,
            progress=False,
            warn_slow=False,
        )

    def _finish(self, result: SynthesisResult | None) -> str:
        """Show the run's image and return its last status line. A run stopped before its first step has
        no image worth showing (only its start image): the image, result and history on show stay those
        of the run before."""
        if result is None or result.steps == 0:
            why = "Stopped" if result is None or result.interrupted else f"Ended early ({result.stop_reason})"
            return f"{why} before the first step; the image on show is unchanged. Press Run to start again."
        self._result = result
        finished = result.stop_reason == "finished"
        self._show(result.image if finished else result.best_image)
        self.loss_plot.value = loss_plot_png(result.history)
        if finished:
            return f"Done: {result.steps} steps in {result.wall_time:.1f} s, final loss {result.history.total[-1]:.3g}."
        why = "Stopped" if result.interrupted else f"Ended early ({result.stop_reason})"
        return (f"{why} after {result.steps} step{'' if result.steps == 1 else 's'}; showing the best image "
                f"(step {result.best_step}, loss {result.best_loss:.3g}).")
