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
NAMED = {"title": "title", "agenda": "agenda", "gram": "gram-picture", "fig1": "fig1", "eq4": "eq4", "fig2": "fig2",
         "fig3": "fig3", "live": "live", "discussion": "discussion", "questions": "questions"}


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
    from nst_edu.teaching.display import cell_draws, declared_figures

    assert DECLARED == slides.count_slides(NB) and 20 <= DECLARED <= 40  # a 45-60 minute session
    per_cell = [c.metadata.get("nst_edu", {}).get("figures", 0) for c in NB.cells if c.cell_type == "code"]
    assert sum(per_cell) == declared_figures(NB.metadata) >= 6  # title, Fig. 1 (3 slides), Fig. 2, Fig. 3
    for cell in NB.cells:
        if cell.cell_type == "code" and cell_draws(cell.source):
            assert cell.metadata.get("nst_edu", {}).get("figures", 0) >= 1, cell.source
            if slides.STILL not in cell.metadata.get("tags", []):  # the live slide's still: shown offline only
                assert cell.metadata["slideshow"]["slide_type"] not in ("skip", "notes"), cell.source
        assert cell.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide", "fragment", "notes",
                                                                         "skip", "-"), cell.source[:60]


#: The talk's sections, in the order a 45-60 minute reading session takes them (issue #29).
SECTIONS = ["The results", "The idea", "Content", "Style", "Fig. 1 as the paper draws it", "Mixing content and style",
            "Figs. 2 and 3", "What the paper leaves open", "What came after", "Discussion", "Summary", "References",
            "Questions"]


def _slides(nb) -> list[list]:
    """The notebook's top-level slides, each the list of its cells (notes and skipped cells left out)."""
    groups: list[list] = []
    for cell in nb.cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in ("skip", "notes"):
            continue
        if kind == "slide" or not groups:
            groups.append([])
        groups[-1].append(cell)
    return groups


def _sections(nb) -> list[tuple[str, int, int]]:
    """(section, minutes, index of its first cell) for each cell that opens a section."""
    return [(c.metadata["nst_edu"]["section"], c.metadata["nst_edu"]["minutes"], k) for k, c in enumerate(nb.cells)
            if "section" in c.metadata.get("nst_edu", {})]


def _agenda(nb) -> list[tuple[str, int]]:
    agenda = next(c.source for c in nb.cells if "agenda" in c.metadata.get("tags", []))
    return [(name, int(minutes)) for name, minutes in re.findall(r"^\d+\. (.+?) · (\d+) min$", agenda, re.M)]


def agenda_problems(nb) -> list[str]:
    """What is wrong with the talk's order and timing: sections, agenda, timed notes, appendix."""
    problems = []
    sections = _sections(nb)
    if [s for s, _, _ in sections] != SECTIONS:
        problems.append(f"the sections are {[s for s, _, _ in sections]}, not {SECTIONS}")
    if _agenda(nb) != [(s, m) for s, m, _ in sections]:
        problems.append(f"the agenda lists {_agenda(nb)}, the slides open {[(s, m) for s, m, _ in sections]}")
    for name, minutes, k in sections:
        kinds = [(c.metadata.get("slideshow", {}).get("slide_type"), c.source) for c in nb.cells[k + 1:]]
        note = next((source for kind, source in kinds if kind == "notes"), "")
        if not note.startswith(f"**⏱ {minutes} min**"):
            problems.append(f"section {name!r}: its first speaker note does not start with its timing ({minutes} min)")
    total = sum(m for _, m, _ in sections)
    if not 45 <= total <= 60:
        problems.append(f"the sections add up to {total} minutes, not 45-60")
    slides = _slides(nb)
    appendix = [k for k, cells in enumerate(slides) if "appendix" in cells[0].metadata.get("tags", [])]
    questions = next(k for k, cells in enumerate(slides) if cells[0].metadata.get("nst_edu", {}).get("section")
                     == "Questions") if sections else -1
    if appendix != list(range(questions + 1, len(slides))):
        problems.append(f"the appendix is not every slide after 'Questions' (slide {questions + 1}): {appendix}")
    return problems


def test_the_talk_has_its_sections_in_order_with_an_agenda_and_timings() -> None:
    """Title, agenda, then the sections of a 45-60 minute session in the issue's order, each timed in the agenda and
    in its first speaker note; after "Questions" only the appendix."""
    assert agenda_problems(NB) == []
    slides = _slides(NB)
    assert "title" in slides[0][0].metadata["tags"] and "agenda" in slides[1][0].metadata["tags"]


def test_agenda_problems_notices_a_broken_talk() -> None:
    nb = nbformat.from_dict(NB)
    opening = [c for c in nb.cells if "section" in c.metadata.get("nst_edu", {})]
    opening[2].metadata["nst_edu"]["section"], opening[3].metadata["nst_edu"]["section"] = "Style", "Content"
    assert any("the sections are" in p for p in agenda_problems(nb))
    nb = nbformat.from_dict(NB)
    next(c for c in nb.cells if "section" in c.metadata.get("nst_edu", {})).metadata["nst_edu"]["minutes"] = 30
    assert any("agenda lists" in p for p in agenda_problems(nb)) and any("timing" in p for p in agenda_problems(nb))
    nb = nbformat.from_dict(NB)
    [c for c in nb.cells if "appendix" in c.metadata.get("tags", [])][-1].metadata["tags"] = []  # a slide loses its tag
    assert any("appendix" in p for p in agenda_problems(nb))


