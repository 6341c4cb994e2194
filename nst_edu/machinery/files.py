"""Atomic file writing: readers see the old file or the whole new one, never half of one."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from nst_edu.errors import NstEduError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    The temporary file lives in the same folder, so the final ``os.replace`` is an atomic rename
    rather than a copy. It is removed on any failure, KeyboardInterrupt included. The result gets
    the permissions a plain ``open()`` would give (``mkstemp`` alone makes it private).

    Example:
        >>> with atomic_path("out.png") as tmp:   # doctest: +SKIP
        ...     image.save(tmp, format="PNG")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_folder(path: str | os.PathLike, option: str, target: str | os.PathLike | None = None,
                 error: type[NstEduError] = NstEduError) -> Path:
    """A folder that files will be written into, checked before any work: nothing in the way, writable.

    It need not exist yet (``atomic_path`` creates it). Raises a one-line ``error`` naming ``option``
    (e.g. ``"--out"``) when a file stands where it or a parent folder must be, or when the nearest
    existing folder cannot be written to; ``target`` is what the message says cannot be created (the
    folder itself by default, or a file to be written in it).
    """
    folder = Path(path)
    target = folder if target is None else target
    for part in [folder, *folder.parents]:
        if part.exists():
            if not part.is_dir():
                raise error(f"{part} is a file, so {target} cannot be created: choose another {option}")
            if not os.access(part, os.W_OK | os.X_OK):
                raise error(f"cannot write in {part} (no permission): choose another {option}")
            break
    return folder

