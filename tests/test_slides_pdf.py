"""The deck's PDF handout (``book/slides.py::print_pdf``): a Chromium launch or a MathJax wait that fails once is
tried again, and a failure names what happened (#40: "no Chromium" was printed while /usr/bin/chromium was there
and the real error was something else). A fake playwright stands in for the browser, so no Chromium is needed."""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load():
    name = "book_slides"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "book" / "slides.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


slides = _load()


class _Page:
    def __init__(self, browser: "_Browser") -> None:
        self.browser = browser

    def route(self, *_: object) -> None:
        pass

    def goto(self, *_: object) -> None:
        pass

    def wait_for_function(self, *_: object, **__: object) -> None:
        if self.browser.fake.waits_failing:
            self.browser.fake.waits_failing -= 1
            raise TimeoutError("Timeout 120000ms exceeded.")

    def evaluate(self, *_: object) -> None:
        pass

    def pdf(self, path: str, **_: object) -> None:
        Path(path).write_bytes(b"%PDF /Type /Page /Type /Page /Type /Pages")


class _Browser:
    def __init__(self, fake: "_Playwright") -> None:
        self.fake = fake

    def new_page(self, **_: object) -> _Page:
        return _Page(self)

    def close(self) -> None:
        self.fake.closed += 1


class _Playwright:
    """``sync_playwright`` whose launches and waits fail a given number of times first."""

    def __init__(self, launches_failing: int = 0, waits_failing: int = 0) -> None:
        self.launches_failing, self.waits_failing = launches_failing, waits_failing
        self.launches = self.closed = 0
        self.chromium = self

    def launch(self, **_: object) -> _Browser:
        self.launches += 1
        if self.launches_failing:
            self.launches_failing -= 1
            raise RuntimeError("BrowserType.launch: Target page, context or browser has been closed\nBrowser logs: …")
        return _Browser(self)

    def __call__(self) -> "_Playwright":
        return self

    def __enter__(self) -> "_Playwright":
        return self

    def __exit__(self, *_: object) -> None:
        pass


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    def install(**failing: int) -> _Playwright:
        pw = _Playwright(**failing)
        module = types.ModuleType("playwright.sync_api")
        module.sync_playwright = pw
        monkeypatch.setitem(sys.modules, "playwright.sync_api", module)
        monkeypatch.setattr(slides, "CHROMIUM", sys.executable)  # a file that exists: "the browser is there"
        return pw
    return install


def test_a_launch_that_fails_once_is_tried_again(fake, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pw = fake(launches_failing=1)
    assert slides.print_pdf(tmp_path / "index.html", tmp_path / "deck.pdf") == 2
    assert pw.launches == 2
    assert "did not start" in capsys.readouterr().err and (tmp_path / "deck.pdf").exists()


def test_a_mathjax_wait_that_fails_once_is_tried_again(fake, tmp_path: Path) -> None:
    pw = fake(waits_failing=1)
    assert slides.print_pdf(tmp_path / "index.html", tmp_path / "deck.pdf") == 2
    assert pw.launches == 2 and pw.closed == 2  # the first browser was closed, not left running


def test_the_error_names_what_happened_not_a_missing_chromium(fake, tmp_path: Path) -> None:
    fake(launches_failing=5)
    with pytest.raises(slides.BookError) as info:
        slides.print_pdf(tmp_path / "index.html", tmp_path / "deck.pdf")
    message = str(info.value)
    assert "no Chromium" not in message and "\n" not in message
    assert message.count("Target page, context or browser has been closed") == 2  # each try's own error
    assert "in 2 tries" in message and "--no-pdf" in message and "kept in the cache" in message
