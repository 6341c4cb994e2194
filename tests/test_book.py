"""The static book (``make book``): built in quick mode, then read in Chromium with the network off.

``make test`` builds it first (``make book-quick``) and passes its folder in ``NST_EDU_BOOK``;
run alone, this module builds its own copy. The builder's caches are tested without a kernel.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "build" / "book-screenshots"


def _builder():
    spec = importlib.util.spec_from_file_location("book_build", REPO / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


build = _builder()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("NST_EDU_BOOK")
    if given:
        path = (REPO / given).resolve()
        assert (path / "index.html").exists(), f"NST_EDU_BOOK={given} has no index.html: run make book-quick"
        log = path.with_name(path.name + ".log")  # what make book-quick printed (the Makefile tees it)
        assert log.is_file(), f"{log} is missing: make book-quick writes it"
        _assert_progress_lines(log.read_text(encoding="utf-8"))
        return path
    if not os.environ.get("NST_EDU_MIRROR") and not (REPO.parent / "shared" / "images").is_dir():
        pytest.skip("no image mirror: set NST_EDU_MIRROR to the folder of catalogue images (../shared/images)")
    env = dict(os.environ)
    env.setdefault("NST_EDU_MIRROR", str(REPO.parent / "shared" / "images"))
    out = tmp_path_factory.mktemp("book")
    proc = subprocess.run([sys.executable, str(REPO / "book" / "build.py"), "--quick", "--out", str(out / "site"),
                           "--cache", str(out / "cache")], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _assert_progress_lines(proc.stdout)
    return out / "site"


def _assert_progress_lines(printed: str) -> None:
    """A progress line per notebook, with its time, and the closing count."""
    for name in build.CHAPTERS:
        assert re.search(rf"\] {name}: (executed|reused \(code unchanged\)) in \d+\.\d s", printed), printed
    assert re.search(rf"book: {len(build.CHAPTERS)} chapters, \d+ pictures in \d+\.\d s", printed), printed


def _pages(book: Path) -> list[Path]:
    return [book / "index.html"] + [book / f"{name}.html" for name in build.CHAPTERS]


def test_every_chapter_has_a_page_and_the_index_follows_the_paper(book: Path) -> None:
    index = (book / "index.html").read_text(encoding="utf-8")
    positions = [index.index(f'href="{name}.html"') for name in build.CHAPTERS]
    assert positions == sorted(positions), "chapters out of the paper's order"
    for n in (1, 2, 3):
        assert f"<li>Fig. {n}: " in index
    for page in _pages(book):
        assert page.exists(), page


def test_pages_fetch_nothing_from_the_network(book: Path) -> None:
    external = re.compile(r'<(?:script|img|link|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)
    for page in _pages(book):
        text = page.read_text(encoding="utf-8")
        assert not external.search(text), f"{page.name} loads {external.search(text).group(0)}"
    assert (book / "_static" / "mathjax" / "MathJax.js").exists()


def test_every_chapter_says_where_it_ran_and_at_what_size_and_steps(book: Path) -> None:
    """#28: config.setup decides size and steps; each chapter's setup cell prints what it ran with
    (``quick mode on cpu: 48 px long side, 40 steps, seed 0``), and a reader sees it on the page."""
    printed = re.compile(r"(quick|full) mode on \w+: \d+ px long side, \d+ steps, seed \d+")
    for name in build.CHAPTERS:
        text = (book / f"{name}.html").read_text(encoding="utf-8")
        assert printed.search(text), f"{name}.html does not say where it ran, at what size and steps"


def test_widgets_become_a_note_not_their_repr(book: Path) -> None:
    explorer = (book / "06_interactive_explorer.html").read_text(encoding="utf-8")
    assert explorer.count('class="nst-widget-note"') >= 4  # explorer, feature maps, Gram viewer, ratio slider
    for page in _pages(book):
        text = page.read_text(encoding="utf-8")
        assert "VBox(children=" not in text and "HBox(children=" not in text, page.name


def test_code_edits_rerun_a_notebook_text_edits_do_not() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")])
    key = build.notebook_key(nb, quick=True)
    nb.cells[0].source = "# Another title, and more text"
    assert build.notebook_key(nb, quick=True) == key
    assert build.notebook_key(nb, quick=False) != key
    nb.cells[1].source = "x = 2"
    assert build.notebook_key(nb, quick=True) != key


def test_package_data_and_code_edits_rerun_a_notebook(monkeypatch, tmp_path) -> None:
    """Edit nst_edu's data (the stored measurements notebook 03 prints) or its code: the book runs it again.
    A compiled file in __pycache__ changes nothing."""
    build = _builder()
    (tmp_path / "nst_edu" / "data").mkdir(parents=True)
    (tmp_path / "nst_edu" / "__pycache__").mkdir()
    (tmp_path / "nst_edu" / "ratio.py").write_text("K = 100\n")
    (tmp_path / "nst_edu" / "data" / "ratio_balance.json").write_text("[]\n")
    monkeypatch.setattr(build, "REPO", tmp_path)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    key = build.notebook_key(nb, quick=True)
    (tmp_path / "nst_edu" / "__pycache__" / "ratio.cpython-311.pyc").write_bytes(b"compiled")
    assert build.notebook_key(nb, quick=True) == key
    (tmp_path / "nst_edu" / "data" / "ratio_balance.json").write_text("[{}]\n")
    data_edit = build.notebook_key(nb, quick=True)
    (tmp_path / "nst_edu" / "ratio.py").write_text("K = 10\n")
    assert len({key, data_edit, build.notebook_key(nb, quick=True)}) == 3


def test_a_book_built_on_a_gpu_is_not_reused_on_a_cpu(monkeypatch) -> None:
    """Full mode draws larger on a GPU (config.setup), so the stored notebook depends on the device."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    monkeypatch.setenv("NST_EDU_DEVICE", "cpu")
    on_cpu = build.notebook_key(nb, quick=False)
    monkeypatch.setenv("NST_EDU_DEVICE", "cuda")
    assert build.notebook_key(nb, quick=False) != on_cpu


