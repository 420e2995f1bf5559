"""The bundled MNIST: contents, hashes and the decoded cache."""

import gzip
import hashlib
import logging

import numpy as np
import pytest

from nndesk.data import DataError, load_dataset
from nndesk.data import mnist as bundled

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_bundled_mnist_shapes_dtypes_and_ranges(mnist):
    assert mnist.name == "mnist"
    assert mnist.x_train.shape == (60000, 784) and mnist.x_test.shape == (10000, 784)
    assert mnist.x_train.dtype == np.float32 and mnist.x_test.dtype == np.float32
    assert mnist.y_train.dtype == np.int64 and mnist.y_test.dtype == np.int64
    assert mnist.x_train.min() == 0.0 and mnist.x_train.max() == 1.0
    assert mnist.x_test.min() == 0.0 and mnist.x_test.max() == 1.0
    assert mnist.class_names == [str(d) for d in range(10)]
    assert mnist.image_shape == (28, 28)
    assert "LeCun" in mnist.note and "CC BY-SA 3.0" in mnist.note


def test_bundled_mnist_label_counts(mnist):
    assert np.bincount(mnist.y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.y_test).tolist() == TEST_COUNTS


def test_pixels_are_grey_levels_over_255(mnist):
    levels = np.unique(mnist.x_test[:200]) * 255
    assert np.allclose(levels, np.round(levels), atol=1e-4)
    assert len(levels) > 200


def test_bundled_files_match_their_md5():
    expected = {"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
                "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
                "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
                "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"}
    bundled.load_mnist()  # fills the cache with the verified, decompressed files
    for name, md5 in expected.items():
        assert hashlib.md5(bundled.cache_path(name).read_bytes()).hexdigest() == md5


def test_second_load_reads_the_cache(monkeypatch, private_cache):
    first = bundled.load_mnist()
    assert sorted(p.name for p in (private_cache / "mnist").iterdir()) == sorted(bundled.FILES)
    for name, (_, size) in bundled.FILES.items():
        assert bundled.cache_path(name).stat().st_size == size

    def no_gunzip(*args):
        raise AssertionError("the bundled gzip file was read again")

    monkeypatch.setattr(bundled, "gunzip", no_gunzip)
    second = bundled.load_mnist()
    for a, b in zip(first, second):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("damage", ["same-size garbage", "truncated", "stale version"])
def test_damaged_cache_is_rebuilt(damage):
    labels = bundled.load_mnist()[1].copy()
    cached = bundled.cache_path("train-labels-idx1-ubyte")
    original = cached.read_bytes()
    if damage == "same-size garbage":
        cached.write_bytes(bytes(len(original)))
    elif damage == "truncated":
        cached.write_bytes(original[:1000])
    else:  # a valid IDX file, but not the one expected
        cached.write_bytes(original[:8] + bytes(reversed(original[8:])))
    assert np.array_equal(bundled.load_mnist()[1], labels)
    assert cached.read_bytes() == original


def test_unwritable_cache_does_not_fail_the_load(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("NNDESK_CACHE_DIR", str(blocker))
    with caplog.at_level(logging.WARNING, logger="nndesk.data.mnist"):
        dataset = load_dataset("mnist")
    assert np.bincount(dataset.y_test).tolist() == TEST_COUNTS
    assert "could not cache" in caplog.text
    assert not list(tmp_path.glob("**/*.tmp"))


def test_failed_cache_write_leaves_no_temporary_file(monkeypatch, private_cache, caplog):
    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nndesk.data.fileio.os.replace", failing_replace)
    labels = bundled.load_mnist()[3]
    assert np.bincount(labels).tolist() == TEST_COUNTS
    assert list((private_cache / "mnist").iterdir()) == []
    assert "No space left on device" in caplog.text


def test_damaged_bundled_file_is_reported(tmp_path, monkeypatch):
    copies = tmp_path / "bundled"
    copies.mkdir()
    for name in bundled.FILES:
        source = bundled.bundled_dir() / f"{name}.gz"
        (copies / source.name).write_bytes(source.read_bytes())
    labels = copies / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(labels.read_bytes()))
    data[100] = (data[100] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(data)))
    monkeypatch.setattr(bundled, "bundled_dir", lambda: copies)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz.*damaged.*SHA-256"):
        bundled.load_mnist()
