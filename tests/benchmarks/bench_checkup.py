"""What the run's checkup (layer health and hints, ``nndesk/engine/checkup.py``) costs, printed as
one JSON object: one-epoch runs of the default and lenet presets with a listener (so the checkup
runs) and with the checkup switched off, in turns, the order alternating.

Run from the repository root:
``OPENBLAS_CORETYPE=Haswell python tests/benchmarks/bench_checkup.py [--rounds 8]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

try:
    import nndesk  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from nndesk.data import load_dataset  # noqa: E402
from nndesk.engine import Trainer, build_network, checkup, load_preset  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import machine_info  # noqa: E402

RUNS = (("default", 20000), ("lenet", 6400))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    mnist = load_dataset("mnist")
    real = checkup.Checkup.before_step, checkup.Checkup.after_step
    off = (lambda self, step, sync: None), (lambda self, *args: [])
    out = {"machine": machine_info(), "presets": {}}
    for name, samples in RUNS:
        spec = load_preset(name)
        spec["training"]["augment"] = False
        seconds = {"checkup": [], "off": []}
        for r in range(args.rounds):
            for kind in ("checkup", "off") if r % 2 == 0 else ("off", "checkup"):
                checkup.Checkup.before_step, checkup.Checkup.after_step = \
                    real if kind == "checkup" else off
                trainer = Trainer(build_network(spec), mnist.x_train[:samples],
                                  mnist.y_train[:samples], epochs=1, listeners=[lambda e: None])
                seconds[kind].append(trainer.run()["train_seconds"])
        checkup.Checkup.before_step, checkup.Checkup.after_step = real
        ratios = [a / b for a, b in zip(seconds["checkup"], seconds["off"])]
        out["presets"][name] = {
            "samples": samples, "rounds": args.rounds,
            "seconds_median": {k: round(statistics.median(v), 4) for k, v in seconds.items()},
            "ratio_checkup_to_off": {"median": round(statistics.median(ratios), 3),
                                     "min": round(min(ratios), 3), "max": round(max(ratios), 3)}}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
