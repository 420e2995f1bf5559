"""Model files: one safetensors file holding the weights, the spec and the metadata.

Tensors are named ``layers.{i}.weight`` (shaped (out, in), as in PyTorch's ``nn.Linear``) and
``layers.{i}.bias``; ``safetensors.torch.load_file`` reads them directly. The header's
metadata holds JSON strings: the spec, the format version, the nndesk version, the dataset,
class names, input preprocessing, final metrics, training history, and a SHA-256 over the
spec and the tensor bytes, so a damaged file is refused instead of predicting nonsense.
No pickle anywhere. Saving writes a temporary file in the same folder and renames it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from .. import __version__
from .modelmeta import metadata_problem
from .network import Network
from .spec import validate

FORMAT = "nndesk-model"
FORMAT_VERSION = 1
MAX_HEADER = 100 * 1024 * 1024
MAX_HISTORY_POINTS = 2000
_META_KEYS = ("dataset", "class_names", "preprocessing", "metrics", "history")


class ModelFileError(ValueError):
    """A model file that cannot be loaded; the message says why in plain words."""


def _checksum(spec_json: str, tensors: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256(spec_json.encode())
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(np.ascontiguousarray(tensors[name]).tobytes())
    return h.hexdigest()


def _export_tensors(net: Network) -> dict[str, np.ndarray]:
    out = {}
    for name, arr in net.named_weights().items():
        arr = arr.astype(np.float32)
        out[name] = np.ascontiguousarray(arr.T if arr.ndim == 2 else arr)
    return out


def _thin(values: list, limit: int = MAX_HISTORY_POINTS) -> list:
    """At most ``limit`` points, each the mean of a run of consecutive values."""
    if len(values) <= limit:
        return list(values)
    chunks = np.array_split(np.asarray(values, dtype=np.float64), limit)
    return [float(c.mean()) for c in chunks]


def save_model(net: Network, path, *, dataset: str | None = None, class_names=None,
               preprocessing=None, metrics=None, history=None) -> Path:
    """Write ``net`` to ``path`` atomically; returns the path."""
    path = Path(path)
    tensors = _export_tensors(net)
    spec_json = json.dumps(net.spec, sort_keys=True)
    extra = dict(net.metadata)
    extra.update({k: v for k, v in (("dataset", dataset), ("class_names", class_names),
                                     ("preprocessing", preprocessing), ("metrics", metrics),
                                     ("history", history)) if v is not None})
    if "history" in extra:
        extra["history"] = {k: (_thin(v) if k == "batch_loss" else v)
                            for k, v in extra["history"].items()}
    if "class_names" not in extra:
        extra["class_names"] = [str(i) for i in range(net.num_classes)]
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "nndesk_version": __version__,
        "spec": spec_json,
        "checksum": _checksum(spec_json, tensors),
        **{k: json.dumps(extra[k]) for k in _META_KEYS if k in extra},
    }
    data = st_save(tensors, metadata=metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_STARTED = time.time()  # a temporary file older than this process is no save in progress
STALE_PATTERN = ".*.safetensors.*.tmp"  # what save_model's temporary files are called


def remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files an interrupted save left in ``folder`` (only files named
    as save_model names them, and older than this process)."""
    for tmp in folder.glob(STALE_PATTERN):
        try:
            if tmp.is_file() and tmp.stat().st_mtime < _STARTED:
                tmp.unlink()
        except OSError:  # another process's, or gone already: not ours to insist on
            pass


def _fail(path, why: str):
    raise ModelFileError(f"{Path(path).name}: {why}")


def _read_header(path, data: bytes) -> tuple[dict, int]:
    if len(data) < 8:
        _fail(path, "not an nndesk model file (too short to be a safetensors file)")
    (n,) = struct.unpack("<Q", data[:8])
    if n == 0 or n > MAX_HEADER or 8 + n > len(data):
        if 0 < n <= MAX_HEADER and data[8:9] == b"{":
            _fail(path, f"the file is truncated (its header needs {n} bytes, only "
                        f"{len(data) - 8} are there)")
        _fail(path, "not an nndesk model file (no safetensors header)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        _fail(path, "not an nndesk model file (its header is not valid JSON)")
    if not isinstance(header, dict):
        _fail(path, "not an nndesk model file (its header is not a JSON object)")
    return header, n


def load_model(path) -> Network:
    """Read and check a model file; raises ModelFileError with a plain message."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from None
    header, header_size = _read_header(path, data)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        _fail(path, "not an nndesk model file (a safetensors file without nndesk metadata)")
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        _fail(path, f"model format version {version!r} is not supported by nndesk {__version__} "
                    f"(it reads version {FORMAT_VERSION}); a newer nndesk may open it")
    try:
        spec = json.loads(meta.get("spec", ""))
    except (ValueError, RecursionError):
        _fail(path, "the network spec stored in the file is damaged (not valid JSON)")
    problems = validate(spec)
    if problems:
        _fail(path, "the network spec stored in the file is invalid: "
                    + "; ".join(str(p) for p in problems[:5]))
    ends = [t["data_offsets"][1] for t in header.values() if isinstance(t, dict)
            and isinstance(t.get("data_offsets"), list) and len(t["data_offsets"]) == 2
            and isinstance(t["data_offsets"][1], int)]
    if 8 + header_size + max(ends, default=0) > len(data):
        _fail(path, "the file is truncated (it ends before its last tensor)")
    try:
        tensors = st_load(data)
    except Exception as exc:  # safetensors raises its own error types and Rust panics
        why = str(exc).split("\n")[0][:200]
        if "incomplete" in why.lower() or "out of bounds" in why.lower():
            _fail(path, "the file is truncated or its tensor table is damaged")
        _fail(path, f"the tensor data is damaged ({why})")

    net = Network(spec, initialize=False)
    expected = {name: (arr.T.shape if arr.ndim == 2 else arr.shape)
                for name, arr in net.named_weights().items()}
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        parts = ([f"missing tensors {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected tensors {', '.join(extra)}"] if extra else [])
        _fail(path, "the weights do not match the network spec: " + "; ".join(parts))
    for name in expected:  # in the network's order: the first layer at fault is named
        arr = tensors[name]
        if arr.dtype != np.float32:
            _fail(path, f"tensor {name} has dtype {arr.dtype}, expected float32")
        if arr.shape != expected[name]:
            _fail(path, f"tensor {name} has shape {list(arr.shape)}, expected {list(expected[name])}")
        if not np.isfinite(arr).all():
            _fail(path, f"tensor {name} contains values that are not finite numbers (NaN or inf)")
        if name.endswith(".running_var") and (arr < 0).any():
            _fail(path, f"tensor {name} holds a negative variance")
    if meta.get("checksum") != _checksum(meta["spec"], tensors):
        _fail(path, "the file is damaged: its checksum does not match its contents")
    net.set_weights({k: (v.T if v.ndim == 2 else v) for k, v in tensors.items()})
    for key in _META_KEYS:
        if key in meta:
            try:
                value = json.loads(meta[key])
            except (ValueError, RecursionError):  # not JSON, or nested beyond reason
                _fail(path, f"the file's metadata is damaged: its {key.replace('_', ' ')} is not "
                            f"valid JSON")
            problem = metadata_problem(key, value, net.num_classes)
            if problem:
                _fail(path, f"the file's metadata is damaged: {problem}")
            net.metadata[key] = value
    net.metadata["nndesk_version"] = meta.get("nndesk_version")
    return net
