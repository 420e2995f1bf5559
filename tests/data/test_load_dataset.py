"""load_dataset: names, IDX folders, CSV folders, a single CSV, class names, bad input."""

from pathlib import Path

import numpy as np
import pytest

from nndesk.data import DataError, Dataset, load_dataset
from nndesk.data.datasets import FASHION_CLASS_NAMES


def _same(dataset: Dataset, train, test, shape=(28, 28)):
    pixels = shape[0] * shape[1]
    assert dataset.x_train.dtype == np.float32 and dataset.y_train.dtype == np.int64
    assert dataset.x_test.dtype == np.float32 and dataset.y_test.dtype == np.int64
    assert np.array_equal(dataset.x_train, train[0].reshape(-1, pixels) / np.float32(255))
    assert np.array_equal(dataset.y_train, train[1])
    assert np.array_equal(dataset.x_test, test[0].reshape(-1, pixels) / np.float32(255))
    assert np.array_equal(dataset.y_test, test[1])
    assert dataset.image_shape == shape


def test_xor():
    xor = load_dataset("xor")
    assert xor.x_train.tolist() == [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
    assert xor.y_train.tolist() == [0, 1, 1, 0]
    assert np.array_equal(xor.x_test, xor.x_train) and np.array_equal(xor.y_test, xor.y_train)
    assert xor.x_train.dtype == np.float32 and xor.y_train.dtype == np.int64
    assert xor.class_names == ["0", "1"] and xor.image_shape is None and xor.name == "xor"


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder(idx_folder, gz):
    folder, train, test = idx_folder(gz=gz)
    dataset = load_dataset(str(folder))
    _same(dataset, train, test)
    assert dataset.name == str(folder)
    assert dataset.class_names == [str(d) for d in range(10)]
    assert "12 training and 6 test" in dataset.note


def test_idx_folder_name_variants_and_path_objects(idx_folder):
    folder, train, test = idx_folder(names=("train-images.idx3-ubyte", "train-labels.idx1-ubyte",
                                            "test-images.idx3-ubyte", "test-labels.idx1-ubyte"))
    _same(load_dataset(Path(folder)), train, test)


def test_idx_folder_other_image_size(idx_folder):
    folder, train, test = idx_folder(shape=(8, 6))
    dataset = load_dataset(str(folder))
    _same(dataset, train, test, shape=(8, 6))
    assert dataset.x_train.shape == (12, 48)


def test_fashion_folder_gets_fashion_names(idx_folder):
    folder, _, _ = idx_folder(name="Fashion-MNIST")
    dataset = load_dataset(str(folder))
    assert dataset.class_names == FASHION_CLASS_NAMES
    assert "Fashion-MNIST" in dataset.note


def test_classes_file_gives_names_and_allows_more_labels(idx_folder):
    folder, train, test = idx_folder(classes=12)
    with pytest.raises(DataError, match=r"train-labels.*label 10 \(item 11\) is out of range "
                                        r"for 10 classes.*classes\.txt"):
        load_dataset(str(folder))
    names = [f"letter {c}" for c in "ABCDEFGHIJKL"]
    (folder / "classes.txt").write_text("\n".join(names) + "\n\n")
    dataset = load_dataset(str(folder))
    assert dataset.class_names == names
    _same(dataset, train, test)


def test_bad_classes_file(idx_folder):
    folder, _, _ = idx_folder()
    (folder / "class_names.txt").write_text("only one\n")
    with pytest.raises(DataError, match=r"class_names\.txt: lists 1 class names"):
        load_dataset(str(folder))


def test_counts_that_disagree(idx_folder, write_idx):
    folder, _, test = idx_folder()
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", test[1][:5])
    with pytest.raises(DataError, match=r"t10k-images.*holds 6 images but .*t10k-labels.* "
                                        r"holds 5 labels"):
        load_dataset(str(folder))


def test_labels_where_images_belong(idx_folder, write_idx):
    folder, train, _ = idx_folder()
    write_idx(folder / "train-images-idx3-ubyte.gz", train[1])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: holds labels, not images"):
        load_dataset(str(folder))


def test_train_and_test_image_sizes_differ(idx_folder, write_idx, small_set):
    folder, _, _ = idx_folder()
    write_idx(folder / "t10k-images-idx3-ubyte.gz", small_set(6, 0, shape=(20, 20))[0])
    with pytest.raises(DataError, match=r"t10k-images.*20x20 pixels but the training images "
                                        r"are 28x28"):
        load_dataset(str(folder))


def test_missing_idx_file(idx_folder):
    folder, _, _ = idx_folder()
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"missing: t10k-labels-idx1-ubyte\[\.gz\]"):
        load_dataset(str(folder))


