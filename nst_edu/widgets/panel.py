"""The explorer's panel: its widgets built and arranged, its two lines of text, and what the user chose.

:class:`ExplorerPanel` lays out the controls of eq. (7) (photograph and artwork pickers with their upload
buttons, a second artwork and its blend, α/β, size, steps, init, pooling, the layer ticks, Run/Stop/Save),
the preview, loss plot and progress bar, the run's status line and the notice line. It also answers
what the user chose: the images (:meth:`~ExplorerPanel.set_image`, :meth:`~ExplorerPanel.upload`) and
the layers (:meth:`~ExplorerPanel.select_layers`). Running is the part of ``explorer.py``, whose
:class:`~nst_edu.widgets.explorer.StyleTransferExplorer` builds on this panel.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets
import torch
from torch import Tensor

from nst_edu.errors import NstEduError
from nst_edu.teaching import catalog
from nst_edu.teaching.images import load_image
from nst_edu.vgg import CONTENT_LAYERS, CONV_LAYERS, STYLE_LAYERS, paper_name
from nst_edu.widgets.inputs import decode_upload, guarded, one_line
from nst_edu.widgets.pictures import png_bytes
from nst_edu.widgets.viewers import Displayable

UPLOADED = "(uploaded)"
NO_SECOND = "(none)"


class ExplorerPanel(Displayable):
    """The explorer's widgets, laid out in ``.widget``, and the choices the user makes with them.

    Args:
        size, steps, ratio: the initial image size (long side), loss evaluations and α/β on the sliders.
        output: the initial path in the "save to" box.

    The pickers start at the paper's photograph and artwork; the layer ticks at the paper's layers.
    """

    #: True while a run works (set by the explorer's run control): an upload then waits for the next Run.
    _running: bool = False

    def __init__(self, *, size: int, steps: int, ratio: float, output: str | Path) -> None:
        self._uploads: dict[str, Tensor] = {}
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

    # ------------------------------------------------------------------ the two lines
    @property
    def message(self) -> str:
        """The latest line the widget said: the run's status or a notice, whichever came last."""
        return self._last

    @property
    def notice(self) -> str:
        """The notice line: what became of the user's last action (a refused Run, a bad upload, a control
        moved during a run); it stays until the next Run starts, while :attr:`status` follows the run."""
        return self.notice_line.value

    def _say(self, text: str) -> None:
        """Set the run's status line (progress, then how the run ended)."""
        self.status.value = self._last = text

    def _notice(self, text: str) -> None:
        """Set the notice line (what became of the user's last action)."""
        self.notice_line.value = self._last = text

    def _guarded(self, what: str, handler: Any) -> Any:
        """``handler`` with its exceptions said in the notice line (:func:`~nst_edu.widgets.inputs.guarded`)."""
        return guarded(what, handler, self._notice)

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
