"""Datasets by name: the bundled MNIST, the XOR toy set, or the person's own files.

``load_dataset`` accepts

- ``"mnist"``: the bundled MNIST digits (see ``nndesk.data.mnist``);
- ``"xor"``: the 4-sample XOR toy set;
- ``"circle"``, ``"xor2d"``, ``"gauss"``, ``"spiral"``, ``"moons"``, ``"checkerboard"``: two-feature
  planes, generated (``nndesk.data.toy2d``; ``spiral:classes=3,noise=0.2``);
- a folder holding the four MNIST-format IDX files, gzip or not, named as MNIST names
  them (``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
  ``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``; ``test-`` for
  ``t10k-`` and ``.idx3-ubyte`` for ``-idx3-ubyte`` are accepted too), so
  Fashion-MNIST and other MNIST-format sets load the same way;
- a folder holding ``train.csv`` and ``test.csv`` (or exactly one CSV file whose name
  contains "train" and one whose name contains "test", e.g. ``mnist_train.csv``);
- a single CSV file, from which a test set is held out (see ``split.holdout_test``).

Class names for a folder or CSV file come from ``classes.txt`` (or ``class_names.txt``),
one name per line, in that folder; failing that, the Fashion-MNIST names if the folder
or file name contains "fashion"; failing that, the digits "0".."9". Every label must
be in 0..len(class_names)-1.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nndesk.data import mnist, toy2d
from nndesk.data.csvfile import read_csv
from nndesk.data.errors import DataError
from nndesk.data.fileio import read_bytes
from nndesk.data.idx import read_idx
from nndesk.data.split import HOLDOUT_EVERY, holdout_test

DIGITS = [str(d) for d in range(10)]
FASHION_CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CLASS_FILES = ("classes.txt", "class_names.txt")
IDX_FILES = {  # role -> the standard file name, for messages
    "train-images": "train-images-idx3-ubyte[.gz]",
    "train-labels": "train-labels-idx1-ubyte[.gz]",
    "test-images": "t10k-images-idx3-ubyte[.gz]",
    "test-labels": "t10k-labels-idx1-ubyte[.gz]",
}
_IDX_NAME = re.compile(r"^(train|t10k|test)-(images|labels)[-.]idx[13]-ubyte(\.gz)?$", re.I)
ACCEPTED = ('"mnist", "xor", a toy plane (circle, xor2d, gauss, spiral, moons, checkerboard), a folder holding the four MNIST-format IDX files '
            "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
            "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]), "
            "a folder holding train.csv and test.csv, or one .csv file")


@dataclass
class Dataset:
    """A labelled train/test set, ready to train on."""

    name: str                # "mnist", "xor", or the path given
    x_train: np.ndarray      # float32 (N, F), images flattened row-major, values in [0, 1]
    y_train: np.ndarray      # int64 (N,)
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    image_shape: tuple[int, int] | None   # (rows, columns) for images, None otherwise
    note: str                # one line: where it came from, how a test split was held out


def load_dataset(name: str | os.PathLike) -> Dataset:
    """Load a dataset by name or path (see the module docstring); DataError if impossible."""
    given = os.fspath(name) if isinstance(name, (str, os.PathLike)) else None
    if not isinstance(given, str) or not given.strip():
        raise DataError(f"no dataset named {name!r}; expected {ACCEPTED}")
    if given.strip().lower() == "mnist":
        return _load_mnist()
    if given.strip().lower() == "xor":
        return _load_xor()
    toy = toy2d.parse(given)
    if toy is not None:
        return _load_toy(given.strip(), *toy)
    path = Path(given).expanduser()
    if path.is_dir():
        return _load_folder(path, given)
    if path.is_file():
        if path.suffix.lower() != ".csv":
            raise DataError(f"{path}: is not a .csv file; expected {ACCEPTED}")
        return _load_single_csv(path, given)
    raise DataError(f"unknown dataset {given!r} (no such file or folder); expected {ACCEPTED}")


def _load_mnist() -> Dataset:
    x_train, y_train, x_test, y_test = mnist.load_mnist()
    return Dataset("mnist", _scale(x_train), y_train.astype(np.int64), _scale(x_test),
                   y_test.astype(np.int64), list(mnist.CLASS_NAMES), (28, 28), mnist.NOTE)


def _load_xor() -> Dataset:
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return Dataset("xor", x, y, x.copy(), y.copy(), ["0", "1"], None,
                   "XOR toy set: 4 samples of 3 inputs (the third is always 1, a bias input); "
                   "train and test are the same 4 samples")


def _load_toy(name: str, base: str, settings: dict) -> Dataset:
    x, y = toy2d.generate(base, settings)
    test = np.zeros(len(y), bool)
    test[np.random.default_rng(settings["seed"]).permutation(len(y))[::5]] = True
    classes = [str(c) for c in range(settings["classes"] if base in toy2d.MULTICLASS else 2)]
    return Dataset(name, x[~test], y[~test], x[test], y[test], classes, None,
                   f"{base}: {settings['points']} generated points of two features (x1, x2), "
                   f"noise {settings['noise']:g}, seed {settings['seed']}; every 5th is a test "
                   f"point")


def _load_folder(folder: Path, name: str) -> Dataset:
    idx_files = _find_idx_files(folder)
    if len(idx_files) == len(IDX_FILES):
        return _load_idx_folder(folder, idx_files, name)
    csv_pair = _find_csv_pair(folder)
    if csv_pair is not None:
        return _load_csv_folder(folder, *csv_pair, name)
    if idx_files:
        missing = ", ".join(f for role, f in IDX_FILES.items() if role not in idx_files)
        raise DataError(f"{folder}: some IDX files are missing: {missing}")
    raise DataError(f"{folder}: holds neither the four MNIST-format IDX files nor "
                    f"train.csv and test.csv; expected {ACCEPTED}")


def _list_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_file())
    except OSError as exc:
        raise DataError(f"{folder}: cannot be read ({exc.strerror or exc})") from None


def _find_idx_files(folder: Path) -> dict[str, Path]:
    """role -> path; uncompressed and ``t10k-`` names win over gzip and ``test-`` names."""
    found: dict[str, Path] = {}
    for path in sorted(_list_files(folder), key=lambda p: (p.suffix.lower() == ".gz", p.name)):
        match = _IDX_NAME.match(path.name)
        if match:
            role = f"{'train' if match[1].lower() == 'train' else 'test'}-{match[2].lower()}"
            found.setdefault(role, path)
    return found


def _find_csv_pair(folder: Path) -> tuple[Path, Path] | None:
    csvs = [p for p in _list_files(folder) if p.suffix.lower() == ".csv"]
    by_name = {p.name.lower(): p for p in csvs}
    if "train.csv" in by_name and "test.csv" in by_name:
        return by_name["train.csv"], by_name["test.csv"]
    train = [p for p in csvs if "train" in p.name.lower()]
    test = [p for p in csvs if "test" in p.name.lower()]
    if len(train) == 1 and len(test) == 1 and train != test:
        return train[0], test[0]
    return None


def _load_idx_folder(folder: Path, files: dict[str, Path], name: str) -> Dataset:
    class_names, origin = _class_names(folder, folder.name)
    arrays = {role: read_idx(path) for role, path in files.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}-images"], arrays[f"{part}-labels"]
        image_file, label_file = files[f"{part}-images"], files[f"{part}-labels"]
        if images.ndim != 3:
            raise DataError(f"{image_file}: holds labels, not images (magic number 0x00000801)")
        if labels.ndim != 1:
            raise DataError(f"{label_file}: holds images, not labels (magic number 0x00000803)")
        if len(images) != len(labels):
            raise DataError(f"{image_file} holds {len(images)} images but {label_file} holds "
                            f"{len(labels)} labels; the counts must agree")
        if len(images) == 0:
            raise DataError(f"{image_file}: holds no images")
        _check_labels(labels, class_names, label_file)
    shape = arrays["train-images"].shape[1:]
    if arrays["test-images"].shape[1:] != shape:
        raise DataError(f"{files['test-images']}: images are "
                        f"{'x'.join(map(str, arrays['test-images'].shape[1:]))} pixels but the "
                        f"training images are {'x'.join(map(str, shape))}")
    n_train, n_test = len(arrays["train-labels"]), len(arrays["test-labels"])
    return Dataset(name, _scale(arrays["train-images"]), arrays["train-labels"].astype(np.int64),
                   _scale(arrays["test-images"]), arrays["test-labels"].astype(np.int64),
                   class_names, (int(shape[0]), int(shape[1])),
                   f"MNIST-format IDX files in {folder}: {n_train} training and {n_test} test "
                   f"images of {shape[0]}x{shape[1]} pixels; class names {origin}")


def _load_csv_folder(folder: Path, train: Path, test: Path, name: str) -> Dataset:
    class_names, origin = _class_names(folder, folder.name)
    x_train, y_train = read_csv(train, len(class_names))
    x_test, y_test = read_csv(test, len(class_names))
    return Dataset(name, _scale(x_train), y_train, _scale(x_test), y_test, class_names,
                   (28, 28), f"CSV files {train.name} ({len(y_train)} training rows) and "
                   f"{test.name} ({len(y_test)} test rows) in {folder}; class names {origin}")


def _load_single_csv(path: Path, name: str) -> Dataset:
    class_names, origin = _class_names(path.parent, f"{path.parent.name}/{path.name}")
    x, y = read_csv(path, len(class_names))
    if len(y) < HOLDOUT_EVERY:
        raise DataError(f"{path}: has only {len(y)} data rows; at least {HOLDOUT_EVERY} are "
                        f"needed to hold out a test set")
    train, test = holdout_test(y, seed=0)
    return Dataset(name, _scale(x[train]), y[train], _scale(x[test]), y[test], class_names,
                   (28, 28), f"{path}: {len(y)} rows; the test set is every "
                   f"{HOLDOUT_EVERY}th row of each class after a seeded shuffle (seed 0): "
                   f"{len(test)} test and {len(train)} training rows; class names {origin}")


def _class_names(folder: Path, label: str) -> tuple[list[str], str]:
    """The class names and where they came from (for the note)."""
    for file_name in CLASS_FILES:
        path = folder / file_name
        if path.is_file():
            return _read_class_file(path), f"from {file_name}"
    if "fashion" in label.lower():
        return list(FASHION_CLASS_NAMES), "of Fashion-MNIST (the name contains 'fashion')"
    return list(DIGITS), "the digits 0-9 (no classes.txt)"


def _read_class_file(path: Path) -> list[str]:
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path}: is not UTF-8 text") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(names) < 2:
        raise DataError(f"{path}: lists {len(names)} class names; at least 2 are needed, "
                        f"one per line")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"{path}: lists the class name {duplicates[0]!r} more than once")
    return names


def _check_labels(labels: np.ndarray, class_names: list[str], path: Path) -> None:
    bad = labels >= len(class_names)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{path}: label {labels[i]} (item {i + 1}) is out of range for "
                        f"{len(class_names)} classes (0-{len(class_names) - 1}); list the class "
                        f"names, one per line, in {CLASS_FILES[0]} beside the data")


def _scale(pixels: np.ndarray) -> np.ndarray:
    """Pixel values 0-255 -> float32 (N, features) in [0, 1]."""
    return np.divide(pixels.reshape(len(pixels), -1), np.float32(255), dtype=np.float32)
