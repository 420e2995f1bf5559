"""A long soak in the window: does memory grow with the epochs, and what grows?

Trains a small network for many short epochs in the real window (offscreen unless a display
is set), with its curves and weight views live, and prints one JSON object:

- ``rss_bytes_per_epoch``: the slope of the resident memory over the epochs after the first
  ``--warmup`` (a least-squares line through one sample an epoch), and ``rss_mb`` at a few
  epochs;
- ``python_growth``: with ``tracemalloc`` on, in a run of its own process, the Python
  allocations that grew steadily (in both halves of the run after the warm-up, at similar
  rates) by source line, in bytes per epoch, so that what grows can be named: the run's
  history lists and the curves drawn from them are expected to.

    python tests/benchmarks/bench_soak.py [--epochs 3000] [--samples 256] [--batch 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def slope(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=3000)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--batch", type=int, default=64)


def measure(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    options(p)
    p.add_argument("--mode", choices=("rss", "trace"))
    args = p.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["NNDESK_SETTINGS_FILE"] = str(Path(tempfile.mkdtemp(prefix="nndesk-soak-"))
                                             / "settings.ini")
    sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]
    from PySide6.QtCore import QEventLoop

    from benchutil import open_window
    from nndesk.engine import load_preset

    app, window = open_window()

    def run(epochs: int, on_epoch) -> None:
        spec = load_preset("default")
        spec["layers"][0]["units"] = 64
        spec["layers"][1]["units"] = 32
        spec["training"].update({"epochs": epochs, "batch_size": args.batch,
                                 "validation_split": 0.1, "augment": False})
        window.form.set_spec(spec, "soak")
        window.dashboard.subset_spin.setValue(args.samples)
        window.session.set_unsaved(False)
        window.controller.epochsEnded.connect(on_epoch)
        done = QEventLoop()
        window.runEnded.connect(done.quit)
        window.start_training()
        done.exec()
        window.runEnded.disconnect(done.quit)
        window.controller.epochsEnded.disconnect(on_epoch)

    if args.mode == "rss":
        samples: dict[int, int] = {}
        run(args.epochs, lambda events: samples.__setitem__(events[-1]["epoch"], rss()))
        after = sorted(e for e in samples if e > args.warmup)
        marks = sorted({min(samples), min(after), after[len(after) // 2], max(samples)})
        report = {"rss_bytes_per_epoch": round(slope(after, [samples[e] for e in after])),
                  "rss_mb": {e: round(samples[e] / 2**20, 1) for e in marks}}
    else:
        tracemalloc.start(1)
        mid_epoch = (args.warmup + args.epochs) // 2
        snaps: dict[str, tuple] = {}

        def trace(events):
            epoch = events[-1]["epoch"]
            for name, at in (("start", args.warmup), ("mid", mid_epoch), ("end", args.epochs)):
                if name not in snaps and epoch >= at:
                    snaps[name] = (epoch, tracemalloc.take_snapshot())

        run(args.epochs, trace)
        tracemalloc.stop()
        # A line grows steadily when it grew in both halves at similar rates; weight snapshots
        # and other short-lived arrays come and go and are left out.
        (e0, s0), (e1, s1), (e2, s2) = snaps["start"], snaps["mid"], snaps["end"]

        def per_line(later, earlier, epochs):
            return {d.traceback[0]: d.size_diff / max(1, epochs)
                    for d in later.compare_to(earlier, "lineno")}

        first, second = per_line(s1, s0, e1 - e0), per_line(s2, s1, e2 - e1)
        counts = {d.traceback[0]: d.count_diff / max(1, e2 - e0)
                  for d in s2.compare_to(s0, "lineno")}
        steady = sorted(((min(first[k], second.get(k, 0)) + max(first[k], second.get(k, 0))) / 2,
                         k) for k in first
                        if first[k] > 0 and second.get(k, 0) > 0
                        and min(first[k], second[k]) > 0.5 * max(first[k], second[k])
                        and "tracemalloc" not in k.filename)[::-1]
        report = {"python_growth": {
            "epochs_traced": e2 - e0,
            "bytes_per_epoch_steady": round(sum(b for b, _ in steady)),
            "lines": [{"where": where(k), "bytes_per_epoch": round(b, 1),
                       "objects_per_epoch": round(counts.get(k, 0.0), 2)} for b, k in steady[:10]]}}
    window.session.set_unsaved(False)
    window.close()
    app.processEvents()
    print(json.dumps(report))
    return 0


def where(frame) -> str:
    """A source line named inside the repository or the installed package."""
    name = frame.filename
    for marker in (str(ROOT) + os.sep, "site-packages" + os.sep):
        if marker in name:
            name = name.split(marker, 1)[1]
    return f"{name}:{frame.lineno}"


def main(argv: list[str] | None = None) -> int:
    """Each measurement in a process of its own, so that neither sees the other's memory."""
    args = sys.argv[1:] if argv is None else list(argv)
    if "--mode" in args:
        return measure(args)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options(p)
    parsed = p.parse_args(args)
    report = {"epochs": parsed.epochs, "samples": parsed.samples, "batch_size": parsed.batch,
              "batches_per_epoch": -(-int(parsed.samples * 0.9) // parsed.batch)}
    for mode in ("rss", "trace"):
        out = subprocess.run([sys.executable, __file__, "--mode", mode, *args], check=True,
                             capture_output=True, text=True)
        report.update(json.loads(out.stdout.splitlines()[-1]))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
