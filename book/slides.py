"""Build the reading-session deck to hand around: ``make slides``.

``notebooks/reading_session.ipynb`` is a slide deck of the paper (cell metadata ``slideshow``). A
presenter shows it live from JupyterLab with RISE (``make lab``, then Alt+R); this builder writes the
same deck for a browser without Python or network:

* ``index.html``: reveal.js slides (nbconvert's SlidesExporter with ``book/templates/nst_slides``),
  code hidden, figures embedded, equations typeset by the MathJax of the book; reveal.js itself is
  shipped in ``_static/reveal.js`` (``book/static/reveal.js``, from npm, with its licence). ``S``
  opens the speaker notes;
* ``reading_session.pdf``: a handout, one page per slide, printed by Chromium from reveal.js's
  ``?print-pdf`` view.

It shares the book's machinery (``book/build.py``): the notebook is executed only when its code or
the package changed (stored under ``--cache``/notebooks), every synthesis is read back from the
same disk cache as the book's (``build/cache``; ``build/cache-quick`` for ``--quick``), the outputs
are checked for what the audience would see, and the deck is written to a temporary folder that
replaces the old one only when everything, the PDF included, is done.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat


def _book():
    """book/build.py as a module (book/ is not a package; ``build`` is also a PyPI package's name)."""
    name = "nst_book_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up by name
        spec.loader.exec_module(module)
    return sys.modules[name]


book = _book()
BookError = book.BookError
NAME = "reading_session"
NOTEBOOK = book.NOTEBOOKS / f"{NAME}.ipynb"
DECK = "index.html"
HANDOUT = f"{NAME}.pdf"
REVEAL = book.STATIC / "reveal.js"
WIDTH, HEIGHT = 1280, 720  # the slide's box (16:9); reveal.js scales it to the screen
CHROMIUM = os.environ.get("NST_EDU_CHROMIUM", "/usr/bin/chromium")
LIVE_NOTE = ('<div class="nst-widget-note">Live in JupyterLab: this row is a slider in the slideshow '
             '(<code>make lab</code>, open <code>notebooks/reading_session.ipynb</code>, Alt+R).</div>')
#: A live slide's widget (cell tag ``live``) needs a kernel; the offline deck shows the pictures of the
#: cell tagged ``live-still`` in its place (a skipped cell: RISE shows the widget, not both).
LIVE, STILL = "live", "live-still"


@dataclass
class Deck:
    slides: int
    pictures: int
    pages: int | None
    seconds: float
    reused: bool


def declared_slides(nb: nbformat.NotebookNode) -> int | None:
    """The number of slides the notebook promises (metadata ``{"nst_edu": {"slides": N}}``)."""
    value = nb.metadata.get("nst_edu", {}).get("slides")
    return int(value) if value is not None else None


def count_slides(nb: nbformat.NotebookNode) -> int:
    """Top-level slides: the cells that start one (the first shown cell always does)."""
    types = [c.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
    shown = [t for t in types if t not in ("skip", "notes")]
    return sum(t == "slide" for t in shown[1:]) + bool(shown)


def check_deck(nb: nbformat.NotebookNode) -> None:
    """What the deck promises, beyond the book's checks: the slide count, and each code cell's own
    picture count (cell metadata ``{"nst_edu": {"figures": k}}``); raises BookError."""
    from nst_edu.teaching.display import count_pictures

    problems = []
    declared = declared_slides(nb)
    if declared is None:
        problems.append(f'no slide count in its metadata: add {{"nst_edu": {{"slides": {count_slides(nb)}}}}}')
    elif declared != count_slides(nb):
        problems.append(f"{count_slides(nb)} slides, {declared} declared in its metadata")
    for k, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        shown, promised = count_pictures(cell.outputs), cell.metadata.get("nst_edu", {}).get("figures", 0)
        if shown != promised:
            problems.append(f"code cell {k}: {shown} pictures shown, {promised} declared in its metadata")
        skipped = cell.metadata.get("slideshow", {}).get("slide_type") in ("skip", "notes")
        if shown and skipped and not (STILL in cell.metadata.get("tags", []) and _tagged(nb, LIVE)):
            problems.append(f"code cell {k}: shows a picture on no slide (slide_type skip or notes)")
    if problems:
        raise BookError(f"{NAME}: " + "; ".join(problems))


def _tagged(nb: nbformat.NotebookNode, tag: str) -> list:
    return [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]


def still_for_live(nb: nbformat.NotebookNode) -> None:
    """The live cell's widget output becomes the still cell's pictures (and a note that it is live in
    JupyterLab): an offline slide shows the row the slider would move along, not an empty box."""
    stills = [o for c in _tagged(nb, STILL) for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    for cell in _tagged(nb, LIVE):
        widgets = [o for o in cell.get("outputs", []) if book.WIDGET in o.get("data", {})]
        if widgets and stills:
            cell.outputs = [nbformat.from_dict(dict(o)) for o in stills] + [
                nbformat.v4.new_output("display_data", {"text/html": LIVE_NOTE})]


def export(nb: nbformat.NotebookNode) -> str:
    """The deck's HTML: code hidden (the audience sees what it computed), stderr dropped, widgets
    replaced by their still (or a note), everything loaded from ``_static/`` beside the page."""
    from nbconvert import SlidesExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    nb = nbformat.from_dict(nb)  # a copy: the stored notebook keeps its outputs as they were
    still_for_live(nb)
    book.widgets_to_notes(nb, LIVE_NOTE)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})  # what a loop printed: one block, not one per line
    exporter = SlidesExporter(
        template_name="nst_slides", extra_template_basedirs=[str(book.TEMPLATES)],
        reveal_url_prefix="_static/reveal.js", reveal_theme="white", reveal_transition="none",
        reveal_number="c/t", reveal_width=str(WIDTH), reveal_height=str(HEIGHT),
        mathjax_url=f"_static/mathjax/MathJax.js?config={book.MATHJAX_CONFIG}",
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    title = "A Neural Algorithm of Artistic Style: a reading session"
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def pdf_pages(path: Path) -> int:
    """Pages of a PDF written by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


class PrintFailed(Exception):
    """One try at printing the handout failed (Chromium's launch, the page's load or MathJax's wait)."""


def _first_line(err: BaseException) -> str:
    text = " ".join(str(err).split("\n")[0].split()) or "no message"
    return f"{type(err).__name__}: {text[:300]}"


def print_pdf(deck: Path, pdf: Path, tries: int = 2) -> int:
    """Print reveal.js's ``?print-pdf`` view of ``deck`` with headless Chromium, offline; returns
    the number of pages. A try that fails at Chromium's launch or while waiting for the slides and
    MathJax is repeated (once by default: a launch that fails once starts the next time, #40); the
    error then names what happened, not a guess."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise BookError("the PDF handout needs playwright: pip install -e '.[browser]' (or --no-pdf)") from err
    failures: list[str] = []
    for attempt in range(1, tries + 1):
        try:
            return _print_once(sync_playwright, deck, pdf)
        except PrintFailed as err:
            failures.append(str(err))
            if attempt < tries:
                print(f"slides: printing the PDF failed ({err}); trying again", file=sys.stderr, flush=True)
    raise BookError(f"the PDF handout could not be printed in {tries} tries ({'; then '.join(failures)}); the "
                    "executed deck is kept in the cache, so `make slides` again starts from there "
                    "(or build the deck alone with --no-pdf)")


def _print_once(sync_playwright, deck: Path, pdf: Path) -> int:  # noqa: ANN001 - playwright's factory
    blocked: list[str] = []

    def offline(route) -> None:  # noqa: ANN001
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        installed = Path(CHROMIUM).exists()  # else playwright's own browser, where one was installed
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM if installed else None, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
        except Exception as err:  # noqa: BLE001 - whatever stopped it is named in the message
            which = CHROMIUM if installed else f"playwright's own; {CHROMIUM} does not exist: apt-get install chromium"
            raise PrintFailed(f"Chromium ({which}) did not start: {_first_line(err)}") from err
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.route("**/*", offline)
            page.goto(deck.as_uri() + "?print-pdf")
            try:
                page.wait_for_function(
                    "window.Reveal && Reveal.isReady() && document.querySelectorAll('.pdf-page').length > 0"
                    " && window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                    " && document.querySelectorAll('.MathJax').length > 0", timeout=120_000)
            except Exception as err:  # noqa: BLE001
                raise PrintFailed(f"the slides or their equations were not ready in 120 s: {_first_line(err)}") \
                    from err
            page.evaluate("document.fonts.ready")
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    if blocked:
        raise BookError(f"the deck tried to reach the network while printing: {blocked[:3]}")
    return pdf_pages(pdf)


def build(out: Path, cache: Path, quick: bool, pdf: bool = True) -> Deck:
    """Execute (or reuse) and check the notebook, write the deck and its PDF into ``out``."""
    start = time.perf_counter()
    out, cache, tmp = book.start_site(out, cache)
    shutil.copytree(REVEAL, tmp / "_static" / "reveal.js")
    shutil.copy(book.STATIC / "slides.css", tmp / "_static" / "slides.css")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    pictures, reused = book.run_or_reuse(nb, NAME, quick, cache)
    check_deck(nb)
    slides = count_slides(nb)
    print(f"{NAME}: {'reused (code unchanged)' if reused else 'executed'} in {time.perf_counter() - start:.1f} s, "
          f"{slides} slides, {pictures} pictures", flush=True)
    (tmp / DECK).write_text(export(nb), encoding="utf-8")
    pages = None
    if pdf:
        pages = print_pdf(tmp / DECK, tmp / HANDOUT)
        if pages != slides:
            raise BookError(f"{HANDOUT} has {pages} pages for {slides} slides: a slide is too tall for one page")
    book.swap_in(tmp, out)
    return Deck(slides, pictures, pages, time.perf_counter() - start, reused)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=book.REPO / "build" / "slides", help="the deck's folder")
    parser.add_argument("--cache", type=Path, default=book.REPO / "build" / "cache",
                        help="executed notebooks and synthesis results, shared with the book")
    parser.add_argument("--quick", action="store_true", help="tiny images and few steps (the test path)")
    parser.add_argument("--no-pdf", dest="pdf", action="store_false", help="the HTML deck only (no Chromium)")
    args = parser.parse_args(argv)
    try:
        deck = build(args.out, args.cache, args.quick, args.pdf)
    except BookError as err:
        print(f"slides: {err}", file=sys.stderr)
        return 1
    handout = f" and {HANDOUT} ({deck.pages} pages)" if deck.pages is not None else ""
    print(f"slides: {deck.slides} slides, {deck.pictures} pictures in {deck.seconds:.1f} s: "
          f"open {args.out.resolve() / DECK}{handout}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
