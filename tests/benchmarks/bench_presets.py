"""Preset throughput and the default preset's time to 98% test accuracy, printed as JSON.

For every preset (``nndesk.engine.list_presets()``): training samples per second over a short
run, built exactly as the command line and the window build it (``nndesk.workflow.prepare``,
then ``trainer.run``), stopped after ``--budget`` seconds of training (at least one batch;
full-batch presets count one pass over the data per iteration). Each preset runs
``--repeats`` times on a fresh network and the median is reported.

For the default preset: the whole run as the preset specifies it, with the test accuracy
evaluated after every epoch by a listener (outside the timed training), reporting the
training seconds at which it first reached ``--target`` and the final accuracy.

The host may be shared and noisy: ``background_cpus`` says how many CPUs other processes kept
busy on average while each part ran.

Run from the repository root: ``python tests/benchmarks/bench_presets.py`` (about 1-2
minutes; ``--budget``/``--repeats`` for longer runs, ``--skip-target`` to leave out the full
default run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

try:
    import nndesk  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:  # a plain checkout: use the repository this file is in
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import BackgroundLoad, machine_info  # noqa: E402

from nndesk.data import load_dataset  # noqa: E402
from nndesk.engine import describe, list_presets, load_preset  # noqa: E402
from nndesk.workflow import prepare  # noqa: E402


def _r(x, digits=4):
    return None if x is None else round(x, digits)


def short_run(spec: dict, dataset, budget: float) -> dict:
    """Train a fresh network from ``spec`` until ``budget`` seconds of training have passed."""
    state = {"start": None, "trainer": None}

    def on_event(event):
        kind = event["event"]
        if kind == "started":
            state["start"] = time.perf_counter()
        elif kind in ("batch", "epoch") and time.perf_counter() - state["start"] > budget:
            state["trainer"].request_stop()

    prepared = prepare(spec, dataset=dataset, listeners=[on_event])
    state["trainer"] = prepared.trainer
    result = prepared.trainer.run()
    if result["error"]:
        raise RuntimeError(result["error"])
    history = result["history"]
    samples = round(result["samples_per_second"] * result["train_seconds"])
    return {"samples_per_second": result["samples_per_second"],
            "train_seconds": result["train_seconds"], "samples": samples,
            "epochs_completed": len(history["epoch"]), "batches": len(history["batch_loss"]),
            "reason": result["reason"]}


def bench_preset(name: str, datasets: dict, budget: float, repeats: int) -> dict:
    spec = load_preset(name)
    if spec["dataset"] not in datasets:
        datasets[spec["dataset"]] = load_dataset(spec["dataset"])
    dataset = datasets[spec["dataset"]]
    info = describe(spec)
    load = BackgroundLoad().start()
    runs = [short_run(spec, dataset, budget) for _ in range(repeats)]
    rates = [r["samples_per_second"] for r in runs]
    training = spec["training"]
    return {
        "name": name, "dataset": spec["dataset"],
        "layers": [l.get("units", l.get("rate")) for l in spec["layers"]],
        "optimizer": spec["optimizer"]["name"], "batch_size": training["batch_size"],
        "augment": training["augment"], "params": info["total_params"],
        "flops_per_sample_forward": info["flops_per_sample"],
        "samples_per_second": _r(statistics.median(rates), 1),
        "samples_per_second_runs": [_r(r, 1) for r in rates],
        "train_seconds_runs": [_r(r["train_seconds"], 3) for r in runs],
        "samples_per_run": [r["samples"] for r in runs],
        "background_cpus": load.stop(),
    }


def time_to_target(datasets: dict, target: float, name: str = "default") -> dict:
    spec = load_preset(name)
    if spec["dataset"] not in datasets:
        datasets[spec["dataset"]] = load_dataset(spec["dataset"])
    dataset = datasets[spec["dataset"]]
    curve = []
    train_seconds = 0.0
    state = {}

    def on_event(event):
        nonlocal train_seconds
        if event["event"] == "epoch":
            train_seconds += event["seconds"]
            t0 = time.perf_counter()
            _, accuracy = state["net"].evaluate(dataset.x_test, dataset.y_test)
            curve.append({"epoch": event["epoch"], "train_seconds": _r(train_seconds, 3),
                          "test_accuracy": _r(accuracy, 4),
                          "eval_seconds": _r(time.perf_counter() - t0, 3)})

    load = BackgroundLoad().start()
    prepared = prepare(spec, dataset=dataset, listeners=[on_event])
    state["net"] = prepared.net
    result = prepared.trainer.run()
    if result["error"]:
        raise RuntimeError(result["error"])
    reached = next((c for c in curve if c["test_accuracy"] >= target), None)
    training = spec["training"]
    return {
        "preset": name, "target_accuracy": target,
        "epochs": training["epochs"], "batch_size": training["batch_size"],
        "augment": training["augment"],
        "seconds_to_target": reached["train_seconds"] if reached else None,
        "epoch_reached": reached["epoch"] if reached else None,
        "final_test_accuracy": curve[-1]["test_accuracy"] if curve else None,
        "train_seconds": _r(result["train_seconds"], 3),
        "samples_per_second": _r(result["samples_per_second"], 1),
        "curve": curve, "background_cpus": load.stop(),
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budget", type=float, default=2.0,
                   help="seconds of training per short run (default 2)")
    p.add_argument("--repeats", type=int, default=3, help="short runs per preset (default 3)")
    p.add_argument("--presets", help="comma-separated preset names (default: all)")
    p.add_argument("--target", type=float, default=0.98, help="test accuracy to reach")
    p.add_argument("--skip-target", action="store_true",
                   help="leave out the full training of the default preset")
    args = p.parse_args(argv)
    started = time.perf_counter()
    load = BackgroundLoad().start()
    names = args.presets.split(",") if args.presets else [n for n, _ in list_presets()]
    datasets: dict = {}
    results: dict = {"machine": machine_info(None),
                     "budget_seconds": args.budget, "repeats": args.repeats,
                     "presets": [bench_preset(n, datasets, args.budget, args.repeats)
                                 for n in names]}
    if not args.skip_target:
        results["default_to_target"] = time_to_target(datasets, args.target)
    results["background_cpus"] = load.stop()
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
