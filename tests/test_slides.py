"""The reading-session deck (``make slides``): what the audience sees, offline, in headless Chromium.

``make test`` builds the deck in quick mode first (``make slides-quick``) and passes its folder in
``NST_EDU_SLIDES``; run alone, this module builds its own copy. The browser tests step through every
slide with the keyboard, every non-file request aborted: figures decoded and inside the slide,
equations typeset, nothing overflowing the 1280×720 box, speaker notes there; the PDF handout has one
page per slide. The last test starts the live slideshow (RISE) in JupyterLab. Screenshots go to
build/slides-screenshots/.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = REPO / "build" / "slides-screenshots"
#: The slides a reader of the screenshots looks at first, by the cell tag that marks them.
NAMED = {"title": "title", "fig1": "fig1", "eq4": "eq4", "fig3": "fig3", "discussion": "discussion"}


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


slides = _load("book_slides", REPO / "book" / "slides.py")
NB = nbformat.read(slides.NOTEBOOK, as_version=4)
DECLARED = slides.declared_slides(NB)


def _mirror() -> str | None:
    configured = os.environ.get("NST_EDU_MIRROR")
    if configured:
        return configured
    beside = REPO.parent / "shared" / "images"
    return str(beside) if beside.is_dir() else None


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("NST_EDU_SLIDES")
    if given:
        path = (REPO / given).resolve()
        assert (path / slides.DECK).exists(), f"NST_EDU_SLIDES={given} has no {slides.DECK}: run make slides-quick"
        return path
    if _mirror() is None:
        pytest.skip("no image mirror: set NST_EDU_MIRROR to the folder of catalogue images (../shared/images)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (the PDF handout is printed by it): apt-get install chromium")
    out = tmp_path_factory.mktemp("slides")
    env = dict(os.environ, NST_EDU_MIRROR=_mirror())
    proc = subprocess.run([sys.executable, str(REPO / "book" / "slides.py"), "--quick", "--out", str(out / "deck"),
                           "--cache", str(out / "cache")], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"reading_session: (executed|reused \(code unchanged\)) in \d+\.\d s", proc.stdout), proc.stdout
    return out / "deck"


# ---------------------------------------------------------------------------------------- the notebook
def test_the_notebook_declares_its_slides_and_each_cells_pictures() -> None:
    from nst_edu.display import cell_draws, declared_figures

    assert DECLARED == slides.count_slides(NB) and 20 <= DECLARED <= 40  # a 45-60 minute session
    per_cell = [c.metadata.get("nst_edu", {}).get("figures", 0) for c in NB.cells if c.cell_type == "code"]
    assert sum(per_cell) == declared_figures(NB.metadata) >= 6  # title, Fig. 1 (3 slides), Fig. 2, Fig. 3
    for cell in NB.cells:
        if cell.cell_type == "code" and cell_draws(cell.source):
            assert cell.metadata.get("nst_edu", {}).get("figures", 0) >= 1, cell.source
            assert cell.metadata["slideshow"]["slide_type"] not in ("skip", "notes"), cell.source
        assert cell.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide", "fragment", "notes",
                                                                         "skip", "-"), cell.source[:60]


def test_the_deck_follows_the_paper() -> None:
    """Title, the idea, Fig. 1 (content, then style), eq. (7) and Figs. 2-3, eqs. (1)-(7) one slide each,
    open questions, what came after, discussion, summary: in this order."""
    headings = [line for c in NB.cells if c.cell_type == "markdown"
                and c.metadata.get("slideshow", {}).get("slide_type") == "slide"
                for line in c.source.splitlines()[:1]]
    wanted = ["# A Neural Algorithm of Artistic Style", "CNN trained on object recognition", "Feature spaces",
              "Fig. 1, bottom", "Style representation", "Fig. 1, top", "Fig. 1: what each layer keeps", "eq. (7)",
              "α/β", "Fig. 2", "Fig. 3", "Live", *[f"eq. ({n})" for n in range(1, 8)], "leaves open", "came after",
              "Discussion", "Summary"]
    at, found = 0, []
    for want in wanted:
        at = next(i for i, h in enumerate(headings) if i >= at and want in h)
        found.append(at)
    assert found == sorted(found), list(zip(wanted, found))
    title = NB.cells[0].source
    assert "Gatys" in title and "Ecker" in title and "Bethge" in title and "2015" in title
    for n in range(1, 8):  # one slide per equation, typeset, with its symbols explained
        slide = next(c.source for c in NB.cells if c.source.startswith(f"## Methods, eq. ({n})"))
        assert slide.count("$$") == 2 and slide.count("\n* ") >= 2, n


def test_the_readme_says_how_many_slides_the_deck_has() -> None:
    said = re.findall(r"reading_session.ipynb` is a slide deck of the paper for a reading group: (\d+) slides",
                      (REPO / "README.md").read_text(encoding="utf-8"))
    assert said and int(said[0]) == slides.count_slides(NB), (said, slides.count_slides(NB))


def test_check_deck_holds_each_cell_to_its_picture_count() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("figures.draw_figure3(fig3)")],
                                  metadata={"nst_edu": {"figures": 1, "slides": 1}})
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", {"image/png": "iVBORw0KGgo="})]
    with pytest.raises(slides.BookError, match="1 pictures shown, 0 declared"):
        slides.check_deck(nb)
    nb.cells[0].metadata["nst_edu"] = {"figures": 1}
    slides.check_deck(nb)
    nb.metadata["nst_edu"]["slides"] = 2
    with pytest.raises(slides.BookError, match="1 slides, 2 declared"):
        slides.check_deck(nb)


# ---------------------------------------------------------------------------------------- the files
def test_the_deck_ships_what_it_loads(deck: Path) -> None:
    page = (deck / slides.DECK).read_text(encoding="utf-8")
    external = re.compile(r'<(?:script|img|link|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)
    assert not external.search(page), external.search(page).group(0)
    for src in re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page):
        assert (deck / src.split("?")[0]).is_file(), f"{src} is not shipped with the deck"
    assert (deck / "_static" / "reveal.js" / "LICENSE").is_file()
    assert "require.js" not in page and "jquery" not in page.lower()
    assert "$$" in page  # the equations are left to MathJax, typeset in the browser


def test_the_handout_has_one_page_per_slide(deck: Path) -> None:
    pdf = deck / slides.HANDOUT
    assert pdf.read_bytes().startswith(b"%PDF")
    assert slides.pdf_pages(pdf) == DECLARED


# ---------------------------------------------------------------------------------------- in Chromium
_SLIDE_STATE = """() => {
  const slide = Reveal.getCurrentSlide();
  const box = document.querySelector('.reveal .slides').getBoundingClientRect();
  const out = [];
  // What takes room on the slide: the cells and their blocks (not MathJax's own struts and spans).
  const blocks = '.jp-Cell, h1, h2, p, li, table, blockquote, pre, img, .MathJax_Display, .nst-widget-note';
  for (const e of slide.querySelectorAll(blocks)) {
    if (e.closest('aside.notes')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < box.left - 2 || r.right > box.right + 2 || r.top < box.top - 2 || r.bottom > box.bottom + 2)
      out.push(`${e.tagName}.${e.className}: ${Math.round(r.left)},${Math.round(r.top)} to `
               + `${Math.round(r.right)},${Math.round(r.bottom)}`
               + ` (box to ${Math.round(box.right)},${Math.round(box.bottom)})`);
  }
  const images = [...slide.querySelectorAll('img')].map(i => {
    const r = i.getBoundingClientRect();
    return [i.complete, i.naturalWidth, Math.round(r.width), Math.round(r.height)];
  });
  const markdown = [...slide.querySelectorAll('.jp-MarkdownOutput')].map(m => m.innerText).join('\\n');
  const tags = [...slide.querySelectorAll('[class*=celltag_]')].flatMap(
    e => [...e.classList].filter(c => c.startsWith('celltag_')).map(c => c.slice(8)));
  return {index: Reveal.getIndices().h, overflow: out.slice(0, 5), images, markdown, tags,
          math: slide.querySelectorAll('.MathJax').length, errors: slide.querySelectorAll('.MathJax_Error').length,
          notes: Reveal.getSlideNotes(slide) || ''};
}"""


def _offline_page(browser, blocked: list[str]):
    page = browser.new_page(viewport={"width": 1280, "height": 720})

    def offline(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    return page


@pytest.mark.browser
def test_stepping_through_the_deck_offline(deck: Path) -> None:
    """Every slide by the keyboard: its figures decoded and inside the slide's box, its equations
    typeset (no raw TeX), nothing overflowing; speaker notes on the slides that need them."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -e '.[browser]'")
    SHOTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []
    seen, with_notes = [], 0
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = _offline_page(browser, blocked)
            page.goto((deck / slides.DECK).as_uri())
            page.wait_for_function("window.Reveal && Reveal.isReady() && window.MathJax && MathJax.Hub"
                                   " && MathJax.Hub.queue.pending === 0", timeout=120_000)
            page.evaluate("document.fonts.ready")
            assert page.evaluate("Reveal.getTotalSlides()") == DECLARED
            assert page.evaluate("Reveal.hasPlugin('notes')"), "no speaker view (the notes plugin did not load)"
            fonts = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
            assert any("STIX" in f for f in fonts), f"MathJax fell back to system fonts {fonts}"
            page.locator(".reveal").focus()
            for k in range(DECLARED):
                if k:
                    page.keyboard.press("Space")  # reveal.js: next slide
                page.wait_for_function(f"Reveal.getIndices().h === {k} && MathJax.Hub.queue.pending === 0")
                state = page.evaluate(_SLIDE_STATE)
                where = f"slide {k + 1} ({state['markdown'][:50]!r})"
                assert not state["overflow"], f"{where} overflows its 1280x720 box: {state['overflow']}"
                for complete, natural, width, height in state["images"]:
                    assert complete and natural > 0 and width > 100 and height > 40, (where, state["images"])
                for raw in ("$$", "\\frac", "\\sum", "\\mathcal", "\\begin"):
                    assert raw not in state["markdown"], f"{where}: raw LaTeX {raw!r} is visible"
                assert state["errors"] == 0 and "Math Processing Error" not in state["markdown"], where
                if "$" in "".join(c.source for c in _slide_cells(k)):
                    assert state["math"] > 0, f"{where}: its formulas were not typeset"
                with_notes += bool(state["notes"].strip())
                seen.append(state)
                page.screenshot(path=str(SHOTS / f"slide-{k + 1:02d}.png"))
                for name, tag in NAMED.items():
                    if tag in state["tags"]:
                        page.screenshot(path=str(SHOTS / f"{name}.png"))
            assert page.evaluate("Reveal.isLastSlide()")
        finally:
            browser.close()
    assert not blocked, f"the deck tried to reach the network: {blocked[:5]}"
    pictures = sum(len(s["images"]) for s in seen)
    assert pictures == nbformat.read(slides.NOTEBOOK, 4).metadata["nst_edu"]["figures"], pictures
    assert seen[0]["notes"] and with_notes >= 15, f"speaker notes on {with_notes} slides"
    for name, tag in NAMED.items():
        assert any(tag in s["tags"] for s in seen), f"no slide tagged {tag}"
        assert (SHOTS / f"{name}.png").exists()


