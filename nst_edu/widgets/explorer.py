"""The explorer: eq. (7) as a control panel that runs a synthesis in a background thread.

:class:`StyleTransferExplorer` is the run control on top of the panel (``panel.py``: the widgets built
and arranged, the images and layers chosen): Run, Stop, Save, the worker thread that calls
:func:`~nst_edu.synthesis.synthesize`, its previews, progress and loss plot (``pictures.py`` draws them),
and what a control moved during a run says. ``UPLOADED``, ``NO_SECOND`` and :func:`loss_plot_png` are
importable from here too.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.machinery.devices import default_device
from nst_edu.machinery.modes import quick_mode
from nst_edu.machinery.precision import Precision
from nst_edu.machinery.precision import check as check_precision
from nst_edu.machinery.precision import resolve as resolve_precision
from nst_edu.synthesis import History, StepInfo, SynthesisResult, synthesize
from nst_edu.teaching import config
from nst_edu.teaching.images import load_image, match_pixel_count, save_image
from nst_edu.vgg import Weights
from nst_edu.widgets.inputs import change_notice, one_line
from nst_edu.widgets.panel import NO_SECOND, UPLOADED, ExplorerPanel
from nst_edu.widgets.pictures import loss_plot_png, png_bytes

__all__ = ["StyleTransferExplorer", "loss_plot_png", "UPLOADED", "NO_SECOND"]


class StyleTransferExplorer(ExplorerPanel):
    """A control panel for eq. (7): choose images and settings, press Run, watch, Stop, Save.

    Args:
        content, style: catalogue names (or tensors, paths) preselected in the pickers.
        settings: from :func:`nst_edu.teaching.config.setup`; gives the default size, steps, seed, device.
        size, steps, ratio: initial image size (long side), loss evaluations and α/β.
        weights: the network's weights (``None``: random, for fast tests).
        precision: the network's number format (:mod:`nst_edu.machinery.precision`; "auto": bfloat16 where the
            processor computes it natively); the Done line says which ran.
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
        precision: Precision = "auto",
        callback_every: int | None = None,
        output: str | Path = "build/explorer_result.png",
    ) -> None:
        self.weights, self.callback_every = weights, callback_every
        self.precision = check_precision(precision)
        self.seed = settings.seed if settings else 0
        self.device = settings.device if settings else None
        chosen = (settings.size, settings.steps) if settings else config.choose(quick_mode(), default_device())
        size, steps = size or chosen[0], steps or chosen[1]
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._running = False
        self._result: SynthesisResult | None = None
        self._live = History()
        self._image: Tensor | None = None
        self.preview_count = 0
        super().__init__(size=size, steps=steps, ratio=ratio, output=output)

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
    def image(self) -> Tensor | None:
        """The image on show (the latest preview, then the result kept)."""
        return self._image

    def _changed(self, what: str, value: Any) -> None:
        # A run copies every setting when it starts (run()), so moving a control cannot disturb it.
        if self._running:
            self._notice(change_notice(what, value))

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
        TIFF by the extension (:func:`nst_edu.teaching.images.save_image`)."""
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
            precision=self.precision,
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
            network = resolve_precision(self.precision, self.device or default_device(), quick_mode())
            return (f"Done: {result.steps} steps in {result.wall_time:.1f} s (network in {network}), final loss "
                    f"{result.history.total[-1]:.3g}.")
        why = "Stopped" if result.interrupted else f"Ended early ({result.stop_reason})"
        return (f"{why} after {result.steps} step{'' if result.steps == 1 else 's'}; showing the best image "
                f"(step {result.best_step}, loss {result.best_loss:.3g}).")
