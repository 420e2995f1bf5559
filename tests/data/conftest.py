"""Fixtures for the data-layer tests: a private cache folder and small dataset files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from nndesk.data import load_dataset


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch) -> Path:
    """Every test gets an empty cache folder, never the person's own cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("NNDESK_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="session")
def mnist(tmp_path_factory):
    """The bundled MNIST, loaded once for the session (with its own cache folder)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNDESK_CACHE_DIR", str(tmp_path_factory.mktemp("mnist-cache")))
        return load_dataset("mnist")


def _idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file holding ``array`` (1-D labels or 3-D images)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 + array.ndim).to_bytes(4, "big")
    sizes = b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return magic + sizes + array.tobytes()


def _write_idx(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` as IDX, gzip-compressed if the name ends in .gz."""
    data = _idx_bytes(array)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def _csv_text(labels, pixels, header: bool = False) -> str:
    lines = ["label," + ",".join(f"pixel{i}" for i in range(784))] if header else []
    lines += [",".join(str(int(v)) for v in [label, *row]) for label, row in zip(labels, pixels)]
    return "\n".join(lines) + "\n"


def _small_set(n: int, seed: int, shape=(28, 28), classes: int = 10):
    """Random uint8 images (n, *shape) and labels cycling through the classes."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
    labels = (np.arange(n) % classes).astype(np.uint8)
    return images, labels


@pytest.fixture
def idx_folder(tmp_path):
    """A folder of the four standard IDX files (gzip), with the arrays written."""
    def make(name="digits", gz=True, shape=(28, 28), classes=10,
             names=("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")):
        folder = tmp_path / name
        folder.mkdir()
        train = _small_set(12, 1, shape, classes)
        test = _small_set(6, 2, shape, classes)
        suffix = ".gz" if gz else ""
        for file_name, array in zip(names, (*train, *test)):
            _write_idx(folder / f"{file_name}{suffix}", array)
        return folder, train, test
    return make


@pytest.fixture
def write_idx():
    """``write_idx(path, array)``: an IDX file, gzip if the name ends in .gz."""
    return _write_idx


@pytest.fixture
def idx_bytes():
    """``idx_bytes(array)``: the bytes of an uncompressed IDX file."""
    return _idx_bytes


@pytest.fixture
def csv_text():
    """``csv_text(labels, pixels, header=False)``: an MNIST-style CSV as text."""
    return _csv_text


@pytest.fixture
def small_set():
    """``small_set(n, seed, shape=(28, 28), classes=10)``: random images and labels."""
    return _small_set