def equation_slides(nb) -> dict[int, list[int]]:
    """{equation number: the slides (0-based) whose display formulas are a copy of it}."""
    from nst_edu.teaching.paper import equation_number

    found: dict[int, list[int]] = {}
    for k, cells in enumerate(_slides(nb)):
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        for formula in re.findall(r"\$\$(.+?)\$\$", text, re.S):
            n = equation_number(formula)
            if n is not None and k not in found.setdefault(n, []):
                found[n].append(k)
    return found


def test_each_equation_is_on_one_slide_in_its_section_and_the_gradients_in_the_appendix() -> None:
    slides = _slides(NB)
    appendix = {k for k, cells in enumerate(slides) if "appendix" in cells[0].metadata.get("tags", [])}
    section_of, current = {}, None
    for k, cells in enumerate(slides):
        current = cells[0].metadata.get("nst_edu", {}).get("section", current)
        section_of[k] = current
    found = equation_slides(NB)
    main = {n: [k for k in where if k not in appendix] for n, where in found.items()}
    assert {n: len(where) for n, where in main.items() if where} == {1: 1, 3: 1, 4: 1, 5: 1, 7: 1}, found
    assert {n: section_of[where[0]] for n, where in main.items() if where} == {
        1: "Content", 3: "Style", 4: "Style", 5: "Style", 7: "Mixing content and style"}
    assert found[2] and found[6] and set(found[2]) | set(found[6]) <= appendix, found  # the gradients: appendix only


def test_equation_slides_notices_an_equation_said_twice() -> None:
    nb = nbformat.from_dict(NB)
    eq7 = next(c for c in nb.cells if "\\alpha\\,\\mathcal{L}_{content}" in c.source)
    summary = next(c for c in nb.cells if c.source.startswith("## Summary"))
    summary.source += "\n\n$$" + eq7.source.split("$$")[1] + "$$"
    assert len(equation_slides(nb)[7]) == 2


def test_no_code_shows_on_a_slide() -> None:
    """Every code cell on a slide runs (and keeps its asserts) with its input collapsed: RISE and JupyterLab
    show a thin bar instead of the code (cell metadata jupyter.source_hidden); the offline deck leaves it out."""
    on_slides = [c for cells in _slides(NB) for c in cells if c.cell_type == "code"]
    assert len(on_slides) >= 12
    for cell in on_slides:
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.source[:80]


def test_the_title_slide_credits_the_photograph() -> None:
    from nst_edu.teaching import catalog

    title = "\n".join(c.source for c in _slides(NB)[0] if c.cell_type == "markdown")
    photo = catalog.get_entry("tubingen")
    assert photo.artist in title and photo.licence.split(" (")[0] in title and photo.title in title, title
    assert "Femme nue assise" in title  # the one painting that is not in the public domain


def test_the_deck_draws_the_figure_1_diagram_and_a_gram_entry_on_their_slides() -> None:
    cells = {t: c for cells in _slides(NB) for c in cells for t in c.metadata.get("tags", [])}
    assert "diagram.draw_figure1_diagram(content, style" in cells["fig1"].source
    assert "diagram.draw_gram_entry(" in cells["gram-picture"].source
    assert "deck.draw_paintings(" in cells["fig2"].source and "deck.draw_figure3(" in cells["fig3"].source
    for tag in ("fig1", "gram-picture", "fig2", "fig3"):
        assert cells[tag].metadata["nst_edu"]["figures"] == 1


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


