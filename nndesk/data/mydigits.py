"""The person's own digits: drawings they corrected on the pad, kept as 28x28 images.

The collection lives in one file, ``my_digits.npz`` in :func:`nndesk.paths.data_dir`
(``NNDESK_DATA_DIR`` overrides the folder). It is a plain NumPy archive read without
pickle: ``images`` (uint8, N x 28 x 28, 0-255, ink bright on black as in MNIST) and
``labels`` (int64, N). Every change is written straight away through a temporary file
and a rename, so closing the program at any moment never loses or half-writes it.

A file that cannot be read as a collection is never overwritten: it is renamed to
``my_digits.damaged-<date>-<time>.npz`` beside it, the collection starts empty, and
:attr:`MyDigits.message` says what happened (the window shows it).

Uses of the collection:

- an extra test set: :meth:`MyDigits.as_dataset` (everything in the test split), to be
  passed to ``nndesk.workflow.evaluate``;
- exports: :meth:`MyDigits.export_idx` writes the two standard IDX files,
  :meth:`MyDigits.export_csv` one CSV (label, then 784 values 0-255);
- mixed into training: :func:`mix_into` appends ``copies`` copies of every digit to a
  training set, so a few dozen drawings weigh something against 60,000 MNIST digits.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import numpy as np

from nndesk import paths
from nndesk.data.datasets import DIGITS, Dataset
from nndesk.data.fileio import write_atomic

FILE_NAME = "my_digits.npz"
SHAPE = (28, 28)
PIXELS = SHAPE[0] * SHAPE[1]
MAX_LABEL = 255  # IDX label files hold one unsigned byte per label


def default_path() -> Path:
    """Where the collection is kept: ``data_dir()/my_digits.npz``."""
    return paths.data_dir() / FILE_NAME


def to_uint8(image) -> np.ndarray:
    """A (28, 28) uint8 image (0-255) from a float image in [0, 1], (28, 28) or (784,)."""
    array = np.asarray(image)
    if array.shape not in ((PIXELS,), SHAPE):
        raise ValueError(f"expected a 28x28 image (or 784 values), got shape {array.shape}")
    if np.issubdtype(array.dtype, np.integer):
        values = array.astype(np.int64)
        if values.min() < 0 or values.max() > 255:
            raise ValueError("integer pixel values must be from 0 to 255")
        return values.reshape(SHAPE).astype(np.uint8)
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("the image holds values that are not finite numbers")
    return np.round(np.clip(values, 0.0, 1.0) * 255).reshape(SHAPE).astype(np.uint8)


class MyDigits:
    """The collection, loaded from ``path`` (default :func:`default_path`) when created.

    ``images`` (uint8, N x 28 x 28) and ``labels`` (int64, N) are read-only arrays;
    change the collection with :meth:`add`, :meth:`remove` and :meth:`clear`, each of
    which saves at once and raises OSError if the file cannot be written (the change
    is then undone in memory too, so what is shown is what is saved).
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()
        self.message: str | None = None
        self._images = np.zeros((0, *SHAPE), dtype=np.uint8)
        self._labels = np.zeros(0, dtype=np.int64)
        self.reload()

    # --- reading --------------------------------------------------------------------

    def reload(self) -> None:
        """Read the file again; a damaged file is set aside (see the module docstring)."""
        self.message = None
        try:
            images, labels = _read(self.path)
        except FileNotFoundError:
            images, labels = np.zeros((0, *SHAPE), np.uint8), np.zeros(0, np.int64)
        except Exception as exc:  # noqa: BLE001 - any damage: set the file aside, never crash
            images, labels = np.zeros((0, *SHAPE), np.uint8), np.zeros(0, np.int64)
            self.message = self._set_aside(exc)
        self._set(images, labels)

    def _set_aside(self, problem: Exception) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.stem}.damaged-{stamp}{self.path.suffix}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.stem}.damaged-{stamp}-{n}{self.path.suffix}")
        try:
            self.path.rename(target)
            kept = f"it was kept as {target.name}"
        except OSError as exc:
            kept = f"it could not be renamed ({exc.strerror or exc}) and will be replaced " \
                   f"when a digit is added"
        return (f"Your digits file {self.path} could not be read ({_reason(problem)}); "
                f"{kept} and a new, empty collection was started.")

    def _set(self, images: np.ndarray, labels: np.ndarray) -> None:
        images.flags.writeable = False
        labels.flags.writeable = False
        self._images, self._labels = images, labels

    @property
    def images(self) -> np.ndarray:
        """uint8 (N, 28, 28), 0-255, ink bright on black (read-only)."""
        return self._images

    @property
    def labels(self) -> np.ndarray:
        """int64 (N,) (read-only)."""
        return self._labels

    def __len__(self) -> int:
        return len(self._labels)

    def x(self) -> np.ndarray:
        """float32 (N, 784) in [0, 1]: the images as a network takes them."""
        return self._images.reshape(len(self), PIXELS).astype(np.float32) / 255.0

    def counts(self) -> dict[int, int]:
        """How many digits each label has, e.g. {3: 2, 7: 5}."""
        values, counts = np.unique(self._labels, return_counts=True)
        return {int(v): int(c) for v, c in zip(values, counts)}

    # --- changing -------------------------------------------------------------------

    def add(self, image28, label: int) -> int:
        """Add one image (float in [0, 1] or uint8 0-255, 28x28 or 784) with its label.

        Returns its index. Raises ValueError for a bad image or a label outside 0-255,
        OSError if the file cannot be written.
        """
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
                or not 0 <= int(label) <= MAX_LABEL:
            raise ValueError(f"the label must be a whole number from 0 to {MAX_LABEL}, got {label!r}")
        image = to_uint8(image28)
        self._change(np.concatenate([self._images, image[None]]),
                     np.concatenate([self._labels, np.array([int(label)], dtype=np.int64)]))
        return len(self) - 1

    def remove(self, indices) -> None:
        """Remove the digits at these indices (any order; out-of-range ones are an error)."""
        index = np.unique(np.asarray(list(indices) if not np.isscalar(indices) else [indices],
                                     dtype=np.int64))
        if index.size and (index.min() < -len(self) or index.max() >= len(self)):
            raise IndexError(f"the collection has {len(self)} digits; cannot remove {index.tolist()}")
        keep = np.ones(len(self), dtype=bool)
        keep[index] = False
        self._change(self._images[keep], self._labels[keep])

    def clear(self) -> None:
        """Remove every digit."""
        self._change(self._images[:0], self._labels[:0])

    def _change(self, images: np.ndarray, labels: np.ndarray) -> None:
        images = np.ascontiguousarray(images, dtype=np.uint8)
        labels = np.ascontiguousarray(labels, dtype=np.int64)
        buffer = io.BytesIO()
        np.savez(buffer, images=images, labels=labels)
        write_atomic(self.path, buffer.getvalue())
        self._set(images, labels)

    # --- using ----------------------------------------------------------------------

    def as_dataset(self, class_names: list[str] | None = None) -> Dataset:
        """The collection as a test set (empty training split), for ``workflow.evaluate``.

        ``class_names`` default to the digits "0".."9" (more names if a label is 10 or more).
        """
        if class_names is None:
            top = int(self._labels.max()) + 1 if len(self) else 10
            class_names = list(DIGITS) if top <= 10 else [str(i) for i in range(top)]
        return Dataset(name="my digits", x_train=np.zeros((0, PIXELS), np.float32),
                       y_train=np.zeros(0, np.int64), x_test=self.x(),
                       y_test=self._labels.copy(), class_names=list(class_names),
                       image_shape=SHAPE,
                       note=f"your own digits: {len(self)} drawings from the pad ({self.path})")

    def export_idx(self, folder: str | Path, split: str = "train") -> list[Path]:
        """Write ``{split}-images-idx3-ubyte`` and ``{split}-labels-idx1-ubyte`` into ``folder``.

        ``split`` is "train" (default) or "t10k". These are the standard uncompressed
        MNIST files. Note that ``load_dataset`` on a folder needs all four files (train
        and t10k); export twice, or copy MNIST's t10k files beside these, to train on them.
        Returns the two paths. Raises OSError if they cannot be written.
        """
        if split not in ("train", "t10k"):
            raise ValueError(f"split must be 'train' or 't10k', got {split!r}")
        folder = Path(folder)
        images_path = folder / f"{split}-images-idx3-ubyte"
        labels_path = folder / f"{split}-labels-idx1-ubyte"
        write_atomic(images_path, idx_bytes(self._images))
        write_atomic(labels_path, idx_bytes(self._labels.astype(np.uint8)))
        return [images_path, labels_path]

    def export_csv(self, path: str | Path) -> Path:
        """Write one CSV: a header row, then per digit its label and 784 pixel values 0-255.

        The format ``load_dataset`` and ``read_csv`` read (``label,pixel0,...,pixel783``).
        """
        path = Path(path)
        rows = np.hstack([self._labels[:, None], self._images.reshape(len(self), PIXELS)])
        lines = ["label," + ",".join(f"pixel{i}" for i in range(PIXELS))]
        lines += [",".join(map(str, row)) for row in rows.tolist()]
        write_atomic(path, ("\n".join(lines) + "\n").encode("ascii"))
        return path


