"""Tests of nst_edu.teaching.catalog: fake entries with synthetic bytes, local servers only."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nst_edu.errors import CatalogError
from nst_edu.teaching import catalog
from nst_edu.teaching.catalog import CatalogEntry

SHARED = Path(__file__).resolve().parents[2] / "shared" / "images"
PAYLOAD = b"\x89PNG fake image bytes " * 100
FILENAME = "fake-image.png"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def _entry(url: str, payload: bytes = PAYLOAD) -> CatalogEntry:
    return CatalogEntry(
        name="fake_image", filename=FILENAME, title="Fake", artist="Nobody", year=None,
        role="style", url=url, sha256=hashlib.sha256(payload).hexdigest(), licence="CC0",
        public_domain=True, width=1, height=1, attribution="synthetic",
    )


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache, no mirror configured, and one fake catalogue entry."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("NST_EDU_DATA_DIR", str(folder))
    monkeypatch.delenv("NST_EDU_MIRROR", raising=False)
    dead = f"http://127.0.0.1:{_closed_port()}/x.png"
    monkeypatch.setattr(catalog, "entries", lambda: [_entry(dead)])
    return folder


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving a folder; yields (base URL, folder)."""
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ------------------------------------------------------------------------ catalogue data
def test_real_catalogue_is_complete_and_flags_licences() -> None:
    all_entries = catalog.entries()
    assert len({e.name for e in all_entries}) == len(all_entries)
    for e in all_entries:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e.name)
        assert e.url.endswith("/" + e.filename) and re.fullmatch(r"[0-9a-f]{64}", e.sha256)
        assert e.role in ("content", "style") and e.width > 0 and e.height > 0
    assert catalog.names("content") == ["tubingen"]
    tubingen, nude = catalog.get_entry("tubingen"), catalog.get_entry("seated_nude")
    assert not tubingen.public_domain and "Andreas Praefcke, CC BY 3.0" in tubingen.attribution
    assert not nude.public_domain and "download-on-demand" in (nude.note or "")
    assert catalog.get_entry("starry_night").public_domain


@pytest.mark.parametrize("alias", ["seated_nude", "Seated-Nude", "seated-nude.jpg", "SEATED_NUDE"])
def test_get_entry_aliases(alias: str) -> None:
    assert catalog.get_entry(alias).filename == "seated-nude.jpg"


def test_unknown_name_and_role_list_valid_choices() -> None:
    with pytest.raises(CatalogError, match=r"'mona_lisa'; use one of: .*starry_night.* catalog`"):
        catalog.get_entry("mona_lisa")
    with pytest.raises(CatalogError, match="'content' or 'style'"):
        catalog.names("painting")


def test_format_catalog_lists_everything() -> None:
    table = catalog.format_catalog()
    for e in catalog.entries():
        assert e.name in table and e.artist in table
    assert re.search(r"seated_nude .*Picasso .*1910 .*style .*NO", table)
    assert "public domain" in table.splitlines()[0]


def test_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NST_EDU_DATA_DIR", str(tmp_path))
    assert catalog.data_dir() == tmp_path
    monkeypatch.delenv("NST_EDU_DATA_DIR")
    assert catalog.data_dir() == Path(catalog.__file__).resolve().parents[2] / "data" / "cache"  # the checkout