def test_offline_the_live_slide_shows_its_still_and_the_check_allows_the_skipped_still() -> None:
    """The slider needs a kernel: offline, the live cell's widget is replaced by the still's pictures and a note."""
    still = nbformat.v4.new_code_cell("deck.draw_pictures(row, labels)", metadata={
        "slideshow": {"slide_type": "skip"}, "tags": [slides.STILL], "nst_edu": {"figures": 1}})
    still.outputs = [nbformat.v4.new_output("display_data", {"image/png": "iVBORw0KGgo="})]
    live = nbformat.v4.new_code_cell("RatioExplorer(results)", metadata={"slideshow": {"slide_type": "slide"},
                                                                          "tags": [slides.LIVE]})
    live.outputs = [nbformat.v4.new_output("display_data", {slides.book.WIDGET: {"model_id": "x"}, "text/plain": "w"})]
    nb = nbformat.v4.new_notebook(cells=[still, live], metadata={"nst_edu": {"figures": 1, "slides": 1}})
    slides.check_deck(nb)  # a picture on a skipped cell is fine: it is the live slide's still
    copy = nbformat.from_dict(nb)
    slides.still_for_live(copy)
    assert [list(o["data"]) for o in copy.cells[1].outputs] == [["image/png"], ["text/html"]]
    assert "Live in JupyterLab" in copy.cells[1].outputs[1]["data"]["text/html"]
    live.metadata["tags"] = []  # without a live cell the still shows on no slide
    with pytest.raises(slides.BookError, match="shows a picture on no slide"):
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
  const scale = Reveal.getScale();  // slide px = screen px / scale
  const images = [...slide.querySelectorAll('img')].map(i => {
    const r = i.getBoundingClientRect();
    return [i.complete, i.naturalWidth, Math.round(r.width), Math.round(r.height), r.width / scale, i.src];
  });
  // Every piece of text the audience reads: elements with text of their own (MathJax's inner spans left out:
  // a sub- or superscript is smaller by design; the formula's own size is counted).
  let smallest = [1e9, ''];
  for (const e of slide.querySelectorAll('*')) {
    if (e.closest('aside.notes, script, style')) continue;
    if (e.closest('.MathJax, .MathJax_Display') && !e.matches('.MathJax')) continue;
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) || e.matches('.MathJax');
    const r = e.getBoundingClientRect();
    if (!own || r.width === 0 || r.height === 0) continue;
    const size = parseFloat(getComputedStyle(e).fontSize);
    if (size < smallest[0]) smallest = [size, `${e.tagName}.${e.className}: ${(e.innerText || '').slice(0, 40)}`];
  }
  const code = slide.querySelectorAll('.jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor, '
                                      + '.jp-Editor, .jp-CodeCell .highlight').length;
  const markdown = [...slide.querySelectorAll('.jp-MarkdownOutput')].map(m => m.innerText).join('\\n');
  const tags = [...slide.querySelectorAll('[class*=celltag_]')].flatMap(
    e => [...e.classList].filter(c => c.startsWith('celltag_')).map(c => c.slice(8)));
  return {index: Reveal.getIndices().h, overflow: out.slice(0, 5), images, markdown, tags, smallest, code,
          text: slide.innerText,
          math: slide.querySelectorAll('.MathJax').length, errors: slide.querySelectorAll('.MathJax_Error').length,
          notes: Reveal.getSlideNotes(slide) || ''};
}"""


MIN_TEXT_PX = 24  # the deck's smallest text on the 1280x720 slide (nst_edu.teaching.deck.MIN_TEXT_PX)


def picture_text_px(src: str) -> float:
    """The smallest label of a picture in the deck, in its PNG's pixels: the text chunk that
    nst_edu.teaching.display stamps."""
    import base64
    import io

    from PIL import Image

    from nst_edu.teaching.display import TEXT_PX_KEY

    assert src.startswith("data:image/png;base64,"), src[:60]
    text = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).text
    assert TEXT_PX_KEY in text, f"a picture without its label size ({TEXT_PX_KEY!r}): not drawn by nst_edu's formatter"
    return float(text[TEXT_PX_KEY])


def test_min_text_px_is_the_packages() -> None:
    from nst_edu.teaching import deck

    assert MIN_TEXT_PX == deck.MIN_TEXT_PX and deck.LABEL_PT * deck.DPI / 72 >= MIN_TEXT_PX


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
                assert state["code"] == 0, f"{where}: code is visible"
                assert state["smallest"][0] >= MIN_TEXT_PX, f"{where}: text under {MIN_TEXT_PX} px: {state['smallest']}"
                for complete, natural, width, height, shown, src in state["images"]:
                    assert complete and natural > 0 and width > 100 and height > 40, (where, width, height)
                    label = picture_text_px(src) * shown / natural  # the PNG's smallest label, as shown on the slide
                    assert label >= MIN_TEXT_PX, f"{where}: a picture's labels are {label:.1f} px on the slide"
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
    assert any("Andreas Praefcke" in t and "CC BY 3.0" in t for t in [seen[0]["text"]]), "no photo credit on the title"
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
    return _slides(NB)[k]


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
    css = slides.NOTEBOOK.with_suffix(".css")  # RISE's stylesheet for this notebook: collapsed code shows nothing
    (root / css.name).write_bytes(css.read_bytes())
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
                # No code on any slide: each code cell shows JupyterLab's collapsed-input bar, not its editor.
                # (RISE keeps the skipped cells in the page, hidden; they are the only ones with an editor.)
                shown_code = sum(c.cell_type == "code" for cells in _slides(NB) for c in cells)
                all_code = sum(c.cell_type == "code" for c in NB.cells)
                assert frame.locator(".reveal .slides .jp-CodeCell").count() == all_code
                bars = frame.locator(".reveal .slides .jp-InputPlaceholder")
                assert bars.count() == shown_code
                title.locator(".jp-CodeCell").first.wait_for(state="attached")
                assert not bars.first.is_visible(), "RISE shows the code's first line"
                editors = frame.locator(".reveal .slides .jp-CodeCell .jp-InputArea")
                assert editors.count() == all_code - shown_code, "code is visible on a slide in RISE"
                assert all(not editors.nth(k).is_visible() for k in range(editors.count()))
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