def test_a_book_built_in_bfloat16_is_not_reused_in_float32(monkeypatch) -> None:
    """Full mode runs the network in bfloat16 where the processor has it (nst_edu.machinery.precision): the stored
    notebook
    depends on the precision "auto" chose, as each synthesis in the cache does."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    monkeypatch.setenv("NST_EDU_DEVICE", "cpu")
    monkeypatch.setenv("NST_EDU_PRECISION", "float32")
    in_float32 = build.notebook_key(nb, quick=False)
    monkeypatch.setenv("NST_EDU_PRECISION", "bfloat16")
    assert build.notebook_key(nb, quick=False) != in_float32


def test_reused_outputs_go_under_the_current_text() -> None:
    executed = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("old"), nbformat.v4.new_code_cell("1 + 1")]
    )
    executed.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    current = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("new text"), nbformat.v4.new_code_cell("1 + 1")]
    )
    build._reuse_outputs(current, executed)
    assert current.cells[0].source == "new text"
    assert current.cells[1].outputs[0]["data"]["text/plain"] == "2"


def test_a_page_that_would_show_a_figure_as_text_stops_the_build() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("draw_grid(rows)")])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "<Figure size 640x480 with 1 Axes>"},
                                                  execution_count=1)]
    with pytest.raises(build.BookError, match="text repr"):
        build.check(nb, "broken")


@pytest.mark.browser
def test_book_reads_offline_in_chromium(book: Path) -> None:
    """Every page: images decoded, equations typeset by the shipped MathJax, every internal link resolves."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -e '.[browser]'")
    SHOTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []

    def offline(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.route("**/*", offline)
            for path in _pages(book):
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                images = page.evaluate("[...document.images].map(i => [i.currentSrc.slice(0, 40), i.naturalWidth])")
                assert all(width > 0 for _, width in images), (path.name, images)
                if path.name != "index.html":
                    notebook = nbformat.read(REPO / "notebooks" / path.name.replace(".html", ".ipynb"), 4)
                    # A chapter without an equation (notebook 09) has nothing for MathJax to typeset.
                    has_math = any("$" in c.source for c in notebook.cells if c.cell_type == "markdown")
                    # MathJax 2 typesets asynchronously: wait for its queue to drain.
                    page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                                           + (" && document.querySelectorAll('.MathJax, .MathJax_CHTML').length > 0"
                                              if has_math else ""), timeout=60_000)
                    text = page.locator("body").inner_text()
                    markdown = "\n".join(page.locator(".jp-MarkdownOutput").all_inner_texts())
                    assert "Math Processing Error" not in text and "$$" not in markdown and "\\tag" not in markdown
                    fonts = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
                    assert not has_math or any("STIX" in f for f in fonts), \
                        f"{path.name}: MathJax fell back to system fonts {fonts}"
                    declared = notebook.metadata["nst_edu"]["figures"]
                    assert len([w for _, w in images if w > 0]) >= declared, (path.name, images)
                for href in page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"):
                    url = urlparse(href)
                    if url.scheme or href.startswith("//"):
                        continue  # a citation to the web is allowed; nothing is loaded from it
                    target = (path.parent / unquote(url.path)).resolve() if url.path else path
                    assert target.exists(), f"{path.name}: broken link {href}"
                    if url.fragment:
                        ids = re.findall(r'id="([^"]+)"', target.read_text(encoding="utf-8"))
                        # As browsers do: the fragment as written, else percent-decoded (HTML spec).
                        assert url.fragment in ids or unquote(url.fragment) in ids, f"{path.name}: no anchor {href}"
                page.screenshot(path=str(SHOTS / path.name.replace(".html", ".png")), full_page=True)
        finally:
            browser.close()
    assert not blocked, f"the book tried to reach the network: {blocked[:5]}"
