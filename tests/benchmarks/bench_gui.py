"""Benchmark of the window: responsiveness while training, training speed, start-up time.

Drives the real window (offscreen unless a display is set) and prints one JSON object:

- ``startup``: seconds from launching a fresh Python process to the window shown
  (``window_shown_s``, target < 2 s) and to Train being enabled with the dataset loaded
  (``train_ready_s``);
- ``event_loop_delay_ms``: how late a 10 ms QTimer fires on the GUI thread while the window
  trains with its plots and weight views live (p50, p99, max; target p99 < 50 ms), measured
  in runs of their own because the probe itself slows training;
- ``samples_per_second``: training speed in the window; of the engine's Trainer alone on the
  same preset, data and subset in this process, alternating with the window's runs (``ratio``
  is the median of the per-round ratios, so a drift in machine load hits both sides);
  and of ``nndesk train`` in its own process with the caller's environment; and the
  ratios (target >= 0.9). All use the trainer's own figure (samples / training seconds), so
  evaluation time is left out of each the same way. The window, like ``nndesk``, leaves one
  core to the GUI thread (``leave_a_core_for_the_window``); ``blas_threads_in_window`` says
  what that came to.

    python tests/benchmarks/bench_gui.py [--preset default] [--samples 0] [--epochs 2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

STARTUP_CHILD = r"""
import sys, time
from nndesk.gui.app import create_application, leave_a_core_for_the_window
leave_a_core_for_the_window()
from nndesk.gui.main_window import MainWindow
from PySide6.QtCore import QTimer
app = create_application(["nndesk"])
window = MainWindow()
window.show()
marks = {}
def shown():
    marks["shown"] = time.time()
def poll():
    if window.dashboard.train_button.isEnabled():
        marks["ready"] = time.time()
        print(f"{marks['shown']} {marks['ready']}", flush=True)
        app.quit()
    else:
        QTimer.singleShot(10, poll)
QTimer.singleShot(0, shown)
QTimer.singleShot(0, poll)
app.exec()
"""


def measure_startup(env: dict) -> dict:
    runs = []
    for _ in range(3):
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", STARTUP_CHILD], env=env, cwd=str(ROOT),
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise SystemExit(f"start-up run failed:\n{out.stderr}")
        shown, ready = (float(v) for v in out.stdout.split()[-2:])
        runs.append((shown - t0, ready - t0))
    runs.sort()
    median = runs[len(runs) // 2]
    return {"window_shown_s": round(median[0], 3), "train_ready_s": round(median[1], 3),
            "runs": [[round(a, 3), round(b, 3)] for a, b in runs]}


def cli_train(env: dict, preset: str, samples: int, epochs: int) -> float:
    """``nndesk train`` in its own process, as a person would run it."""
    cmd = [sys.executable, "-m", "nndesk", "train", "--preset", preset, "--epochs", str(epochs),
           "--json"] + (["--subset", str(samples)] if samples else [])
    out = subprocess.run(cmd, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"nndesk train failed:\n{out.stderr}")
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    return float(summary["samples_per_second"])


def engine_alone(spec: dict, dataset, samples: int) -> float:
    from nndesk.workflow import prepare
    prepared = prepare(spec, dataset, subset=samples or None)
    result = prepared.trainer.run()
    return float(result["samples_per_second"])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--samples", type=int, default=0, help="training samples (0: all)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating runs of the engine alone and of the window")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args(argv)

    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    user_env = dict(os.environ)  # for `nndesk train`, before the window's BLAS setting
    sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]
    from nndesk.gui.app import leave_a_core_for_the_window
    leave_a_core_for_the_window()  # as `nndesk` does, before NumPy is imported
    os.environ["NNDESK_SETTINGS_FILE"] = str(Path(tempfile.mkdtemp(prefix="nndesk-bench-"))
                                             / "settings.ini")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    report: dict = {"preset": args.preset, "samples": args.samples, "epochs": args.epochs,
                    "platform": os.environ.get("QT_QPA_PLATFORM") or "xcb"}
    if not args.skip_startup:
        report["startup"] = measure_startup(env)
    report["blas_threads_in_window"] = os.environ.get("OPENBLAS_NUM_THREADS", "default")

    from PySide6.QtCore import QEventLoop, QTimer

    from nndesk.data import load_dataset
    from nndesk.engine import load_preset
    from benchutil import open_window

    spec = load_preset(args.preset)
    spec["training"]["epochs"] = args.epochs
    dataset = load_dataset(spec["dataset"])
    app, window = open_window()
    window.form.set_spec(spec, "benchmark")
    window.dashboard.subset_spin.setValue(args.samples)
    app.processEvents()

    lateness: list[float] = []
    last = [0.0]

    def tick():
        now = time.perf_counter()
        if last[0]:
            lateness.append(max(0.0, (now - last[0]) * 1000.0 - 10.0))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)

    def train_in_window(probe: bool) -> tuple[float, float]:
        results = {}
        window.trainingFinished.connect(results.update)
        window.trainingFailed.connect(lambda m: results.update(error=m))
        done = QEventLoop()
        window.runEnded.connect(done.quit)
        window.session.set_unsaved(False)  # nothing to ask about between benchmark runs
        last[0] = 0.0
        if probe:
            timer.start()
        t0 = time.perf_counter()
        window.start_training()
        done.exec()
        wall = time.perf_counter() - t0
        timer.stop()
        window.runEnded.disconnect(done.quit)
        window.trainingFinished.disconnect(results.update)
        if "error" in results:
            raise SystemExit(f"training in the window failed: {results['error']}")
        return float(results["samples_per_second"]), wall

    # Speed: alternate the engine alone and the window so that drifts in machine load hit both.
    # The 10 ms probe timer is left off here: its hundred Python calls a second compete for
    # the GIL themselves and cost the training thread several percent.
    alone_runs, window_runs, walls = [], [], []
    for _ in range(args.rounds):
        alone_runs.append(engine_alone(spec, dataset, args.samples))
        sps, wall = train_in_window(probe=False)
        window_runs.append(sps)
        walls.append(wall)
    # Responsiveness: separate runs with the probe timer on.
    probed_runs = [train_in_window(probe=True)[0] for _ in range(max(1, args.rounds // 2))]
    redraws = {"curve_refreshes": window.dashboard.plots.refresh_count,
               "tile_redraws": window.tiles.redraw_count}
    window.session.set_unsaved(False)
    window.close()
    app.processEvents()
    user_env["PYTHONPATH"] = env["PYTHONPATH"]
    cli = cli_train(user_env, args.preset, args.samples, args.epochs)

    in_window, alone = statistics.median(window_runs), statistics.median(alone_runs)
    paired = [w / a for w, a in zip(window_runs, alone_runs)]
    report["event_loop_delay_ms"] = {
        "p50": round(percentile(lateness, 50), 2), "p99": round(percentile(lateness, 99), 2),
        "max": round(max(lateness, default=float("nan")), 2), "ticks": len(lateness)}
    report["samples_per_second"] = {
        "window": round(in_window), "engine_alone": round(alone),
        "ratio": round(statistics.median(paired), 3),
        "ratio_of_medians": round(in_window / alone, 3) if alone else None,
        "window_runs": [round(v) for v in window_runs],
        "engine_alone_runs": [round(v) for v in alone_runs],
        "round_ratios": [round(r, 3) for r in paired],
        "nndesk_train": round(cli),
        "ratio_vs_nndesk_train": round(in_window / cli, 3) if cli else None,
        "window_wall_seconds": [round(v, 2) for v in walls],
        "window_with_probe_timer_runs": [round(v) for v in probed_runs]}
    report["views"] = redraws
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
