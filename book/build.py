"""Build the walkthrough as a static site to read without running: ``make book``.

Notebooks 00–09 and Appendix A are executed (full settings; ``--quick`` for the test path), checked for what a
reader would see (:mod:`nst_edu.teaching.display`: every figure a picture, no traceback, the declared number
of pictures), and exported with nbconvert's JupyterLab HTML exporter into one folder that opens in
any browser with the network off: figures are embedded in the pages, and the MathJax that typesets
the equations is copied beside them from the ``jupyter-server-mathjax`` package.

Two caches under ``--cache`` keep rebuilds cheap:
* a notebook whose code cells, settings and package code are unchanged is not executed again; its
  stored outputs are put back under the current text (a markdown edit reruns nothing);
* each synthesis result is stored by :mod:`nst_edu.machinery.cache`, keyed by everything that determines it,
  so a notebook that must run again (a code edit) still skips the optimisations it already did.

The site is written to a temporary folder and swapped in at the end: a failed build leaves the
previous book as it was.
"""
from __future__ import annotations

import argparse
import hashlib
import html
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
#: The chapters, in the order of the paper.
CHAPTERS = ("00_feature_spaces", "01_content_reconstruction", "02_style_reconstruction",
            "03_style_transfer_ratio", "04_gradients", "05_beyond_the_paper", "06_interactive_explorer",
            "07_controlling_perceptual_factors", "08_the_method_in_one_page", "09_why_yours_differs",
            "A_units_of_alpha_beta")  # the appendix after the walkthrough
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the configuration jupyter-server-mathjax ships
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<div class="nst-widget-note">Interactive widget: it runs in JupyterLab '
               '(<code>make lab</code>), not in this static page.</div>')


class BookError(Exception):
    """The book cannot be built; the message says what to fix."""


@dataclass
class Chapter:
    name: str
    title: str
    paper: str
    figures: tuple[int, ...]
    pictures: int
    seconds: float
    reused: bool

    @property
    def href(self) -> str:
        return f"{self.name}.html"


# ---------------------------------------------------------------------------------------- execution
def _package_version() -> str:
    """A hash of everything in the package a notebook's outputs can depend on: its code and its data
    (``nst_edu/data/``: the catalogue, the normalisation statistics, the stored measurements, the masks)."""
    h = hashlib.sha256()
    for path in sorted((REPO / "nst_edu").rglob("*")) + sorted((REPO / "data").glob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def notebook_key(nb: nbformat.NotebookNode, quick: bool) -> str:
    """What a notebook's outputs depend on: its code cells, quick or full mode, the kind of device
    (full mode draws larger on a GPU: ``nst_edu.teaching.config.setup``), the network's precision there (bfloat16
    where the processor has it, ``nst_edu.machinery.precision``) and the package code."""
    from nst_edu.machinery.devices import default_device
    from nst_edu.machinery.precision import resolve

    device = default_device()
    precision = resolve("auto", device, quick)
    h = hashlib.sha256(f"quick={quick}\ndevice={device.type}\nprecision={precision}\n{_package_version()}\n".encode())
    for cell in nb.cells:
        if cell.cell_type == "code":
            h.update(cell.source.encode() + b"\0")
    return h.hexdigest()[:20]


def _reuse_outputs(nb: nbformat.NotebookNode, executed: nbformat.NotebookNode) -> None:
    """Put the stored outputs of the same code cells under the current markdown."""
    old = [c for c in executed.cells if c.cell_type == "code"]
    new = [c for c in nb.cells if c.cell_type == "code"]
    for cell, done in zip(new, old, strict=True):
        cell.outputs, cell.execution_count = done.outputs, done.execution_count


def execute(nb: nbformat.NotebookNode, quick: bool, cache: Path) -> None:
    """Run every cell in a fresh kernel, in notebooks/ (as in JupyterLab); raises on a failing cell."""
    from nbclient import NotebookClient

    os.environ["NST_EDU_CACHE_DIR"] = str(cache)  # the kernel inherits it: synthesis results are cached
    if quick:
        os.environ["NST_EDU_QUICK"] = "1"
    else:
        os.environ.pop("NST_EDU_QUICK", None)
    client = NotebookClient(nb, timeout=None if not quick else 600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}, store_widget_state=False)
    client.execute()


