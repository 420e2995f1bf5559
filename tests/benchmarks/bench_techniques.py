"""What each technique of the fast path buys, printed as one JSON object.

For every preset, the fast path with all its techniques races the fast path with one of them
turned off (``nndesk.engine.fast.Options``), and the reference path, in one process, in turns
of one epoch on the 60,000 MNIST training images (``--samples N``: the first N, for shorter
turns; several epochs a turn for the full-batch presets, whose epoch is one step). The order of the turns rotates every round; the first round
warms up. A technique's gain on a preset is how much longer an epoch takes without it:
``off / all - 1``, as median, min and max over the rounds. Only the techniques that apply to a
preset are raced on it.

Run from the repository root: ``python tests/benchmarks/bench_techniques.py`` (about 3
minutes; ``--rounds N``, ``--preset NAME`` to race one preset only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

try:
    import nndesk  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from nndesk.data import load_dataset  # noqa: E402
from nndesk.engine import Trainer, build_network, load_preset  # noqa: E402
from nndesk.engine.fast import Options  # noqa: E402
from nndesk.workflow import make_augment  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import BackgroundLoad, machine_info, median_of, race, rounded, spread  # noqa: E402

# preset -> (the techniques that apply to it, epochs per turn)
PRESETS = {
    "default": (("two_threads",), 1),
    "nielsen_sigmoid": (("deferred",), 1),
    "deep_relu_adam": (("spans", "input_order", "two_threads"), 1),
    "dropout_adam": (("spans", "input_order", "two_threads"), 1),
    "tiny_relu": (("spans",), 20),
    "deep_relu_gd": (("spans", "two_threads"), 3),
}
OFF = {"spans": {"spans": False}, "input_order": {"input_order": False},
       "deferred": {"deferred": False}, "two_threads": {"two_threads": "never"}}


def contender(spec, dataset, engine, epochs, samples):
    net = build_network(spec)
    augment = make_augment(spec, dataset)
    x, y = dataset.x_train[:samples], dataset.y_train[:samples]

    def turn():
        result = Trainer(net, x, y, augment=augment, epochs=epochs, engine=engine).run()
        assert result["error"] is None, result["error"]
        return result["train_seconds"] / epochs

    return turn


def bench_preset(name, dataset, rounds, samples) -> dict:
    techniques, epochs = PRESETS[name]
    spec = load_preset(name)
    contenders = {"all": contender(spec, dataset, Options(), epochs, samples)}
    for technique in techniques:
        contenders[f"no_{technique}"] = contender(spec, dataset, Options(**OFF[technique]),
                                                  epochs, samples)
    contenders["reference"] = contender(spec, dataset, "reference", epochs, samples)
    load = BackgroundLoad().start()
    times = race(contenders, rounds)
    background = load.stop()
    gains = {t: spread([off / on - 1.0 for off, on in zip(times[f"no_{t}"], times["all"])])
             for t in techniques}
    return {"epoch_seconds": {n: rounded(median_of(ts)) for n, ts in times.items()},
            "gain": gains,
            "reference_to_fast": spread([a / b for a, b in zip(times["reference"], times["all"])]),
            "background_cpus": background}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--preset", action="append", choices=list(PRESETS))
    p.add_argument("--samples", type=int, default=60000,
                   help="train on the first N images (shorter turns, more rounds)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    dataset = load_dataset("mnist")
    out = {"machine": machine_info(), "rounds": args.rounds, "samples": args.samples,
           "presets": {}}
    for name in args.preset or PRESETS:
        out["presets"][name] = bench_preset(name, dataset, args.rounds, args.samples)
    out["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
