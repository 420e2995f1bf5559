"""Reader for IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a 4-byte magic number (two zero bytes, a type byte, the number of
dimensions), one big-endian 32-bit size per dimension, then the data row-major.
Only unsigned-byte data is read: 0x00000801 for labels (N,) and 0x00000803 for
images (N, rows, columns). The file may be gzip-compressed (detected from its content).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from nndesk.data.errors import DataError
from nndesk.data.fileio import GZIP_MAGIC, gunzip, read_bytes

LABELS_MAGIC = 0x00000801
IMAGES_MAGIC = 0x00000803


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX labels or images file (gzip or raw) into a uint8 array.

    Returns shape (N,) for labels or (N, rows, columns) for images. Raises DataError
    naming the file for an empty or truncated file, damaged gzip data, a bad magic
    number, or sizes that do not match the file length.
    """
    path = Path(path)
    data = read_bytes(path)
    if data.startswith(GZIP_MAGIC):
        data = gunzip(data, path)
    return parse_idx(data, path).copy()


def parse_idx(data: bytes, path: Path) -> np.ndarray:
    """Decode IDX bytes (already decompressed) into a read-only uint8 view of ``data``."""
    if not data:
        raise DataError(f"{path}: the file is empty")
    if len(data) < 4:
        raise DataError(f"{path}: too short for an IDX file ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic not in (LABELS_MAGIC, IMAGES_MAGIC):
        raise DataError(
            f"{path}: bad magic number 0x{magic:08X}; expected 0x{LABELS_MAGIC:08X} (labels) "
            f"or 0x{IMAGES_MAGIC:08X} (images), so this is not an unsigned-byte IDX file")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: the file ends inside its header ({len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(shape)
    found = len(data) - header
    if found != expected:
        dims = " x ".join(str(s) for s in shape)
        raise DataError(
            f"{path}: the header gives sizes {dims} ({expected} bytes of data) but the file "
            f"holds {found} bytes after the header, so it is {'truncated' if found < expected else 'too long'}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
