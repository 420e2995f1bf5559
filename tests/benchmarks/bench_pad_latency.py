"""Drawing-pad latency, printed as JSON: from the end of a stroke to updated bars.

The real PadPanel is shown (offscreen unless QT_QPA_PLATFORM says otherwise) with a
network of the default preset's shape and, for comparison, 784-512-256-10 and the lenet
CNN preset. Each trial
draws one stroke with mouse events, then times from sending the mouse release to the end
of the bar chart's repaint with the new probabilities (preparing the drawing with
canvas_to_mnist, the forward pass, the step images and the repaint all included).
``predict_ms`` is the part up to the new probabilities, before any painting; ``cpu_ms`` the
processor time the process spent on it (all threads), which does not depend on what else the
machine is running, unlike the wall-clock figures (the load average is printed with them).

Run from the repository root: ``python tests/benchmarks/bench_pad_latency.py [--trials 300]``;
add ``--while-training`` to train the default preset in a background thread meanwhile.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TARGET_MS = 16.0


def paths(rng: np.random.Generator) -> list[list[tuple[int, int]]]:
    """A few digit-like strokes (a 1, a 0, a 7, a curve), jittered."""
    dx, dy = rng.integers(-30, 31, size=2)
    one = [(140 + dx, 40 + dy + 8 * i) for i in range(26)]
    zero = [(int(140 + dx + 70 * math.cos(t)), int(140 + dy + 100 * math.sin(t)))
            for t in np.linspace(0, 2 * math.pi, 48)]
    seven = [(70 + dx + 9 * i, 50 + dy) for i in range(16)] + \
            [(205 + dx - 4 * i, 50 + dy + 10 * i) for i in range(1, 20)]
    curve = [(int(140 + dx + 60 * math.cos(t)), int(90 + dy + 50 * math.sin(t)))
             for t in np.linspace(-math.pi, 0.6 * math.pi, 30)]
    return [one, zero, seven, curve]


def begin_stroke(app, pad, path) -> None:
    """Clear the pad and draw ``path`` up to its last point, the button still down (the
    release, the part that is timed, is the caller's)."""
    pad.clear()
    app.processEvents()
    canvas = pad.canvas
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(*path[0]))
    for x, y in path[1:]:
        QTest.mouseMove(canvas, QPoint(x, y))
    app.processEvents()  # let any throttled mid-stroke prediction happen before timing


def measure(panel, app, trials: int, rng) -> dict:
    canvas = panel.canvas
    state = {"painted": 0.0, "predicted": 0.0, "cpu": 0.0}

    def painted():
        state["painted"] = time.perf_counter()
        state["cpu"] = time.process_time()

    panel.bars.painted.connect(painted)
    panel.predictionUpdated.connect(lambda p: state.__setitem__("predicted", time.perf_counter()))
    totals, predicts, cpu = [], [], []
    for trial in range(trials):
        path = paths(rng)[trial % 4]
        begin_stroke(app, panel, path)
        state["painted"] = state["predicted"] = 0.0
        start, cpu_start = time.perf_counter(), time.process_time()
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           QPoint(*path[-1]))
        while state["painted"] == 0.0 and time.perf_counter() - start < 2.0:
            app.processEvents()
        if state["painted"] == 0.0 or panel.probabilities() is None:
            raise RuntimeError("the bars were not repainted with a prediction")
        totals.append((state["painted"] - start) * 1e3)
        predicts.append((state["predicted"] - start) * 1e3)
        cpu.append((state["cpu"] - cpu_start) * 1e3)
    totals.sort()
    cpu.sort()
    return {
        "trials": trials,
        "stroke_end_to_bars_ms_median": round(statistics.median(totals), 3),
        "stroke_end_to_bars_ms_p99": round(totals[min(len(totals) - 1, int(0.99 * len(totals)))], 3),
        "stroke_end_to_bars_ms_max": round(totals[-1], 3),
        "predict_ms_median": round(statistics.median(predicts), 3),
        "cpu_ms_median": round(statistics.median(cpu), 3),
        "cpu_ms_p99": round(cpu[min(len(cpu) - 1, int(0.99 * len(cpu)))], 3),
        "under_target": totals[min(len(totals) - 1, int(0.99 * len(totals)))] < TARGET_MS,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--while-training", action="store_true",
                        help="train the default preset on MNIST in a background thread meanwhile, "
                             "as when drawing while the window trains")
    args = parser.parse_args(argv)
    os.environ["NNDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="nndesk-bench-")

    from nndesk.engine import build_network, describe, load_preset
    from nndesk.engine.layers import shape_text
    from nndesk.gui.pad import PadPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = PadPanel()
    panel.resize(980, 520)
    panel.show()
    QTest.qWaitForWindowExposed(panel)

    default = load_preset("default")
    wide = load_preset("default")
    wide["layers"] = [{"type": "dense", "units": 512, "activation": "relu"},
                      {"type": "dense", "units": 256, "activation": "relu"},
                      {"type": "dense", "units": 10, "activation": "softmax"}]
    trainer = None
    if args.while_training:
        from nndesk.workflow import prepare

        spec = load_preset("default")
        spec["training"]["epochs"] = 1000
        trainer = prepare(spec).trainer
        training = threading.Thread(target=trainer.run, daemon=True)
        training.start()
    results = {"platform": os.environ["QT_QPA_PLATFORM"], "python": platform.python_version(),
               "while_training": args.while_training,
               "numpy": np.__version__, "cpus": os.cpu_count(), "target_ms": TARGET_MS,
               "load_average_before": [round(v, 2) for v in os.getloadavg()]}
    for name, spec in (("default_preset", default), ("784-512-256-10", wide),
                       ("lenet", load_preset("lenet"))):
        net = build_network(spec)
        sizes = [f"{layer['type']} {shape_text(layer_shape)}" for layer, layer_shape in
                 zip(spec["layers"], (r["output_shape"] for r in describe(spec)["layers"]))]
        panel.set_model(net, name)
        measure(panel, app, 20, np.random.default_rng(1))  # warm up
        result = measure(panel, app, args.trials, np.random.default_rng(0))
        results[name] = {"layers": ", ".join(sizes), **result}
    results["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    if trainer is not None:
        trainer.request_stop()
        training.join()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