@pytest.mark.browser
def test_the_speaker_view_shows_the_notes_offline(deck: Path) -> None:
    """S opens reveal.js's speaker view (a second window, as on a presenter's laptop) with the slide's notes."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -e '.[browser]'")
    blocked: list[str] = []

    def offline(route) -> None:
        if route.request.url.startswith(("file://", "about:", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.route("**/*", offline)  # the speaker window too
            page = context.new_page()
            page.goto((deck / slides.DECK).as_uri())
            page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=120_000)
            page.locator(".reveal").focus()
            with page.expect_popup() as popup:
                page.keyboard.press("s")
            speaker = popup.value
            speaker.wait_for_function("(document.querySelector('.speaker-controls-notes .value') || {innerText: ''})"
                                      ".innerText.includes('Before the talk')", timeout=60_000)
            assert "Run All Cells" in speaker.locator(".speaker-controls-notes .value").inner_text()
            SHOTS.mkdir(parents=True, exist_ok=True)
            speaker.screenshot(path=str(SHOTS / "speaker-view.png"))
        finally:
            browser.close()
    assert not blocked, f"the speaker view tried to reach the network: {blocked[:5]}"


def _slide_cells(k: int) -> list:
    """The cells shown on top-level slide ``k`` (0-based), without notes and skipped cells."""
    groups: list[list] = []
    for cell in NB.cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in ("skip", "notes"):
            continue
        if kind == "slide" or not groups:
            groups.append([])
        groups[-1].append(cell)
    return groups[k]


# ---------------------------------------------------------------------------------------- live: RISE
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_the_live_slideshow_starts_in_jupyterlab(tmp_path: Path) -> None:
    """make lab, open the deck, Alt+R (RISE): the slideshow's reveal.js slides appear, the first one the title."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -e '.[browser]'")
    pytest.importorskip("jupyterlab_rise", reason="jupyterlab-rise is missing: pip install -e '.[book]'")
    root = tmp_path / "root"
    root.mkdir()
    (root / slides.NOTEBOOK.name).write_bytes(slides.NOTEBOOK.read_bytes())
    settings = tmp_path / "lab-settings"
    for plugin, values in {  # every cell attached to the page; no news or update toasts
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        (settings / f"{plugin}.jupyterlab-settings").parent.mkdir(parents=True, exist_ok=True)
        (settings / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, NST_EDU_QUICK="1", JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = tmp_path / "jupyterlab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
            + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < end, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"{base}/lab/tree/{slides.NOTEBOOK.name}?reset&token={token}", timeout=120_000)
                page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
                select = page.locator(".jp-Dialog").get_by_role("button", name="Select")
                try:
                    select.wait_for(timeout=20_000)
                    select.click()
                except Exception:
                    pass  # no kernel dialog
                # RISE brings jupyterlab-mathjax3: JupyterLab still typesets the deck's equations.
                page.wait_for_function("document.querySelectorAll('.jp-MarkdownOutput mjx-container').length > 20",
                                       timeout=60_000)
                markdown = "\n".join(page.locator(".jp-MarkdownOutput").all_inner_texts())
                assert "$$" not in markdown and "\\frac" not in markdown
                page.locator(".jp-Notebook .jp-Cell").first.click()  # the notebook has the focus
                page.keyboard.press("Escape")  # command mode, where RISE's Alt+R is bound
                page.keyboard.press("Alt+r")
                frame = page.frame_locator("iframe").first
                sections = frame.locator(".reveal .slides > section")
                sections.first.wait_for(timeout=120_000)
                assert sections.count() == DECLARED
                title = frame.locator(".reveal .slides > section.present")
                title.wait_for(timeout=60_000)
                assert "A Neural Algorithm of Artistic Style" in title.inner_text()
                assert title.locator(".jp-CodeCell").count() >= 1, "the title slide's drawing cell is a live cell"
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "live-rise.png"))
            finally:
                browser.close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
