"""Reading whole files with plain errors, and writing files atomically."""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path

from nndesk.data.errors import DataError

GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: Path) -> bytes:
    """The file's bytes; DataError if it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def gunzip(data: bytes, path: Path) -> bytes:
    """Decompress gzip data read from ``path``; DataError if it is truncated or damaged."""
    try:
        return gzip.decompress(data)
    except EOFError:
        raise DataError(f"{path}: the gzip data is truncated (the file ends too early)") from None
    except (OSError, zlib.error) as exc:
        raise DataError(f"{path}: the gzip data is damaged ({exc})") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Readers see either the old file or the complete new one, never half a file.
    Raises OSError if the folder cannot be created or written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
