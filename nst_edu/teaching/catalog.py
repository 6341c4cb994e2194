"""The catalogue of the paper's images: where they come from, their licences, and fetching them.

The project never ships the image bytes. ``nst_edu/data/catalog.json`` records, for each image, a
commit-pinned URL, its SHA-256 and its licence; :func:`fetch` downloads the file on first use
(or copies it from a mirror), checks the SHA-256 and keeps it in :func:`data_dir`.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nst_edu.errors import CatalogError
from nst_edu.machinery.files import atomic_path
from nst_edu.machinery.paths import PACKAGE_DATA, checkout_root, image_cache_dir

CATALOG_PATH = PACKAGE_DATA / "catalog.json"
ROLES = ("content", "style")
# The catalogue images are < 1 MB; refuse anything absurd so a bad mirror cannot fill the disk.
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
_CHUNK = 1 << 16


@dataclass(frozen=True)
class CatalogEntry:
    """One image of the catalogue, as recorded in ``nst_edu/data/catalog.json``.

    Attributes:
        name: Stable snake_case name, e.g. ``"starry_night"``.
        filename: Exact file name at the source, e.g. ``"seated-nude.jpg"``.
        title: Title of the work.
        artist: Painter or photographer.
        year: Year of the work, or None when unknown.
        role: ``"content"`` (photograph) or ``"style"`` (painting).
        url: Commit-pinned URL, so the bytes never change.
        sha256: Hex SHA-256 of the file.
        licence: Licence in words.
        public_domain: Whether the work may be freely redistributed.
        width: Width in pixels.
        height: Height in pixels.
        attribution: Credit line to show next to the image or results made from it.
        paper_figure: Panel of Gatys et al. (2015) that uses it, e.g. ``"Fig. 2 B"``.
        note: Anything else a user must know (e.g. copyright restrictions).
    """

    name: str
    filename: str
    title: str
    artist: str
    year: int | None
    role: str
    url: str
    sha256: str
    licence: str
    public_domain: bool
    width: int
    height: int
    attribution: str
    paper_figure: str | None = None
    note: str | None = None


def entries() -> list[CatalogEntry]:
    """Read every entry of ``nst_edu/data/catalog.json``.

    Returns:
        The entries, in the catalogue's order.

    Raises:
        CatalogError: If the catalogue file is missing or malformed.
    """
    try:
        records = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))["images"]
        return [CatalogEntry(**record) for record in records]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogError(
            f"cannot read the catalogue {CATALOG_PATH}: {_one_line(exc)}; "
            "reinstall nst-edu, or in a checkout restore it (git checkout nst_edu/data/catalog.json)"
        ) from exc


def _key(name: str) -> str:
    # Users type "Seated-Nude", "seated_nude" or "seated-nude.jpg": all mean the same image.
    return name.strip().lower().replace("-", "_")


def get_entry(name: str) -> CatalogEntry:
    """Find an entry by name, file name or file stem (case-insensitive, ``-`` equals ``_``).

    Args:
        name: E.g. ``"starry_night"``, ``"seated-nude"`` or ``"tubingen.jpg"``.

    Returns:
        The matching entry.

    Raises:
        CatalogError: If no entry matches; the message lists the valid names.
    """
    all_entries = entries()
    if isinstance(name, str):
        wanted = _key(name)
        for entry in all_entries:
            if wanted in {_key(entry.name), _key(entry.filename), _key(Path(entry.filename).stem)}:
                return entry
    valid = ", ".join(e.name for e in all_entries)
    raise CatalogError(
        f"unknown catalogue image {name!r}; use one of: {valid} (see `python -m nst_edu catalog`)"
    )


def names(role: str | None = None) -> list[str]:
    """List the catalogue's names, optionally only those of one role.

    Args:
        role: None for all, or ``"content"`` / ``"style"``.

    Returns:
        The names, in the catalogue's order.

    Raises:
        CatalogError: If ``role`` is not None, ``"content"`` or ``"style"``.
    """
    if role is not None and role not in ROLES:
        raise CatalogError(f"unknown role {role!r}; use None, 'content' or 'style'")
    return [e.name for e in entries() if role is None or e.role == role]


def data_dir() -> Path:
    """Return the image cache: ``$NST_EDU_DATA_DIR``, else ``data/cache`` of a writable checkout,
    else the per-user cache folder (:func:`nst_edu.machinery.paths.image_cache_dir`)."""
    return image_cache_dir()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        text = f"HTTP {exc.code} {exc.reason}"
    else:  # URLError hides the cause in .reason; OSError repeats the path, .strerror does not
        text = str(getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc)
    return " ".join(text.split()) or type(exc).__name__


def _mirror_source(mirror: str | os.PathLike[str], filename: str) -> str:
    """Turn a mirror setting into the location of ``filename`` (a URL or a local path)."""
    text = os.fspath(mirror)
    if text.startswith(("http://", "https://", "file://")):
        return text.rstrip("/") + "/" + urllib.parse.quote(filename)
    folder = Path(text).expanduser()
    # CI sets a path relative to the repo root; notebooks run from notebooks/, so try both.
    root = checkout_root()
    if not folder.is_absolute() and not folder.is_dir() and root is not None and (root / folder).is_dir():
        folder = root / folder
    return str(folder / filename)


def _open_source(source: str, timeout: float) -> BinaryIO:
    """Open a URL or a local path for reading bytes (tests replace this)."""
    if "://" in source:
        request = urllib.request.Request(source, headers={"User-Agent": "nst-edu"})
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (pinned URLs)
    return open(source, "rb")  # noqa: SIM115 (closed by the caller)


class _ChecksumMismatch(Exception):
    def __init__(self, got: str) -> None:
        super().__init__(got)
        self.got = got


def _download(source: str, dest: Path, sha256: str, timeout: float) -> None:
    """Copy ``source`` to ``dest`` only if its SHA-256 matches; never leave a partial file.

    Raises:
        _ChecksumMismatch: If the bytes do not match ``sha256``.
        OSError: If the source cannot be read (URLError and timeouts are OSErrors).
    """
    # atomic_path also cleans up on KeyboardInterrupt: a half-written image must never look cached.
    with atomic_path(dest, suffix=".part") as tmp:
        digest, total = hashlib.sha256(), 0
        with tmp.open("wb") as out, _open_source(source, timeout) as stream:
            for chunk in iter(lambda: stream.read(_CHUNK), b""):
                total += len(chunk)
                if total > MAX_DOWNLOAD_BYTES:
                    raise OSError(f"larger than {MAX_DOWNLOAD_BYTES} bytes")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise _ChecksumMismatch(digest.hexdigest())


def fetch(
    name: str, *, mirror: str | os.PathLike[str] | None = None, timeout: float = 30
) -> Path:
    """Return a local, checksum-verified copy of a catalogue image, downloading it if needed.

    Sources, in order: the cache (if its SHA-256 matches), the mirror (``mirror`` or
    ``$NST_EDU_MIRROR``: a folder, or an ``http(s)://`` / ``file://`` base URL holding the
    file under its ``filename``), then the pinned URL.

    Args:
        name: Catalogue name, file name or stem (see :func:`get_entry`).
        mirror: Overrides ``$NST_EDU_MIRROR``.
        timeout: Seconds to wait for each network source.

    Returns:
        Path of the cached file in :func:`data_dir`.

    Raises:
        CatalogError: If the name is unknown, or no source gave bytes with the recorded SHA-256.
    """
    entry = get_entry(name)
    dest = data_dir() / entry.filename
    if dest.is_file() and _sha256_file(dest) == entry.sha256:
        return dest  # a mismatching cached file is silently replaced below
    if mirror is None:
        mirror = os.environ.get("NST_EDU_MIRROR") or None
    sources = ([_mirror_source(mirror, entry.filename)] if mirror else []) + [entry.url]
    tried: list[str] = []
    mismatch: tuple[str, str] | None = None
    for source in sources:
        try:
            _download(source, dest, entry.sha256, timeout)
            return dest
        except _ChecksumMismatch as exc:
            mismatch = mismatch or (source, exc.got)
            tried.append(f"{source} (checksum mismatch)")
        except (OSError, ValueError, http.client.HTTPException) as exc:
            tried.append(f"{source} ({_one_line(exc)})")
    if mismatch is not None:
        raise CatalogError(
            f"checksum mismatch for catalogue image {entry.name!r} from {mismatch[0]}: "
            f"expected sha256 {entry.sha256}, got {mismatch[1]}; the source holds a corrupt or "
            f"different file: replace it with the one from {entry.url} or put a verified copy "
            f"at {dest}"
        )
    raise CatalogError(
        f"cannot fetch catalogue image {entry.name!r}: tried {'; '.join(tried)}; "
        f"set NST_EDU_MIRROR to a folder holding {entry.filename} (e.g. ../shared/images) "
        f"or put the file at {dest}"
    )


def format_catalog() -> str:
    """Render the catalogue as a plain-text table (used by ``python -m nst_edu catalog``).

    Returns:
        Table with name, artist, year, role, licence and a public-domain flag, then a line
        per restricted image with its credit line and note.
    """
    header = ("name", "artist", "year", "role", "licence", "public domain")
    all_entries = entries()
    flag = {True: "yes", False: "NO"}
    rows = [header] + [
        (e.name, e.artist, str(e.year or "?"), e.role, e.licence, flag[e.public_domain])
        for e in all_entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    # Not public domain: say what the user owes (credit) or must not do (redistribute).
    notes = [f"{e.name}: {e.attribution}; {e.note or ''}" for e in all_entries
             if not e.public_domain]
    return "\n".join(lines + ([""] + notes if notes else []))
