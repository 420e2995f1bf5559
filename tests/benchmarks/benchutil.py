"""What every benchmark script shares: the machine's description, the background load, the
gaps between contenders, and the engine of an earlier commit to race against."""

from __future__ import annotations

import importlib
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _blas_summary() -> dict:
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]
        blas = deps.get("blas", {})
        return {"name": blas.get("name"), "version": blas.get("version"),
                "config": blas.get("openblas configuration")}
    except Exception as exc:  # the config format is not a stable API
        return {"error": repr(exc)}


def _threadpools() -> list | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{k: d.get(k) for k in ("internal_api", "num_threads", "version", "architecture",
                                    "threading_layer")} for d in threadpool_info()]


def torch_module():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _installed_version(name: str) -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version
        return version(name)
    except (ImportError, PackageNotFoundError):
        return None


def machine_info(torch=None) -> dict:
    """Where the figures come from. ``torch``: the imported module when it is used."""
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                           "OMP_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT")}
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(), "cpus_usable": affinity, "cpu_model": _cpu_model(),
        "platform": platform.platform(), "python": platform.python_version(),
        "numpy": np.__version__, "blas": _blas_summary(), "threadpools": _threadpools(),
        "env": env, "OPENBLAS_CORETYPE": env["OPENBLAS_CORETYPE"],
        "torch": torch.__version__ if torch else _installed_version("torch"),
        "torch_threads": torch.get_num_threads() if torch else None,
    }


SETTLE_SECONDS = 0.3
GAP_SECONDS = 0.02  # busy wait after each turn of a race (see quiet_gap)


def settle() -> None:
    """Pause between contenders: OpenBLAS's threads keep spinning for a while
    after their work unless nndesk set OPENBLAS_THREAD_TIMEOUT short; let them go to sleep
    so that they do not take a core from whatever runs next."""
    time.sleep(SETTLE_SECONDS)


def quiet_gap() -> None:
    """Untimed gap after a contender's turn: PyTorch's OpenMP workers spin about 10 ms
    after their last parallel region, on the core nndesk's next product needs. Busy, not
    asleep: a core that idles runs whatever comes next slowly for a while on this host."""
    end = time.perf_counter() + GAP_SECONDS
    while time.perf_counter() < end:
        pass


class BackgroundLoad:
    """Average number of CPUs kept busy by *other* processes between start() and stop()
    (Linux only: /proc/stat minus this process's own CPU time); None elsewhere."""

    def __init__(self):
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @staticmethod
    def _busy_seconds(tick):
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        busy = sum(fields[:8]) - idle  # leave out guest time (already counted in user)
        return busy / tick

    def start(self):
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._busy_seconds(self.tick), self._own()
        return self

    @staticmethod
    def _own():
        t = os.times()
        return t.user + t.system

    def stop(self) -> float | None:
        busy1 = self._busy_seconds(self.tick)
        if self.busy0 is None or busy1 is None:
            return None
        wall = time.perf_counter() - self.t0
        other = (busy1 - self.busy0) - (self._own() - self.own0)
        return round(max(other, 0.0) / wall, 2) if wall > 0 else None


def median_of(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rounded(x, digits=4):
    return None if x is None else round(x, digits)


def race(contenders: dict, rounds: int) -> dict:
    """Each contender's epoch seconds over ``rounds`` rounds after one warm-up round, the
    turns in a rotating order, with an untimed gap after each."""
    names, times = list(contenders), {name: [] for name in contenders}
    for r in range(rounds + 1):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            seconds = contenders[name]()
            if r:
                times[name].append(seconds)
            quiet_gap()
    return times


def spread(values) -> dict | None:
    """Median, lowest and highest of a list (None when it is empty)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": rounded(statistics.median(values)), "min": rounded(min(values)),
            "max": rounded(max(values)), "n": len(values)}


def baseline_engine(rev: str):
    """``nndesk.engine`` as it was at commit ``rev``, imported as ``nndesk_baseline.engine``
    from a temporary copy (the engine imports only itself and ``nndesk.paths``)."""
    data = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev, "nndesk/engine",
                           "nndesk/paths.py", "nndesk/__init__.py"], check=True,
                          capture_output=True).stdout
    root = Path(tempfile.mkdtemp(prefix="nndesk-baseline-"))
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(root, filter="data")
    (root / "nndesk").rename(root / "nndesk_baseline")
    sys.path.insert(0, str(root))
    return importlib.import_module("nndesk_baseline.engine")


def open_window():
    """The application and a shown main window (1366x768) with its dataset loaded."""
    from PySide6.QtCore import QEventLoop

    from nndesk.gui.app import create_application
    from nndesk.gui.main_window import MainWindow

    app = create_application(["nndesk"])
    window = MainWindow()
    window.resize(1366, 768)
    window.show()
    loop = QEventLoop()
    window.datasetReady.connect(loop.quit)
    if not window.dataset_ready():
        loop.exec()
    return app, window
