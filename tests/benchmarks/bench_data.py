"""Data-layer timings, printed as JSON: MNIST loads with an empty cache (cold) and a
filled one (warm), each in a fresh process; a 60,000-row CSV; augment_batch per
128-image batch.

Run from the repository root: ``python tests/benchmarks/bench_data.py``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nndesk.data import load_dataset
from nndesk.data.augment import augment_batch


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _load_in_fresh_process(name: str) -> float:
    """Seconds to load a dataset in a new interpreter (nothing reused from this one)."""
    code = ("import time; from nndesk.data import load_dataset; t = time.perf_counter(); "
            f"load_dataset({name!r}); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def _write_csv(path: Path, labels: np.ndarray, pixels: np.ndarray) -> None:
    text = [str(v).encode() for v in range(256)]
    with path.open("wb") as f:
        for label, row in zip(labels.tolist(), pixels.tolist()):
            f.write(text[label] + b"," + b",".join([text[v] for v in row]) + b"\n")


def main() -> None:
    results: dict[str, object] = {"numpy": np.__version__, "python": platform.python_version(),
                                  "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NNDESK_CACHE_DIR"] = str(Path(tmp) / "cache")
        results["mnist_cold_seconds"] = round(_load_in_fresh_process("mnist"), 3)
        results["mnist_warm_seconds"] = round(_load_in_fresh_process("mnist"), 3)
        mnist = load_dataset("mnist")
        csv = Path(tmp) / "mnist_train.csv"
        _write_csv(csv, mnist.y_train, np.round(mnist.x_train * 255).astype(np.uint8))
        results["csv_mb"] = round(csv.stat().st_size / 1e6, 1)
        results["csv_60000_rows_seconds"] = round(_seconds(lambda: load_dataset(str(csv))), 3)

    batch = mnist.x_train[:128].copy()
    rng = np.random.default_rng(0)
    for _ in range(20):
        augment_batch(batch, rng)
    times = [_seconds(lambda: augment_batch(batch, rng)) for _ in range(300)]
    results["augment_batch128_ms_median"] = round(statistics.median(times) * 1e3, 3)
    results["augment_batch128_ms_min"] = round(min(times) * 1e3, 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
