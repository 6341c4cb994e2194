"""End to end: the notebooks in a real JupyterLab, in headless Chromium, driven by Playwright.

It checks what the unit tests cannot: what a student sees after Run All Cells. For the walkthrough
(notebooks 01 and 03): every figure arrives as a rendered picture, the LaTeX is typeset and no
output area shows an error. For the explorer (notebook 06): the widgets render (the JupyterLab
widget manager is installed and matches ipywidgets), pressing Run in the page reaches the kernel,
and updates made by the background thread come back to the page. Screenshots go to build/. Run it
with ``make test-browser``; it is skipped, with the reason, when /usr/bin/chromium, Playwright or
the image mirror is missing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "06_interactive_explorer.ipynb"
WALKTHROUGH = ("01_content_reconstruction.ipynb", "03_style_transfer_ratio.ipynb")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOT = REPO / "build" / "explorer.png"

pytestmark = pytest.mark.browser


def _mirror() -> str | None:
    configured = os.environ.get("NST_EDU_MIRROR")
    if configured:
        return configured
    beside = REPO.parent / "shared" / "images"
    return str(beside) if beside.is_dir() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(folder: Path) -> None:
    """JupyterLab user settings for a quiet, deterministic page: every cell attached to the DOM
    (no virtual scrolling hiding the widgets), no news or update toasts."""
    for plugin, settings in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings), encoding="utf-8")


def _wait_for_server(proc: subprocess.Popen, url: str, log: Path, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (it and the kernels it started), then SIGKILL if needed."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers of our own group only
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory):
    """A JupyterLab server on a free port with a random token, serving copies of the notebooks."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -e '.[browser]'")
    mirror = _mirror()
    if mirror is None:
        pytest.skip("no image mirror: set NST_EDU_MIRROR to the folder of catalogue images (../shared/images)")
    tmp_path = tmp_path_factory.mktemp("jupyterlab")
    root = tmp_path / "root"
    root.mkdir()
    for name in (NOTEBOOK, *WALKTHROUGH):
        shutil.copy(REPO / "notebooks" / name, root / name)
    _write_settings(tmp_path / "lab-settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        NST_EDU_QUICK="1",
        NST_EDU_MIRROR=mirror,
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    log = tmp_path / "jupyterlab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
            + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # CI containers run as root
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_server(proc, f"{base}/api/status?token={token}", log)
        yield base, token, log
    finally:
        _stop_server(proc)


def _open_and_run_all(page, base: str, token: str, notebook: str) -> None:
    """Open a notebook, accept the kernel, then Menu Run → Run All Cells, as a student would."""
    # ?reset: a fresh workspace, so the notebooks of earlier tests are not reopened beside this one.
    page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}", timeout=120_000)
    page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
    # JupyterLab 4.6 asks which kernel to start: accept the notebook's own (Python 3).
    select = page.locator(".jp-Dialog").get_by_role("button", name="Select")
    try:
        select.wait_for(timeout=30_000)
        select.click()
    except Exception:
        pass  # no dialog: the kernel started by itself
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=120_000)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()


def _all_cells_ran(panel) -> bool:
    """Every code cell's prompt shows an execution count ([3]:), none is queued or running ([*]:)."""
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    return bool(prompts) and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts)


