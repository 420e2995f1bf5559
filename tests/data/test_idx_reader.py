"""read_idx: good files (gzip and raw) and every kind of bad one."""

import gzip

import numpy as np
import pytest

from nndesk.data import DataError, read_idx


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz", "images.bin"])
def test_reads_images_gzip_or_raw(tmp_path, write_idx, small_set, name):
    images, _ = small_set(5, 0, shape=(7, 9))
    result = read_idx(write_idx(tmp_path / name, images))
    assert result.dtype == np.uint8 and result.shape == (5, 7, 9)
    assert np.array_equal(result, images)
    result[0, 0, 0] = 1  # a writable array of its own


def test_reads_labels(tmp_path, write_idx):
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    assert np.array_equal(read_idx(write_idx(tmp_path / "labels.gz", labels)), labels)


def _bad(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert name in str(info.value)
    return str(info.value)


def test_empty_file(tmp_path):
    assert "empty" in _bad(tmp_path, "empty-idx1-ubyte", b"")


def test_too_short_for_a_header(tmp_path):
    assert "too short" in _bad(tmp_path, "tiny-idx1-ubyte", b"\x00\x00")


def test_bad_magic_number(tmp_path, idx_bytes):
    data = b"\x00\x00\x0d\x03" + idx_bytes(np.zeros((2, 3, 3)))[4:]
    message = _bad(tmp_path, "floats-idx3-ubyte", data)
    assert "bad magic number 0x00000D03" in message and "0x00000803" in message


def test_a_text_file_is_a_bad_magic_number(tmp_path):
    assert "bad magic number" in _bad(tmp_path, "notes.txt", b"hello world\n")


def test_truncated_data(tmp_path, idx_bytes):
    data = idx_bytes(np.zeros((4, 5, 5)))[:-10]
    message = _bad(tmp_path, "short-idx3-ubyte", data)
    assert "4 x 5 x 5 (100 bytes" in message and "holds 90 bytes" in message
    assert "truncated" in message


def test_extra_data(tmp_path, idx_bytes):
    message = _bad(tmp_path, "long-idx1-ubyte", idx_bytes(np.zeros(4)) + b"\x00")
    assert "holds 5 bytes" in message and "too long" in message


def test_header_cut_short(tmp_path):
    assert "ends inside its header" in _bad(tmp_path, "cut-idx3-ubyte", b"\x00\x00\x08\x03\x00\x00")


def test_truncated_gzip(tmp_path, idx_bytes):
    data = gzip.compress(idx_bytes(np.arange(200) % 10))
    assert "truncated" in _bad(tmp_path, "labels-idx1-ubyte.gz", data[: len(data) // 2])


def test_damaged_gzip(tmp_path, idx_bytes):
    data = bytearray(gzip.compress(idx_bytes(np.arange(200) % 10)))
    data[-8:-4] = b"\xff\xff\xff\xff"  # the CRC
    assert "damaged" in _bad(tmp_path, "labels-idx1-ubyte.gz", bytes(data))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nothing-here.*not found"):
        read_idx(tmp_path / "nothing-here")


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match=r"is a folder"):
        read_idx(tmp_path)
