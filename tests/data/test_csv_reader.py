"""read_csv: headers, line endings, the fast and general parsers, and every bad row."""

import numpy as np
import pytest

from nndesk.data import DataError, read_csv


@pytest.fixture
def rows(small_set):
    images, labels = small_set(7, 3)
    return labels, images.reshape(7, 784)


@pytest.mark.parametrize("header", [False, True])
def test_reads_with_or_without_header(tmp_path, rows, csv_text, header):
    labels, pixels = rows
    path = tmp_path / "digits.csv"
    path.write_text(csv_text(labels, pixels, header=header))
    x, y = read_csv(path)
    assert x.dtype == np.float32 and x.shape == (7, 784) and np.array_equal(x, pixels)
    assert y.dtype == np.int64 and np.array_equal(y, labels)


def test_crlf_blank_lines_and_bom(tmp_path, rows, csv_text):
    labels, pixels = rows
    text = csv_text(labels, pixels, header=True).replace("\n", "\r\n")
    text = text.replace("\r\n", "\r\n\r\n", 2)
    path = tmp_path / "windows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    x, y = read_csv(path)
    assert np.array_equal(x, pixels) and np.array_equal(y, labels)


def test_decimals_and_spaces_use_the_general_parser(tmp_path, rows):
    labels, pixels = rows
    values = pixels / 2
    path = tmp_path / "decimals.csv"
    path.write_text("\n".join(f"{lab}, " + ", ".join(f"{v:.1f}" for v in row)
                              for lab, row in zip(labels, values)))
    x, y = read_csv(path)
    assert np.allclose(x, values) and np.array_equal(y, labels)


def test_leading_zeros_and_long_numbers(tmp_path):
    path = tmp_path / "zeros.csv"
    path.write_text("0007," + ",".join(["0255"] * 784) + "\n" + "1," + ",".join(["3"] * 784))
    x, y = read_csv(path)
    assert y.tolist() == [7, 1] and x[0].max() == 255 and x[1].min() == 3


def _bad(tmp_path, text, num_classes=None, name="bad.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(DataError) as info:
        read_csv(path, num_classes)
    assert name in str(info.value)
    return str(info.value)


def _row(label="1", fill="0", n=784):
    return ",".join([label] + [fill] * n)


def test_empty_file(tmp_path):
    assert "empty" in _bad(tmp_path, "")
    assert "empty" in _bad(tmp_path, "\n  \n")


def test_header_only(tmp_path):
    assert "no data rows" in _bad(tmp_path, "label," + ",".join(["p"] * 784) + "\n")


def test_ragged_row_names_the_row(tmp_path):
    text = "\n".join(["label," + ",".join(["p"] * 784), _row(), _row(), _row(n=700)])
    assert "row 4 has 701 values; expected 785" in _bad(tmp_path, text)


def test_ragged_row_after_blank_lines_counts_file_lines(tmp_path):
    text = "\n".join([_row(), "", _row(n=785)])
    assert "row 3 has 786 values" in _bad(tmp_path, text)


def test_non_numeric_value(tmp_path):
    text = "\n".join([_row(), "2,0,0,abc," + ",".join(["0"] * 781)])
    assert "row 2, column 4: 'abc' is not a number" in _bad(tmp_path, text)


def test_empty_field(tmp_path):
    text = "\n".join([_row(), _row(), "3,0,," + ",".join(["0"] * 782)])
    assert "row 3, column 3: '' is not a number" in _bad(tmp_path, text)


@pytest.mark.parametrize("value", ["256", "-1", "300.5", "nan", "1000"])
def test_pixel_out_of_range(tmp_path, value):
    text = "\n".join([_row(), "5,0," + value + "," + ",".join(["0"] * 782)])
    message = _bad(tmp_path, text)
    assert "row 2, column 3: pixel value" in message and "outside 0-255" in message


def test_label_out_of_range(tmp_path):
    text = "\n".join([_row("9"), _row("10")])
    assert "row 2: label 10 is out of range (expected 0-9)" in _bad(tmp_path, text, num_classes=10)


def test_negative_label(tmp_path):
    assert "row 1: label -1 is out of range" in _bad(tmp_path, _row("-1"))


def test_fractional_label(tmp_path):
    assert "row 1: label 2.5 is not a whole number" in _bad(tmp_path, _row("2.5"))


def test_binary_file(tmp_path):
    assert "not a text CSV file" in _bad(tmp_path, b"\x89PNG\r\n\x1a\n\xff\xfe\x00", name="x.csv")


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"absent\.csv: file not found"):
        read_csv(tmp_path / "absent.csv")