@pytest.mark.parametrize("notebook", WALKTHROUGH)
def test_walkthrough_shows_its_figures_and_equations(jupyterlab, notebook: str) -> None:
    from playwright.sync_api import sync_playwright

    from nst_edu.teaching.display import declared_figures

    base, token, _ = jupyterlab
    declared = declared_figures(json.loads((REPO / "notebooks" / notebook).read_text(encoding="utf-8"))["metadata"])
    shot = REPO / "build" / f"lab_{notebook.replace('.ipynb', '.png')}"
    shot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            _open_and_run_all(page, base, token, notebook)
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
            end = time.monotonic() + 480
            while not _all_cells_ran(panel):
                if time.monotonic() > end:
                    page.screenshot(path=str(shot.with_name(shot.stem + "_failure.png")), full_page=True)
                    pytest.fail(f"{notebook}: not every cell ran within 480 s")
                page.wait_for_timeout(500)
            page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=60_000)

            # Figures arrived as pictures, decoded, with a real size on the page.
            pictures = panel.locator(".jp-OutputArea-output img")
            assert pictures.count() == declared, (
                f"{notebook}: {pictures.count()} pictures on the page, declared {declared}"
            )
            for k in range(pictures.count()):
                img = pictures.nth(k)
                img.scroll_into_view_if_needed()
                natural = img.evaluate("e => [e.complete, e.naturalWidth, e.naturalHeight]")
                box = img.bounding_box()
                assert natural[0] and natural[1] > 100 and natural[2] > 50, (notebook, k, natural)
                assert box and box["width"] > 100 and box["height"] > 50, (notebook, k, box)
            outputs = "\n".join(panel.locator(".jp-OutputArea-output").all_inner_texts())
            assert "<Figure size" not in outputs

            # No output area shows an error.
            assert panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count() == 0
            assert "Traceback" not in outputs and "Error" not in outputs, outputs[-2000:]

            # The LaTeX was typeset by JupyterLab's MathJax: no raw source left in the rendered markdown.
            assert panel.locator(".jp-MarkdownOutput mjx-container").count() > 0
            markdown = "\n".join(panel.locator(".jp-MarkdownOutput").all_inner_texts())
            for raw in ("$$", "\\tag", "\\mathcal", "\\frac"):
                assert raw not in markdown, f"{notebook}: raw LaTeX {raw!r} is visible"

            # What the student sees: the first figure, and the last one (Fig. 3 in notebook 03).
            pictures.first.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
            pictures.last.scroll_into_view_if_needed()
            page.screenshot(path=str(shot.with_name(shot.stem + "_last.png")))
        finally:
            browser.close()


def test_explorer_renders_and_runs_in_jupyterlab(jupyterlab) -> None:
    from playwright.sync_api import sync_playwright

    base, token, log = jupyterlab
    console_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            _open_and_run_all(page, base, token, NOTEBOOK)
            done = page.locator(".jp-OutputArea-output", has_text="All explorer checks passed.")
            try:
                done.wait_for(timeout=480_000)
            except Exception:
                page.screenshot(path=str(SCREENSHOT.with_name("explorer_failure.png")), full_page=True)
                raise

            # The widgets rendered as widgets, not as their text fallback.
            explorer = page.locator(".nst-explorer")
            explorer.wait_for(timeout=60_000)
            assert page.locator(".jupyter-widgets").count() > 10
            assert page.locator(".widget-button").count() >= 3
            assert page.locator("img.nst-ratio-image").count() == 1
            body = page.locator("body").inner_text()
            assert "Loading widget" not in body and "Error displaying widget" not in body
            assert "Error:" not in page.locator(".nst-status").inner_text()

            # Press Run in the page: the background thread's previews reach the browser.
            preview = page.locator("img.nst-preview")
            before = preview.get_attribute("src")
            page.locator("button.nst-run").click()
            page.locator(".nst-status", has_text="Done").wait_for(timeout=240_000)
            after = preview.get_attribute("src")
            assert after and after != before
            assert page.locator("button.nst-run").is_enabled()
            assert page.locator("button.nst-stop").is_disabled()

            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            explorer.scroll_into_view_if_needed()
            explorer.screenshot(path=str(SCREENSHOT))
            page.screenshot(path=str(SCREENSHOT.with_name("explorer_page.png")))
        finally:
            browser.close()
    widget_errors = [e for e in console_errors if "widget" in e.lower()]
    assert not widget_errors, widget_errors


def _type_into_readout(slider, value: str) -> None:
    """Set a slider as a user can, by typing into its number (the readout) and pressing Enter."""
    readout = slider.locator(".widget-readout")
    readout.click()
    readout.press("ControlOrMeta+A")
    readout.press_sequentially(value)
    readout.press("Enter")


def _upload(page, button, name: str, data: bytes) -> None:
    """Choose a file with an upload button. Its <input type=file> is never attached to the page (ipywidgets
    8 clicks it from the button), so it is reached through the file chooser the click opens."""
    with page.expect_file_chooser(timeout=30_000) as chooser:
        button.click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])


