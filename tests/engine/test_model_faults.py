"""Model files that lie in their metadata, and the temporary files an interrupted save leaves."""

import json
import os
import struct
import time

import numpy as np
import pytest

from nndesk.engine import ModelFileError, build_network, default_spec, load_model, save_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    spec = default_spec()
    spec["layers"][0]["units"] = 8
    path = tmp_path_factory.mktemp("models") / "net.safetensors"
    save_model(build_network(spec), path, dataset="mnist", class_names=list("0123456789"),
               preprocessing={"kind": "mnist"}, metrics={"test_accuracy": 0.9, "epochs": 3},
               history={"epoch": [1, 2], "train_loss": [0.5, 0.4], "val_loss": [None, None],
                        "batch_loss": [1.0, 0.7, 0.5]})
    return path.read_bytes()


def _with_metadata(data: bytes, key: str, value) -> bytes:
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header["__metadata__"][key] = json.dumps(value)
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data[8 + n:]


@pytest.mark.parametrize("key, value, message", [
    ("history", "a string", "training history is not an object of lists"),
    ("history", {"epoch": [1, 2], "train_loss": ["high", "low"]}, "training history"),
    ("history", {"epoch": [1, 2], "train_loss": [0.5]}, "lists of different lengths"),
    ("metrics", [0.9, 0.8], "metrics are not an object of numbers"),
    ("metrics", {"test_accuracy": "great"}, "metrics are not an object of numbers"),
    ("metrics", {"test_accuracy": 97.5}, "accuracy outside 0 to 1"),
    ("class_names", list("0123"), "names 4 classes but the network has 10"),
    ("class_names", 10, "class names are not a list of texts"),
    ("preprocessing", "mnist", "preprocessing is not an object"),
    ("dataset", ["mnist"], "dataset name is not text"),
])
def test_metadata_that_lies_is_refused_with_one_plain_error(saved, tmp_path, key, value, message):
    path = tmp_path / "lying.safetensors"
    path.write_bytes(_with_metadata(saved, key, value))
    with pytest.raises(ModelFileError, match=message) as raised:
        load_model(path)
    assert str(raised.value).startswith("lying.safetensors: ")


def test_metadata_nested_beyond_reason_is_refused(saved, tmp_path):
    path = tmp_path / "deep.safetensors"
    n = struct.unpack("<Q", saved[:8])[0]
    header = json.loads(saved[8:8 + n])
    header["__metadata__"]["history"] = "[" * 100000 + "]" * 100000
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + saved[8 + n:])
    with pytest.raises(ModelFileError, match="history is not valid JSON"):
        load_model(path)


def test_an_interrupted_saves_temporary_file_is_removed_at_the_next_save(tmp_path):
    net = build_network(default_spec())
    old = tmp_path / ".net.safetensors.k3j2x9aa.tmp"  # as save_model names them
    old.write_bytes(b"\x00" * 1000)
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    fresh = tmp_path / ".other.safetensors.q8w7e6rr.tmp"  # a save of this process, maybe running
    fresh.write_bytes(b"\x00")
    mine = tmp_path / ".notes.txt.tmp"  # not ours to touch
    mine.write_bytes(b"keep")
    os.utime(mine, (hour_ago, hour_ago))
    save_model(net, tmp_path / "net.safetensors")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".notes.txt.tmp", ".other.safetensors.q8w7e6rr.tmp", "net.safetensors"])
    assert np.array_equal(load_model(tmp_path / "net.safetensors").params, net.params)