def idx_bytes(array: np.ndarray) -> bytes:
    """The bytes of an unsigned-byte IDX file holding ``array`` (labels 1-D, images 3-D)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = (0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.tobytes()


def mix_into(x_train: np.ndarray, y_train: np.ndarray, digits: MyDigits | None = None,
             copies: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A training set with the person's digits mixed in.

    Returns new arrays: ``x_train`` (float32, N x 784 in [0, 1]) and ``y_train`` with
    ``copies`` copies of every digit in the collection (``MyDigits()`` when ``digits`` is
    None) inserted at seeded random positions. Augmentation, if on, makes each copy a
    little different. With an empty collection the inputs are returned unchanged.
    Raises ValueError if the training set does not hold 784 features per sample.
    """
    digits = MyDigits() if digits is None else digits
    x_train = np.asarray(x_train)
    if x_train.ndim != 2 or x_train.shape[1] != PIXELS:
        raise ValueError(f"my digits are 28x28 images (784 values) but the training set has "
                         f"shape {x_train.shape}")
    if copies < 0:
        raise ValueError(f"copies must be 0 or more, got {copies}")
    if len(digits) == 0 or copies == 0:
        return x_train, y_train
    extra_x = np.tile(digits.x(), (copies, 1)).astype(x_train.dtype, copy=False)
    extra_y = np.tile(digits.labels, copies).astype(np.asarray(y_train).dtype, copy=False)
    x = np.concatenate([x_train, extra_x])
    y = np.concatenate([y_train, extra_y])
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], y[order]


def _read(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels from the file; ValueError (or OSError) when it is not a collection."""
    data = path.read_bytes()
    if not data:
        raise ValueError("the file is empty")
    archive = np.load(io.BytesIO(data), allow_pickle=False)
    if not hasattr(archive, "files"):
        raise ValueError("it is a single NumPy array, not a .npz archive")
    with archive:
        if "images" not in archive.files or "labels" not in archive.files:
            raise ValueError("it does not hold 'images' and 'labels'")
        images, labels = archive["images"], archive["labels"]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != SHAPE:
        raise ValueError(f"its images are {images.dtype} {images.shape}, not uint8 N x 28 x 28")
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"its labels ({labels.dtype} {labels.shape}) do not match "
                         f"{len(images)} images")
    if len(labels) and (labels.min() < 0 or labels.max() > MAX_LABEL):
        raise ValueError("it holds labels outside 0-255")
    return images.copy(), labels.astype(np.int64)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return exc.strerror or str(exc)
    if isinstance(exc, (zipfile.BadZipFile, EOFError)):
        return "it is not a complete NumPy archive"
    return str(exc) or type(exc).__name__
