"""How long one update of the Feature maps tab takes, printed as JSON.

The real FeatureMapsView is shown (offscreen unless QT_QPA_PLATFORM says otherwise) at the
width the window gives it (356 pixels) for LeNet (6 and 16 filters of 5x5, as in the
window's tests) and for the convolutional presets, fed MNIST test digits one after another
with a new weight snapshot every tenth digit, as while training. ``update_ms`` is the
view's own figure (``last_redraw_ms``: the forward pass, the colours and the pixmaps);
``with_repaint_ms`` adds painting the view; ``forward_ms`` is the network's forward pass
alone. Target: updates of LeNet under 20 ms.

Run from the repository root: ``python tests/benchmarks/bench_feature_maps.py [--digits 200]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchutil import BackgroundLoad, machine_info  # noqa: E402

TARGET_MS = 20.0


def lenet() -> dict:
    from nndesk import engine

    spec = engine.default_spec()
    spec["input_shape"] = [1, 28, 28]
    spec["layers"] = [
        {"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"},
        {"type": "maxpool2d"}, {"type": "conv2d", "filters": 16, "kernel_size": 5},
        {"type": "maxpool2d"},
        {"type": "flatten"}, {"type": "dense", "units": 120},
        {"type": "dense", "units": 10, "activation": "softmax", "initializer": "glorot_uniform"}]
    return spec


def spread(values: list[float]) -> dict:
    return {"p50": round(statistics.median(values), 2),
            "p95": round(float(np.percentile(values, 95)), 2), "max": round(max(values), 2)}


def measure(app, spec: dict, dataset, digits: int) -> dict:
    from nndesk import engine
    from nndesk.gui.feature_maps import FeatureMapsView

    net = engine.build_network(spec)
    view = FeatureMapsView()
    view.resize(356, 700)
    view.show()
    view.set_context(net.spec)
    view.set_test_images(dataset)
    view.set_snapshot({"weights": net.get_weights(), "gradients": {}})
    app.processEvents()
    inner, outer = [], []
    load = BackgroundLoad().start()
    for i in range(digits):
        if i % 10 == 0:
            view.set_snapshot({"weights": net.get_weights(), "gradients": {}})
        start = time.perf_counter()
        view.choose_image(i)
        view.repaint()
        outer.append(1000 * (time.perf_counter() - start))
        inner.append(view.last_redraw_ms)
    x, forward = dataset.x_test[:1], []
    for _ in range(digits):
        start = time.perf_counter()
        net.layer_outputs(x)
        forward.append(1000 * (time.perf_counter() - start))
    background = load.stop()
    view.close()
    return {"rows": [f"{row.title} {'x'.join(map(str, row.shape))}" for row in view.rows],
            "update_ms": spread(inner), "with_repaint_ms": spread(outer),
            "forward_ms": spread(forward), "background_cpus": background}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=200)
    args = parser.parse_args()
    from nndesk import engine
    from nndesk.gui.datasets import load_cached

    app = QApplication.instance() or QApplication([])
    dataset = load_cached("mnist")
    specs = {"lenet (the tests' LeNet)": lenet()}
    for name, _note in engine.list_presets():
        preset = engine.load_preset(name)
        if any(cfg["type"] == "conv2d" for cfg in preset["layers"]):
            specs[f"preset {name}"] = preset
    results = {name: measure(app, spec, dataset, args.digits) for name, spec in specs.items()}
    print(json.dumps({"machine": machine_info(), "target_ms": TARGET_MS, "networks": results},
                     indent=2))


if __name__ == "__main__":
    main()