def test_explorer_survives_what_a_user_does(jupyterlab) -> None:
    """Issue #20: a file that is no image, Run pressed twice, a slider moved during a run, Stop right
    after Run; each gives one line in the widget, no traceback anywhere, and a last Run still works."""
    from playwright.sync_api import expect, sync_playwright

    base, token, log = jupyterlab
    log_start = log.stat().st_size
    shot = REPO / "build" / "explorer_robustness.png"
    # Every message the kernel sends, kept when it carries a traceback: one raised in a widget handler is
    # sent but JupyterLab shows it in no output area (only in its log console), so the page alone would
    # not tell; the messages do.
    tracebacks: list[str] = []

    def keep_tracebacks(payload: str | bytes) -> None:
        text = payload if isinstance(payload, str) else payload.decode("utf-8", errors="replace")
        if "Traceback" in text or '"ename"' in text:  # a traceback printed, or an error message
            tracebacks.append(text[-1500:])

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.on("websocket", lambda ws: ws.on("framereceived", keep_tracebacks))
            _open_and_run_all(page, base, token, NOTEBOOK)
            try:
                page.locator(".jp-OutputArea-output", has_text="All explorer checks passed.").wait_for(timeout=480_000)
            except Exception:
                page.screenshot(path=str(shot.with_name("explorer_robustness_failure.png")), full_page=True)
                raise
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
            explorer = panel.locator(".nst-explorer").first
            notice, status = explorer.locator(".nst-notice"), explorer.locator(".nst-status")
            run, stop = explorer.locator("button.nst-run"), explorer.locator("button.nst-stop")
            preview = explorer.locator("img.nst-preview")
            explorer.scroll_into_view_if_needed()
            try:
                # A text file named .png, through the upload button's own file input.
                _upload(page, explorer.locator("button.nst-content-upload"), "notes.png", b"Shopping list\n- eggs\n")
                expect(notice).to_have_text(
                    "Cannot read the uploaded file 'notes.png': it is not an image (21 bytes that no image format "
                    "recognises); upload a PNG or JPEG image.", timeout=30_000)
                assert explorer.locator("select").first.input_value() == "tubingen"  # the photograph kept

                # Run pressed twice: both clicks leave the page before it hears that the first was taken.
                _type_into_readout(explorer.locator(".nst-steps"), "1000")
                run.evaluate("button => { button.click(); button.click(); }")
                expect(notice).to_have_text("Already running: press Stop first, or wait for the run to finish.",
                                            timeout=30_000)
                expect(status).to_contain_text("step ", timeout=120_000)

                # A slider moved during the run: said to wait for the next Run; the run goes on.
                explorer.locator(".nst-size .noUi-handle").focus()
                page.keyboard.press("ArrowRight")
                expect(notice).to_contain_text("size set to 64: it applies at the next Run", timeout=30_000)
                shown = status.inner_text()
                expect(status).not_to_have_text(shown, timeout=60_000)  # still stepping
                page.screenshot(path=str(shot.with_name("explorer_robustness_running.png")))
                stop.click()
                expect(status).to_contain_text("Stopped", timeout=60_000)
                expect(run).to_be_enabled(timeout=30_000)

                # Stop right after Run (as soon as the page enables it): a clean stop, Run works again.
                run.click()
                stop.click()
                expect(status).to_contain_text("Stopped", timeout=60_000)
                expect(run).to_be_enabled(timeout=30_000)
                expect(stop).to_be_disabled(timeout=30_000)

                # A last, normal Run finishes and shows a new image.
                _type_into_readout(explorer.locator(".nst-steps"), "8")
                before = preview.get_attribute("src")
                run.click()
                expect(status).to_contain_text("Done", timeout=240_000)
                assert preview.get_attribute("src") != before
                expect(notice).to_have_text("")  # the Run cleared the notices about its settings

                # An empty file now: the message, beside the image just made (which stays).
                _upload(page, explorer.locator("button.nst-style-upload"), "empty.jpg", b"")
                expect(notice).to_have_text(
                    "Cannot read the uploaded file 'empty.jpg': the file is empty (0 bytes); upload a PNG or JPEG "
                    "image.", timeout=30_000)
            except Exception:
                page.screenshot(path=str(shot.with_name("explorer_robustness_failure.png")), full_page=True)
                raise
            shot.parent.mkdir(parents=True, exist_ok=True)
            explorer.screenshot(path=str(shot))

            # No traceback or error in any output area, nor in the kernel's log (where a handler's would go).
            stderr = panel.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
            assert not [t for t in stderr.all_inner_texts() if "Traceback" in t or "Error" in t]
            assert panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count() == 0
            assert "Traceback" not in "\n".join(panel.locator(".jp-OutputArea-output").all_inner_texts())
            with log.open("rb") as f:
                f.seek(log_start)
                server_log = f.read().decode(errors="replace")
            assert "Traceback" not in server_log and "Exception in" not in server_log, server_log[-3000:]
            assert not tracebacks, tracebacks[0]
        finally:
            browser.close()
