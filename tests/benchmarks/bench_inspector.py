"""How long the Inspector page takes to follow a stroke on the pad, printed as JSON.

The real PadPanel and InspectorPage are shown side by side (offscreen unless QT_QPA_PLATFORM
says otherwise, the page at 1400x900) with the page on "Drawing", for the default preset's
network (784-400-200-10) and for the lenet preset, each trained briefly on MNIST. Each trial
draws one stroke with mouse events; ``update_ms`` is from the pad's predictionUpdated to the
end of the page's repaint (the trace of every layer, the class evidence, the pictures of
every row and painting them), ``page_ms`` the page's own figure (``last_update_ms``, before
painting). Dead units are found before timing starts. Targets: 16 ms (default), 50 ms (lenet).

BLAS gets every core but one, as the window gives it (``leave_a_core_for_the_window``);
``--all-cores`` leaves BLAS alone.

Run from the repository root: ``python tests/benchmarks/bench_inspector.py [--strokes 50]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "--all-cores" not in sys.argv:
    from nndesk.gui.app import leave_a_core_for_the_window

    leave_a_core_for_the_window()

import numpy as np  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench_pad_latency import begin_stroke, paths  # noqa: E402
from benchutil import BackgroundLoad, machine_info  # noqa: E402

TARGETS = {"default": 16.0, "lenet": 50.0}


def spread(values: list[float]) -> dict:
    values = sorted(values)
    return {"median": round(statistics.median(values), 2),
            "p90": round(values[min(len(values) - 1, int(0.9 * len(values)))], 2),
            "max": round(values[-1], 2)}


def trained(preset: str, dataset):
    from nndesk.engine import load_preset
    from nndesk.workflow import model_metadata, prepare

    spec = load_preset(preset)
    spec["training"]["epochs"] = 1
    prepared = prepare(spec, dataset, subset=3000 if preset == "default" else 2000)
    prepared.trainer.run()
    prepared.net.metadata = model_metadata(dataset, {}, {})
    return prepared.net


def measure(app, preset: str, dataset, strokes: int) -> dict:
    from nndesk.gui.inspector import InspectorPage
    from nndesk.gui.pad import PadPanel
    from nndesk.gui.session import Session

    net = trained(preset, dataset)
    session, pad = Session(), PadPanel()
    session.want_dataset("mnist")
    session.set_dataset("mnist", dataset)
    state = {"start": 0.0}
    pad.predictionUpdated.connect(lambda _p: state.__setitem__("start", time.perf_counter()))
    page = InspectorPage(session, pad)  # connected after the timer's start
    session.set_network(net, "trained", run_dataset=dataset)
    pad.set_model(net, preset)
    pad.resize(900, 520)
    pad.show()
    page.resize(1400, 900)
    page.show()
    QTest.qWaitForWindowExposed(page)
    page.show_drawing()
    while page.dead_units() is None:
        app.processEvents()
    canvas, rng = pad.canvas, np.random.default_rng(0)
    total, own = [], []
    load = BackgroundLoad().start()
    for trial in range(strokes + 5):
        path = paths(rng)[trial % 4]
        begin_stroke(app, pad, path)
        before = page.redraw_count
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           QPoint(*path[-1]))
        page.repaint()
        end = time.perf_counter()
        if page.redraw_count == before or page.prediction() is None:
            raise RuntimeError("the page did not follow the stroke")
        if trial >= 5:  # the first few warm up
            total.append(1000 * (end - state["start"]))
            own.append(page.last_update_ms)
    background = load.stop()
    rows = [r.title for r in page.rows]
    page.shutdown()
    page.close()
    pad.close()
    return {"rows": rows, "strokes": strokes, "update_ms": spread(total),
            "page_ms": spread(own), "target_ms": TARGETS[preset],
            "under_target": spread(total)["p90"] < TARGETS[preset],
            "background_cpus": background}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=50)
    parser.add_argument("--all-cores", action="store_true", help="leave BLAS's threads alone")
    args = parser.parse_args()
    os.environ["NNDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="nndesk-bench-")
    from nndesk.gui.datasets import load_cached

    app = QApplication.instance() or QApplication(sys.argv[:1])
    dataset = load_cached("mnist")
    results = {preset: measure(app, preset, dataset, args.strokes) for preset in TARGETS}
    print(json.dumps({"machine": machine_info(), "blas_all_cores": args.all_cores,
                      "presets": results}, indent=2))


if __name__ == "__main__":
    main()