def check(nb: nbformat.NotebookNode, name: str) -> int:
    """The number of pictures; raises BookError when a page would show something wrong."""
    from nst_edu.teaching.display import count_pictures, figure_count_problems, output_problems

    problems, shown = [], []
    code = [c for c in nb.cells if c.cell_type == "code"]
    for k, cell in enumerate(code):
        problems += [f"code cell {k}: {p}" for p in output_problems(cell.source, cell.outputs)]
        shown.append(count_pictures(cell.outputs))
    problems += figure_count_problems(nb.metadata, [(c.source, c.metadata, n) for c, n in zip(code, shown)])
    if problems:
        raise BookError(f"{name}: " + "; ".join(problems))
    return sum(shown)


# ---------------------------------------------------------------------------------------- pages
def _title(nb: nbformat.NotebookNode, name: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return name


def widgets_to_notes(nb: nbformat.NotebookNode, note: str = WIDGET_NOTE) -> None:
    """A widget needs a kernel: a static page shows ``note`` instead of printing its repr."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if WIDGET in out.get("data", {}):
                out["data"] = {"text/html": note}


def export(nb: nbformat.NotebookNode, nav: dict) -> str:
    """One page: nbconvert's JupyterLab HTML with our template (offline MathJax, navigation)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="nst_book", extra_template_basedirs=[str(TEMPLATES)],
                            mathjax_url=f"_static/mathjax/MathJax.js?config={MATHJAX_CONFIG}")
    widgets_to_notes(nb)
    body, _ = exporter.from_notebook_node(nb, resources={"nst_book": nav})
    # Links between notebooks point at their pages.
    return re.sub(r'href="(\d\d_[\w-]+)\.ipynb(#[^"]*)?"', r'href="\1.html\2"', body)


def _mathjax_source() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise BookError("MathJax is missing: pip install -e '.[book]' (or make setup)") from err
    static = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    if not (static / "MathJax.js").exists():
        raise BookError(f"{static} has no MathJax.js: reinstall jupyter-server-mathjax")
    return static


def write_index(chapters: list[Chapter], dest: Path, quick: bool) -> None:
    """The contents page, in the order of the paper, with the paper's figure numbers."""
    esc = html.escape
    rows = "\n".join(
        f'<tr><td><a href="{c.href}">{esc(c.title)}</a></td><td>{esc(c.paper)}</td>'
        f'<td>{c.pictures}</td></tr>' for c in chapters)
    by_figure = "\n".join(
        f"<li>Fig. {n}: " + ", ".join(f'<a href="{c.href}">{esc(c.title)}</a>' for c in chapters if n in c.figures)
        + "</li>" for n in sorted({n for c in chapters for n in c.figures}))
    mode = ("quick mode (tiny images, few steps: a test build)" if quick
            else "full settings (the figures as the notebooks draw them for a reading group)")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>nst-edu: A Neural Algorithm of Artistic Style, by doing it</title>
