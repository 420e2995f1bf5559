"""The "my digits" collection: saved at once, survives restarts and damage, exports."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from nndesk.data import load_dataset, read_csv, read_idx
from nndesk.data.mydigits import FILE_NAME, MyDigits, default_path, mix_into


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "user-data"
    monkeypatch.setenv("NNDESK_DATA_DIR", str(folder))
    return folder


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((28, 28)).astype(np.float32)


def test_starts_empty_in_the_data_folder(data_dir):
    digits = MyDigits()
    assert digits.path == data_dir / FILE_NAME == default_path()
    assert len(digits) == 0 and digits.message is None
    assert digits.images.shape == (0, 28, 28) and digits.images.dtype == np.uint8
    assert digits.labels.shape == (0,) and digits.labels.dtype == np.int64
    assert not digits.path.exists()  # nothing is written until something is added


def test_add_saves_at_once_and_survives_a_restart(data_dir):
    digits = MyDigits()
    assert digits.add(_image(0), 7) == 0
    assert digits.add(_image(1).ravel(), 3) == 1
    again = MyDigits()
    assert again.labels.tolist() == [7, 3]
    np.testing.assert_array_equal(again.images[0], np.round(_image(0) * 255).astype(np.uint8))
    np.testing.assert_allclose(again.x()[1], _image(1).ravel(), atol=0.5 / 255 + 1e-6)
    assert list(data_dir.iterdir()) == [data_dir / FILE_NAME]  # no temporary files left
    assert again.counts() == {3: 1, 7: 1}


def test_arrays_are_read_only():
    digits = MyDigits()
    digits.add(_image(0), 1)
    with pytest.raises(ValueError):
        digits.images[0, 0, 0] = 5
    with pytest.raises(ValueError):
        digits.labels[0] = 5


def test_remove_and_clear():
    digits = MyDigits()
    for label in range(5):
        digits.add(_image(label), label)
    digits.remove([3, 0])
    assert digits.labels.tolist() == [1, 2, 4]
    assert MyDigits().labels.tolist() == [1, 2, 4]
    digits.remove(1)
    assert digits.labels.tolist() == [1, 4]
    with pytest.raises(IndexError):
        digits.remove([5])
    digits.clear()
    assert len(digits) == 0 and len(MyDigits()) == 0


@pytest.mark.parametrize("image, label, message", [
    (np.zeros((28, 27)), 1, "28x28"),
    (np.zeros(100), 1, "28x28"),
    (np.full((28, 28), np.nan), 1, "finite"),
    (np.zeros((28, 28)), -1, "label"),
    (np.zeros((28, 28)), 256, "label"),
    (np.zeros((28, 28)), 1.5, "label"),
    (np.full((28, 28), 300), 1, "0 to 255"),
])
def test_bad_additions_are_refused(image, label, message):
    digits = MyDigits()
    with pytest.raises(ValueError, match=message):
        digits.add(image, label)
    assert len(digits) == 0


def test_uint8_images_are_kept_exactly():
    image = np.arange(784, dtype=np.uint8).reshape(28, 28)
    digits = MyDigits()
    digits.add(image, 4)
    np.testing.assert_array_equal(MyDigits().images[0], image)


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("content", [
    b"",
    b"not an archive at all",
    _npz(images=np.zeros((2, 28, 28), np.uint8), labels=np.zeros(2, np.int64))[:100],
    _npz(images=np.zeros((2, 28, 28), np.uint8)),
    _npz(images=np.zeros((2, 28, 28), np.float32), labels=np.zeros(2, np.int64)),
    _npz(images=np.zeros((2, 28, 28), np.uint8), labels=np.zeros(3, np.int64)),
    _npz(images=np.zeros((2, 28, 28), np.uint8), labels=np.array([1, 300])),
    _npz(images=np.zeros((2, 28, 28), np.uint8), labels=np.array(["a", "b"])),
    _npz(images=np.zeros((1, 28, 28), np.uint8), labels=np.array([object()], dtype=object)),
], ids=["empty", "garbage", "truncated", "no labels", "float images", "count mismatch",
        "label out of range", "text labels", "pickled objects"])
def test_a_damaged_file_is_set_aside_and_a_new_collection_started(data_dir, content):
    data_dir.mkdir()
    path = data_dir / FILE_NAME
    path.write_bytes(content)
    digits = MyDigits()
    assert len(digits) == 0
    assert digits.message and "could not be read" in digits.message
    kept = list(data_dir.glob("my_digits.damaged-*.npz"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert kept[0].name in digits.message
    digits.add(_image(0), 2)  # and it works from there
    assert MyDigits().labels.tolist() == [2] and MyDigits().message is None


def test_a_single_npy_array_is_not_a_collection(data_dir):
    data_dir.mkdir()
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 28, 28), np.uint8))
    (data_dir / FILE_NAME).write_bytes(buffer.getvalue())
    digits = MyDigits()
    assert len(digits) == 0 and "not a .npz archive" in digits.message


def test_two_damaged_files_in_one_second_are_both_kept(data_dir):
    data_dir.mkdir()
    for content in (b"first", b"second"):
        (data_dir / FILE_NAME).write_bytes(content)
        MyDigits()
    kept = sorted(p.read_bytes() for p in data_dir.glob("my_digits.damaged-*"))
    assert kept == [b"first", b"second"]


def test_a_folder_in_place_of_the_file_does_not_crash(data_dir):
    (data_dir / FILE_NAME).mkdir(parents=True)
    digits = MyDigits()
    assert len(digits) == 0 and digits.message


def test_export_idx_writes_the_standard_files(tmp_path):
    digits = MyDigits()
    for label in (3, 1, 4):
        digits.add(_image(label), label)
    folder = tmp_path / "export"
    written = digits.export_idx(folder)
    assert [p.name for p in written] == ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]
    np.testing.assert_array_equal(read_idx(written[0]), digits.images)
    assert read_idx(written[1]).tolist() == [3, 1, 4]
    digits.export_idx(folder, split="t10k")  # with both splits it is a dataset folder
    dataset = load_dataset(str(folder))
    assert dataset.y_train.tolist() == [3, 1, 4] and dataset.x_test.shape == (3, 784)
    np.testing.assert_allclose(dataset.x_train, digits.x())
    with pytest.raises(ValueError):
        digits.export_idx(folder, split="test")


def test_export_csv_label_first_then_784_values(tmp_path):
    digits = MyDigits()
    digits.add(_image(0), 9)
    digits.add(np.zeros((28, 28)), 0)
    path = digits.export_csv(tmp_path / "mine.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("label,pixel0,") and lines[0].endswith(",pixel783")
    assert len(lines) == 3 and lines[2] == "0," + ",".join(["0"] * 784)
    pixels, labels = read_csv(path)
    assert labels.tolist() == [9, 0]
    np.testing.assert_array_equal(pixels.reshape(2, 28, 28), digits.images)


def test_as_dataset_is_an_extra_test_set():
    from nndesk.engine import build_network, load_preset
    from nndesk.workflow import evaluate

    digits = MyDigits()
    for label in (0, 5, 5):
        digits.add(_image(label), label)
    dataset = digits.as_dataset()
    assert dataset.name == "my digits" and dataset.image_shape == (28, 28)
    assert dataset.class_names == [str(d) for d in range(10)]
    assert dataset.x_train.shape == (0, 784) and dataset.x_test.shape == (3, 784)
    assert dataset.y_test.tolist() == [0, 5, 5]
    report = evaluate(build_network(load_preset("default")), dataset)
    assert report["samples"] == 3 and 0.0 <= report["accuracy"] <= 1.0
    names = ["a", "b", "c", "d", "e", "f"]
    assert digits.as_dataset(names).class_names == names


def test_mix_into_training():
    digits = MyDigits()
    digits.add(_image(0), 7)
    digits.add(_image(1), 2)
    x = np.zeros((100, 784), np.float32)
    y = np.zeros(100, np.int64)
    mixed_x, mixed_y = mix_into(x, y, digits, copies=5, seed=0)
    assert mixed_x.shape == (110, 784) and mixed_x.dtype == np.float32
    assert np.sum(mixed_y == 7) == 5 and np.sum(mixed_y == 2) == 5
    assert mixed_x.max() > 0
    again_x, again_y = mix_into(x, y, digits, copies=5, seed=0)
    np.testing.assert_array_equal(again_y, mixed_y)
    np.testing.assert_array_equal(again_x, mixed_x)
    same_x, same_y = mix_into(x, y, MyDigits(digits.path.with_name("other.npz")), copies=5)
    assert same_x is x and same_y is y
    with pytest.raises(ValueError, match="784"):
        mix_into(np.zeros((5, 3)), np.zeros(5), digits)
    default_x, _ = mix_into(x, y, copies=1)  # the person's own collection by default
    assert default_x.shape == (102, 784)


def test_no_pickle_in_the_saved_file():
    digits = MyDigits()
    digits.add(_image(0), 1)
    with zipfile.ZipFile(digits.path) as archive:
        assert sorted(archive.namelist()) == ["images.npy", "labels.npy"]
    with np.load(digits.path, allow_pickle=False) as archive:
        assert archive["images"].dtype == np.uint8
