import json
import re
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load_file, save_file

from nndesk.engine import ModelFileError, build_network, default_spec, load_model, save_model

X = np.random.default_rng(0).random((16, 784), dtype=np.float32)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    spec = default_spec()
    spec["layers"][0]["units"] = 16
    spec["layers"].insert(1, {"type": "dropout", "rate": 0.25})
    net = build_network(spec)
    path = tmp_path_factory.mktemp("models") / "net.safetensors"
    history = {"epoch": [1], "train_loss": [0.5], "batch_loss": list(np.linspace(1, 0, 5000))}
    save_model(net, path, dataset="mnist", class_names=list("0123456789"),
               preprocessing={"kind": "mnist"}, metrics={"test_accuracy": 0.9}, history=history)
    return net, path, path.read_bytes()


def test_round_trip_is_bit_identical_with_metadata(saved):
    net, path, _ = saved
    loaded = load_model(path)
    assert np.array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.spec == net.spec
    meta = loaded.metadata
    assert meta["dataset"] == "mnist" and meta["class_names"] == list("0123456789")
    assert meta["metrics"] == {"test_accuracy": 0.9} and meta["preprocessing"] == {"kind": "mnist"}
    assert len(meta["history"]["batch_loss"]) == 2000  # long series are thinned
    assert meta["nndesk_version"]


def test_pytorch_style_names_and_shapes(saved):
    _, path, _ = saved
    tensors = load_file(str(path))
    assert tensors["layers.0.weight"].shape == (16, 784)  # (out, in), like nn.Linear
    assert set(tensors) == {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"}


def test_save_is_atomic_and_leaves_no_temporary_files(saved, tmp_path):
    net, _, _ = saved
    target = tmp_path / "m.safetensors"
    target.write_bytes(b"old")
    save_model(net, target)
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    assert load_model(target).params.size == net.params.size


def _write(tmp_path, data, name="bad.safetensors"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _rewrite_header(data, change):
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    change(header)
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data[8 + n:]


@pytest.mark.parametrize("make, message", [
    (lambda d: b"", "not an nndesk model file"),
    (lambda d: b"PK\x03\x04 this is a zip file" * 3, "not an nndesk model file"),
    (lambda d: d[:len(d) // 2], "truncated"),
    (lambda d: d[:20], "truncated"),
    (lambda d: _rewrite_header(d, lambda h: h["__metadata__"].update(format_version="99")),
     "version '99' is not supported"),
    (lambda d: _rewrite_header(d, lambda h: h["__metadata__"].update(format="other")),
     "without nndesk metadata"),
    (lambda d: _rewrite_header(d, lambda h: h["__metadata__"].update(spec='{"layers": 1}')),
     "spec stored in the file is invalid"),
    (lambda d: _rewrite_header(d, lambda h: h["__metadata__"].update(spec="{oops")),
     "spec stored in the file is damaged"),
    (lambda d: _rewrite_header(d, lambda h: h.pop("layers.2.bias")), "tensor data is damaged"),
    (lambda d: d[:-40] + b"\x00" * 40, "checksum does not match"),
])
def test_each_bad_file_gets_one_plain_error(saved, tmp_path, make, message):
    _, _, data = saved
    with pytest.raises(ModelFileError, match=message):
        load_model(_write(tmp_path, make(data)))


def test_wrong_shape_extra_tensor_dtype_and_non_finite(saved, tmp_path):
    _, path, data = saved
    base = load_file(str(path))
    meta = json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])["__metadata__"]
    cases = {
        "shape [8, 784], expected [16, 784]": {**base, "layers.0.weight": base["layers.0.weight"][:8]},
        "unexpected tensors extra": {**base, "extra": np.zeros(3, np.float32)},
        "missing tensors layers.2.bias": {k: v for k, v in base.items() if k != "layers.2.bias"},
        "dtype float64": {**base, "layers.0.bias": base["layers.0.bias"].astype(np.float64)},
        "not finite": {**base, "layers.0.bias": np.full(16, np.nan, np.float32)},
    }
    for message, tensors in cases.items():
        target = tmp_path / "case.safetensors"
        save_file(tensors, str(target), metadata=meta)
        with pytest.raises(ModelFileError, match=re.escape(message)):
            load_model(target)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path / "nothing.safetensors")
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_or_truncated_files_load_identically_or_raise_model_file_error(saved, tmp_path, data):
    net, _, original = saved
    raw = bytearray(original)
    how = data.draw(st.sampled_from(["flip", "truncate", "splice"]))
    if how == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] ^= data.draw(st.integers(1, 255))
    elif how == "truncate":
        raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
    else:
        i = data.draw(st.integers(0, len(raw)))
        raw[i:i] = data.draw(st.binary(min_size=1, max_size=16))
    path = _write(tmp_path, bytes(raw), "fuzz.safetensors")
    try:
        loaded = load_model(path)
    except ModelFileError as exc:
        assert str(exc).startswith("fuzz.safetensors: ")
        return
    assert np.array_equal(loaded.predict_proba(X), net.predict_proba(X))
