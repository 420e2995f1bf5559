"""The bundled MNIST digits, verified against known hashes and cached decoded.

The four gzip IDX files live in ``resources/datasets/mnist/``. The first load
decompresses them, checks each against its SHA-256, and keeps the decompressed file
in ``nndesk.paths.cache_dir()/mnist/``. Later loads read the cached file and check the
same SHA-256 again, so a damaged or stale cache is noticed and rebuilt. Caching is
best effort: if the cache folder cannot be written the load still succeeds.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from nndesk import paths
from nndesk.data.errors import DataError
from nndesk.data.fileio import gunzip, read_bytes, write_atomic
from nndesk.data.idx import parse_idx

log = logging.getLogger(__name__)

# Decompressed file name -> (SHA-256, size in bytes) of the decompressed IDX data.
FILES = {
    "train-images-idx3-ubyte": (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47_040_016),
    "train-labels-idx1-ubyte": (
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60_008),
    "t10k-images-idx3-ubyte": (
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7_840_016),
    "t10k-labels-idx1-ubyte": (
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10_008),
}
CLASS_NAMES = [str(d) for d in range(10)]
NOTE = ("MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0), "
        "bundled: 60,000 training and 10,000 test images of 28x28 pixels")


def bundled_dir() -> Path:
    """The folder holding the four bundled gzip files."""
    return paths.resource_dir() / "datasets" / "mnist"


def cache_path(name: str) -> Path:
    """Where the decompressed copy of one bundled file is cached."""
    return paths.cache_dir() / "mnist" / name


def load_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(train_images, train_labels, test_images, test_labels)`` as uint8 arrays.

    Images are (N, 28, 28), labels (N,); the arrays are read-only.
    """
    train_images, train_labels, test_images, test_labels = (_load_file(name) for name in FILES)
    return train_images, train_labels, test_images, test_labels


def _load_file(name: str) -> np.ndarray:
    sha256, size = FILES[name]
    cached = cache_path(name)
    data = _read_cache(cached, size)
    if data is None or hashlib.sha256(data).hexdigest() != sha256:
        source = bundled_dir() / f"{name}.gz"
        data = gunzip(read_bytes(source), source)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DataError(f"{source}: the bundled MNIST file is damaged (its SHA-256 does "
                            f"not match); reinstall nndesk")
        try:
            write_atomic(cached, data)
        except OSError as exc:
            log.warning("could not cache decoded MNIST in %s: %s", cached.parent, exc)
    return parse_idx(data, cached)


def _read_cache(path: Path, size: int) -> bytes | None:
    try:
        if path.stat().st_size != size:
            return None
        return path.read_bytes()
    except OSError:
        return None
