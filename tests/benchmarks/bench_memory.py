"""The training-memory estimate against the peak memory of real runs.

Each case trains one epoch in a fresh process and reports its peak resident memory (sampled
every 2 ms) above what the process held once the dataset was loaded, next to ``nndesk.engine.memory.estimate``
(without the loaded dataset, which both leave out), with the test set evaluated after it. An estimate should sit at or a little
above the measured peak: below it, the refusal would let through runs that do not fit.

    python tests/benchmarks/bench_memory.py [--samples N]

Prints one JSON object per case and a summary line with the ratios estimate / measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASES = [
    ("wide adam", [8000], "adam", 256),
    ("two 4000 sgd", [4000, 4000], "sgd", 128),
    ("deep 20x256 momentum", [256] * 20, "momentum", 64),
    ("full batch 2000", [2000], "adam", 0),
]

CHILD = r"""
import json, resource, sys, threading, time
import numpy as np
from nndesk.data import load_dataset
from nndesk.engine import Trainer, build_network, default_spec
from nndesk.engine.memory import estimate

hidden, optimizer, batch, samples, engine = json.loads(sys.argv[1])
ds = load_dataset("mnist")
x, y = ds.x_train[:samples].copy(), ds.y_train[:samples].copy()
x_test, y_test = ds.x_test.copy(), ds.y_test.copy()
del ds
spec = default_spec()
spec["layers"] = [{"type": "dense", "units": u, "activation": "relu"} for u in hidden] + [
    {"type": "dense", "units": 10, "activation": "softmax"}]
spec["optimizer"] = {"name": optimizer, "learning_rate": 0.001}
spec["training"].update({"batch_size": batch, "epochs": 1, "validation_split": 0.0,
                         "augment": False, "engine": engine})
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
peak, done = [0], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)
before = rss()
watcher = threading.Thread(target=sample)
watcher.start()
net = build_network(spec)
Trainer(net, x, y).run()
net.evaluate(x_test, y_test)
done.set()
watcher.join()
est = estimate(spec, samples, 784)
print(json.dumps({"measured": peak[0] - before, "estimate": est.total, "parts": est.parts,
                  "parameters": est.parameters}))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=10000)
    args = p.parse_args()
    ratios = []
    for name, hidden, optimizer, batch in CASES:
        for engine in ("reference", "fast"):
            out = subprocess.run([sys.executable, "-c", CHILD,
                                  json.dumps([hidden, optimizer, batch, args.samples, engine])],
                                 capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.splitlines()[-1])
            row.update(case=name, engine=engine, ratio=row["estimate"] / max(row["measured"], 1))
            ratios.append(row["ratio"])
            print(json.dumps(row), flush=True)
    print(json.dumps({"summary": "estimate / measured peak", "min": min(ratios),
                      "max": max(ratios)}))


if __name__ == "__main__":
    main()