<link rel="stylesheet" href="_static/book.css"></head>
<body class="nst-index-page"><main>
<h1>A Neural Algorithm of Artistic Style, by doing it</h1>
<p>Gatys, Ecker &amp; Bethge (2015), walked through with executed notebooks: every figure and number
below was computed by the code on its page. Read it in order; each chapter ends with a Summary and
Exercises. To run the code yourself, open the same notebooks in JupyterLab (<code>make lab</code>).</p>
<h2>Chapters</h2>
<table class="nst-contents"><thead><tr><th>chapter</th><th>in the paper</th><th>figures</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<h2>By figure of the paper</h2>
<ul class="nst-figures">
{by_figure}
</ul>
<p class="nst-build">Built {time.strftime("%Y-%m-%d %H:%M")} in {mode}.</p>
</main></body></html>
"""
    (dest / "index.html").write_text(page, encoding="utf-8")


# ---------------------------------------------------------------------------------------- the build
def run_or_reuse(nb: nbformat.NotebookNode, name: str, quick: bool, cache: Path) -> tuple[int, bool]:
    """Put outputs into ``nb``: the stored ones when its code is unchanged, else execute it; then
    check them. Returns (pictures, reused); raises BookError."""
    stored = cache / "notebooks" / f"{name}-{notebook_key(nb, quick)}.ipynb"
    reused = stored.exists()
    if reused:
        _reuse_outputs(nb, nbformat.read(stored, as_version=4))
    else:
        try:
            execute(nb, quick, cache)
        except Exception as err:  # nbclient's CellExecutionError carries the cell and traceback
            raise BookError(f"{name}: a cell failed while executing:\n{err}") from err
    pictures = check(nb, name)
    if not reused:
        nbformat.write(nb, stored)  # only checked outputs are reused
    return pictures, reused


def start_site(out: Path, cache: Path) -> tuple[Path, Path, Path]:
    """Resolve ``out`` and ``cache``, make the cache's notebook folder, and open an empty temporary
    site beside ``out`` with the offline MathJax in ``_static/``; returns (out, cache, temporary site).
    Raises BookError before any work when MathJax is missing. :func:`swap_in` puts it in place."""
    mathjax = _mathjax_source()
    out, cache = out.resolve(), cache.resolve()
    (cache / "notebooks").mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.building")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "_static").mkdir(parents=True)
    shutil.copytree(mathjax, tmp / "_static" / "mathjax")
    return out, cache, tmp


def build(out: Path, cache: Path, quick: bool, names: tuple[str, ...] = CHAPTERS) -> list[Chapter]:
    """Execute (or reuse), check and export each notebook into ``out``; returns the chapters."""
    out, cache, tmp = start_site(out, cache)
    shutil.copy(STATIC / "book.css", tmp / "_static" / "book.css")

    notebooks = {name: nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4) for name in names}
    chapters = []
    for i, (name, nb) in enumerate(notebooks.items(), 1):
        start = time.perf_counter()
        pictures, reused = run_or_reuse(nb, name, quick, cache)
        meta = nb.metadata.get("nst_edu", {})
        chapters.append(Chapter(name, _title(nb, name), meta.get("paper", ""), tuple(meta.get("paper_figures", ())),
                                pictures, time.perf_counter() - start, reused))
        c = chapters[-1]
        print(f"[{i}/{len(notebooks)}] {name}: {'reused (code unchanged)' if reused else 'executed'} "
              f"in {c.seconds:.1f} s, {pictures} pictures", flush=True)

    def link(k: int) -> dict | None:
        return {"href": chapters[k].href, "title": chapters[k].title} if 0 <= k < len(chapters) else None

    for i, (c, nb) in enumerate(zip(chapters, notebooks.values())):
        (tmp / c.href).write_text(export(nb, {"prev": link(i - 1), "next": link(i + 1)}), encoding="utf-8")
    write_index(chapters, tmp, quick)
    swap_in(tmp, out)
    return chapters


def swap_in(tmp: Path, out: Path) -> None:
    """Replace the folder ``out`` by the finished ``tmp`` (a failed build never gets here)."""
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "book", help="the site's folder")
    parser.add_argument("--cache", type=Path, default=REPO / "build" / "cache",
                        help="executed notebooks and synthesis results, kept between builds")
    parser.add_argument("--quick", action="store_true", help="tiny images and few steps (the test path)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        chapters = build(args.out, args.cache, args.quick)
    except BookError as err:
        print(f"book: {err}", file=sys.stderr)
        return 1
    pictures = sum(c.pictures for c in chapters)
    print(f"book: {len(chapters)} chapters, {pictures} pictures in {time.perf_counter() - start:.1f} s: "
          f"open {args.out.resolve() / 'index.html'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
