"""Reader for MNIST-style CSV files: one image per row, the label first, then the pixels.

Rows are counted the way a spreadsheet shows them: row 1 is the first line of the file,
the header if there is one. Blank lines are skipped. A header is recognised by its first
field not being a number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nndesk.data.errors import DataError
from nndesk.data.fileio import read_bytes

PIXELS = 784
_CHUNK_ROWS = 2000
_PLAIN = b"0123456789,\n"  # the only bytes of a plain-integer body (the fast path)


def read_csv(path: str | Path, num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a CSV of labelled 28x28 images.

    Each data row is a label (a whole number, 0..num_classes-1 when num_classes is
    given) followed by 784 pixel values from 0 to 255; a header row is optional.
    Returns ``(pixels, labels)``: float32 (N, 784) with the values as written and
    int64 (N,). Raises DataError naming the file, and the row where there is one,
    for an empty or non-text file, a row with the wrong number of values, a value
    that is not a number, a pixel outside 0-255, or a label out of range.
    Plain-integer files are parsed vectorised (a 60,000-row file takes a second or two);
    others (decimals, spaces) row by row, several times slower.
    """
    path = Path(path)
    rows, row_numbers = _data_rows(read_bytes(path), path)
    width = PIXELS + 1
    for row, number in zip(rows, row_numbers):
        if row.count(b",") != PIXELS:
            raise DataError(
                f"{path}: row {number} has {row.count(b',') + 1} values; expected {width} "
                f"(a label, then {PIXELS} pixel values)")
    values = np.empty((len(rows), width), dtype=np.float32)
    for start in range(0, len(rows), _CHUNK_ROWS):
        chunk = rows[start:start + _CHUNK_ROWS]
        parsed = _parse_plain_integers(chunk)
        if parsed is None:
            parsed = _parse_general(chunk, row_numbers[start:], path)
        values[start:start + len(chunk)] = parsed.reshape(len(chunk), width)
    labels = _check_labels(values[:, 0], row_numbers, num_classes, path)
    pixels = values[:, 1:]
    bad = ~((pixels >= 0) & (pixels <= 255))
    if bad.any():
        r, c = np.unravel_index(np.argmax(bad), bad.shape)
        raise DataError(f"{path}: row {row_numbers[r]}, column {c + 2}: pixel value "
                        f"{_show(pixels[r, c])} is outside 0-255")
    return np.ascontiguousarray(pixels), labels


def _data_rows(data: bytes, path: Path) -> tuple[list[bytes], list[int]]:
    """The non-blank lines after an optional header, with their 1-based row numbers."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise DataError(f"{path}: the file is empty")
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not a text CSV file (byte {exc.start} is not valid "
                            f"UTF-8 text)") from None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    rows, numbers = [], []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            rows.append(line)
            numbers.append(number)
    if not _is_number(rows[0].split(b",", 1)[0]):
        rows, numbers = rows[1:], numbers[1:]
    if not rows:
        raise DataError(f"{path}: has a header but no data rows")
    return rows, numbers


def _is_number(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _parse_plain_integers(rows: list[bytes]) -> np.ndarray | None:
    """Vectorised parse of rows of 1-3 digit integers; None if the rows hold anything else."""
    body = b"\n".join(rows) + b"\n"
    if body.translate(None, _PLAIN):
        return None
    buf = np.frombuffer(b",,," + body, dtype=np.uint8)
    ends = np.flatnonzero(buf[3:] < ord("0")) + 3  # a separator ends every token
    d1, d2, d3, d4 = (buf[ends - k] for k in (1, 2, 3, 4))
    is_digit2, is_digit3 = d2 >= ord("0"), d3 >= ord("0")
    if (d1 < ord("0")).any() or (is_digit2 & is_digit3 & (d4 >= ord("0"))).any():
        return None  # an empty field or a number of 4 or more digits
    digit = np.zeros(256, dtype=np.int16)
    digit[ord("0"):ord("9") + 1] = np.arange(10)
    return digit[d1] + 10 * digit[d2] + 100 * digit[d3] * is_digit2


def _parse_general(rows: list[bytes], numbers: list[int], path: Path) -> np.ndarray:
    """Row-by-row parse of any numbers; DataError at the first field that is not a number."""
    out = np.empty((len(rows), PIXELS + 1), dtype=np.float32)
    for i, row in enumerate(rows):
        fields = row.split(b",")
        try:
            out[i] = np.array(fields, dtype=np.float32)
        except ValueError:
            column = next((c for c, f in enumerate(fields, start=1) if not _is_number(f)), None)
            if column is None:
                raise DataError(f"{path}: row {numbers[i]} cannot be read as numbers") from None
            text = fields[column - 1].strip().decode("utf-8", "replace")[:40]
            raise DataError(f"{path}: row {numbers[i]}, column {column}: "
                            f"{text!r} is not a number") from None
    return out


def _check_labels(labels: np.ndarray, numbers: list[int], num_classes: int | None,
                  path: Path) -> np.ndarray:
    whole = np.isfinite(labels) & (labels == np.round(labels))
    if not whole.all():
        r = int(np.argmin(whole))
        raise DataError(f"{path}: row {numbers[r]}: label {_show(labels[r])} is not a whole number")
    top = 2**31 - 1 if num_classes is None else num_classes - 1
    bad = (labels < 0) | (labels > top)
    if bad.any():
        r = int(np.argmax(bad))
        allowed = "0 or more" if num_classes is None else f"0-{num_classes - 1}"
        raise DataError(f"{path}: row {numbers[r]}: label {_show(labels[r])} is out of range "
                        f"(expected {allowed})")
    return labels.astype(np.int64)


def _show(value: float) -> str:
    return f"{value:g}"