def test_bad_idx_file_in_folder(idx_folder):
    folder, _, _ = idx_folder()
    path = folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: the gzip data is truncated"):
        load_dataset(str(folder))


@pytest.mark.parametrize("names", [("train.csv", "test.csv"), ("mnist_train.csv", "mnist_test.csv")])
@pytest.mark.parametrize("header", [False, True])
def test_csv_folder(tmp_path, small_set, csv_text, names, header):
    train, test = small_set(9, 4), small_set(4, 5)
    for name, (images, labels) in zip(names, (train, test)):
        (tmp_path / name).write_text(csv_text(labels, images.reshape(len(labels), -1), header))
    dataset = load_dataset(str(tmp_path))
    _same(dataset, train, test)
    assert names[0] in dataset.note and names[1] in dataset.note


def test_csv_folder_label_out_of_range(tmp_path, small_set, csv_text):
    images, labels = small_set(4, 4)
    labels[2] = 11
    (tmp_path / "train.csv").write_text(csv_text(labels, images.reshape(4, -1)))
    (tmp_path / "test.csv").write_text(csv_text(labels[:2], images[:2].reshape(2, -1)))
    with pytest.raises(DataError, match=r"train\.csv: row 3: label 11 is out of range"):
        load_dataset(str(tmp_path))


def test_single_csv_holds_out_one_sixth_per_class(tmp_path, small_set, csv_text):
    images, labels = small_set(60, 6)
    path = tmp_path / "all.csv"
    path.write_text(csv_text(labels, images.reshape(60, -1), header=True))
    dataset = load_dataset(str(path))
    assert len(dataset.y_test) == 10 and len(dataset.y_train) == 50
    assert np.bincount(dataset.y_test).tolist() == [1] * 10
    merged = np.concatenate([dataset.x_train, dataset.x_test]) * 255
    assert sorted(map(bytes, np.round(merged).astype(np.uint8))) == sorted(
        map(bytes, images.reshape(60, -1)))
    again = load_dataset(str(path))
    assert np.array_equal(again.x_test, dataset.x_test)
    assert "every 6th row of each class" in dataset.note and "seed 0" in dataset.note


def test_single_csv_keeps_file_order(tmp_path, csv_text):
    labels = np.arange(12) % 2
    pixels = np.repeat(np.arange(12)[:, None], 784, axis=1)
    path = tmp_path / "ordered.csv"
    path.write_text(csv_text(labels, pixels))
    dataset = load_dataset(str(path))
    for x in (dataset.x_train, dataset.x_test):
        order = x[:, 0] * 255
        assert np.all(np.diff(order) > 0)


def test_single_csv_too_small(tmp_path, small_set, csv_text):
    images, labels = small_set(5, 0)
    path = tmp_path / "five.csv"
    path.write_text(csv_text(labels, images.reshape(5, -1)))
    with pytest.raises(DataError, match=r"five\.csv: has only 5 data rows"):
        load_dataset(str(path))


def test_single_fashion_csv_gets_fashion_names(tmp_path, small_set, csv_text):
    images, labels = small_set(12, 0)
    path = tmp_path / "fashion-mnist_train.csv"
    path.write_text(csv_text(labels, images.reshape(12, -1)))
    assert load_dataset(str(path)).class_names == FASHION_CLASS_NAMES


def test_other_file_types_are_refused(tmp_path):
    path = tmp_path / "digits.png"
    path.write_bytes(b"\x89PNG")
    with pytest.raises(DataError, match=r"digits\.png: is not a \.csv file"):
        load_dataset(str(path))


def test_folder_without_data(tmp_path):
    with pytest.raises(DataError, match=r"holds neither the four MNIST-format IDX files nor "
                                        r"train\.csv and test\.csv"):
        load_dataset(str(tmp_path))


@pytest.mark.parametrize("name", ["mnist-fashion", "", "   ", 42, None])
def test_unknown_names_say_what_is_accepted(name):
    with pytest.raises(DataError) as info:
        load_dataset(name)
    message = str(info.value)
    for accepted in ('"mnist"', '"xor"', "folder", "train.csv", ".csv file"):
        assert accepted in message
    assert isinstance(info.value, ValueError)


def test_names_are_case_insensitive():
    assert load_dataset(" XOR ").name == "xor"