def test_an_installed_package_caches_images_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nst_edu.machinery import paths

    monkeypatch.delenv("NST_EDU_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(paths, "_ABOVE", tmp_path / "site-packages")  # what a wheel install looks like
    assert paths.checkout_root() is None
    assert catalog.data_dir() == tmp_path / "xdg" / "nst-edu" / "images"
    # and everything the package reads at run time is inside the package
    assert paths.PACKAGE_DATA.parent == Path(catalog.__file__).resolve().parents[1]  # nst_edu/
    for name in ("catalog.json", "vgg19_caffe_filter_means.pt"):
        assert (paths.PACKAGE_DATA / name).is_file()


@pytest.mark.skipif(not (SHARED / "SOURCES.md").exists(), reason="no shared image mirror here")
def test_catalogue_agrees_with_sources_md() -> None:
    rows = re.findall(r"^\| (\S+\.jpg) \| (\w+) \+ \S+ \| ([0-9a-f]{64}) \| (\d+)x(\d+) \|",
                      (SHARED / "SOURCES.md").read_text(encoding="utf-8"), flags=re.M)
    assert len(rows) >= 8
    by_file = {e.filename: e for e in catalog.entries()}
    for filename, base, sha, width, height in rows:
        e = by_file[filename]
        assert (e.sha256, e.width, e.height) == (sha, int(width), int(height))
        repo = {"NS": "jcjohnson/neural-style/", "FNS": "jcjohnson/fast-neural-style/"}[base]
        assert repo in e.url
    assert len(by_file) == len(rows)


# ----------------------------------------------------------------------------- fetching
def test_mirror_directory_then_cache_hit(cache: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / FILENAME).write_bytes(PAYLOAD)
    path = catalog.fetch("Fake-Image", mirror=mirror)
    assert path == cache / FILENAME and path.read_bytes() == PAYLOAD
    (mirror / FILENAME).unlink()
    assert catalog.fetch("fake_image") == path  # verified cache: no source needed
    assert _leftovers(cache) == [FILENAME]


def test_mirror_from_environment(cache: Path, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / FILENAME).write_bytes(PAYLOAD)
    monkeypatch.setenv("NST_EDU_MIRROR", str(tmp_path))
    assert catalog.fetch("fake_image").read_bytes() == PAYLOAD


def test_corrupt_cache_is_refetched(cache: Path, tmp_path: Path) -> None:
    cache.mkdir()
    (cache / FILENAME).write_bytes(b"stale")
    (tmp_path / FILENAME).write_bytes(PAYLOAD)
    assert catalog.fetch("fake_image", mirror=tmp_path).read_bytes() == PAYLOAD


def test_mirror_http_base_url(cache: Path, server: tuple[str, Path]) -> None:
    base, root = server
    (root / FILENAME).write_bytes(PAYLOAD)
    assert catalog.fetch("fake_image", mirror=base + "/").read_bytes() == PAYLOAD


def test_http_404_is_reported(cache: Path, server: tuple[str, Path]) -> None:
    with pytest.raises(CatalogError, match=r"fake-image.png \(HTTP 404 .*NST_EDU_MIRROR"):
        catalog.fetch("fake_image", mirror=server[0], timeout=5)


def test_mirror_file_url(cache: Path, tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_bytes(PAYLOAD)
    assert catalog.fetch("fake_image", mirror=tmp_path.as_uri()).read_bytes() == PAYLOAD


def test_pinned_url_fallback(cache: Path, server, tmp_path: Path, monkeypatch) -> None:
    base, root = server
    (root / "pinned.png").write_bytes(PAYLOAD)
    monkeypatch.setattr(catalog, "entries", lambda: [_entry(base + "/pinned.png")])
    empty_mirror = tmp_path / "empty"
    empty_mirror.mkdir()
    assert catalog.fetch("fake_image", mirror=empty_mirror).read_bytes() == PAYLOAD


def test_checksum_mismatch_names_hashes_and_leaves_nothing(cache: Path, tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_bytes(b"not the right bytes")
    with pytest.raises(CatalogError) as info:
        catalog.fetch("fake_image", mirror=tmp_path)
    message = str(info.value)
    assert "checksum mismatch" in message
    assert hashlib.sha256(PAYLOAD).hexdigest() in message
    assert hashlib.sha256(b"not the right bytes").hexdigest() in message
    assert _leftovers(cache) == []


def test_offline_error_says_what_was_tried_and_how_to_fix(cache: Path, tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as info:
        catalog.fetch("fake_image", mirror=tmp_path / "missing", timeout=2)
    message = str(info.value)
    assert f"{tmp_path / 'missing' / FILENAME} (No such file or directory)" in message
    assert "http://127.0.0.1:" in message  # then the pinned URL
    assert "set NST_EDU_MIRROR to a folder holding fake-image.png" in message
    assert str(cache / FILENAME) in message and "\n" not in message
    assert _leftovers(cache) == []


def test_interrupt_mid_download_leaves_no_partial_file(cache: Path, monkeypatch) -> None:
    class Interrupted(io.BytesIO):
        def read(self, n: int = -1) -> bytes:
            if self.tell() > 0:
                raise KeyboardInterrupt
            return super().read(100)

    monkeypatch.setattr(catalog, "_open_source", lambda source, timeout: Interrupted(PAYLOAD))
    with pytest.raises(KeyboardInterrupt):
        catalog.fetch("fake_image")
    assert _leftovers(cache) == []


def test_oversized_download_is_refused(cache: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(catalog, "MAX_DOWNLOAD_BYTES", 10)
    (tmp_path / FILENAME).write_bytes(PAYLOAD)
    with pytest.raises(CatalogError, match="larger than 10 bytes"):
        catalog.fetch("fake_image", mirror=tmp_path)
    assert _leftovers(cache) == []


_MIRROR = os.environ.get("NST_EDU_MIRROR", "")


@pytest.mark.skipif(not _MIRROR or not Path(_MIRROR).is_dir(), reason="NST_EDU_MIRROR not set")
@pytest.mark.parametrize("name", [e.name for e in catalog.entries()])
def test_every_catalogue_image_verifies_from_mirror(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NST_EDU_DATA_DIR", str(tmp_path))
    entry = catalog.get_entry(name)
    # An unreachable pinned URL proves the bytes came from the mirror, not the internet.
    offline = dataclasses.replace(entry, url=f"http://127.0.0.1:{_closed_port()}/x.jpg")
    monkeypatch.setattr(catalog, "entries", lambda: [offline])
    path = catalog.fetch(name)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256
