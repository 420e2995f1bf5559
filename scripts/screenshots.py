"""Screenshots of the real window for the README and docs/gui.md.

Runs the window at 1366x768, picks a preset, trains it on part of MNIST and grabs the
window mid-run (training.png), after the run (screenshot.png, layers.png) and the
drawing pad with a test digit (pad.png), the test set judged with the cell of its worst mistake
(evaluation.png) and that mistake in the inspector (inspector.png). Works under a real or
virtual X server (``xvfb-run -s "-screen 0 1366x768x24" python scripts/screenshots.py``) or
without one (it falls back to Qt's offscreen platform). The person's settings are not touched.

    python scripts/screenshots.py [--preset default] [--samples 20000] [--epochs 6] [--out docs]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_until(app, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--samples", type=int, default=20000, help="training samples (0: all)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--size", default="1366x768")
    args = parser.parse_args(argv)

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    settings_dir = tempfile.mkdtemp(prefix="nndesk-shots-")
    os.environ["NNDESK_SETTINGS_FILE"] = str(Path(settings_dir) / "settings.ini")
    sys.path.insert(0, str(ROOT))

    from nndesk.gui.app import create_application
    from nndesk.gui.main_window import MainWindow

    app = create_application(["nndesk"])
    width, height = (int(v) for v in args.size.split("x"))
    window = MainWindow()
    window.resize(width, height)
    window.move(0, 0)
    window.show()
    wait_until(app, window.dataset_ready, 60, "the dataset")
    window.form.choose_preset(args.preset)
    spec = window.form.spec()
    spec["training"]["epochs"] = args.epochs
    window.form.set_spec(spec, "Fewer epochs for the screenshot")
    window.dashboard.subset_spin.setValue(args.samples)
    settle(app, 0.3)
    args.out.mkdir(parents=True, exist_ok=True)

    window.start_training()
    mid = max(1, args.epochs // 2)
    wait_until(app, lambda: window.dashboard.plots.train_acc.size >= mid, 600, "training")
    wait_until(app, lambda: window.dashboard.epoch_bar.value() >= window.dashboard.epoch_bar.maximum() // 2,
               120, "half an epoch")
    settle(app, 0.4)
    window.grab().save(str(args.out / "training.png"))

    wait_until(app, lambda: not window.controller.is_running(), 900, "the end of training")
    tiles = window.tiles
    wait_until(app, lambda: tiles.grid.image.image is not None, 10, "the unit images")
    tiles.select_unit(min(7, max(tiles.tile_count - 1, 0)))
    settle(app, 0.6)
    window.grab().save(str(args.out / "screenshot.png"))
    window.inspect_tabs.setCurrentWidget(window.layers_view)
    settle(app, 0.6)
    window.grab().save(str(args.out / "layers.png"))
    window.show_page(1)
    window.pad.load_test_digit(0)
    wait_until(app, lambda: window.pad.prediction() is not None, 10, "the pad's prediction")
    settle(app, 0.4)
    window.grab().save(str(args.out / "pad.png"))
    evaluation = window.evaluation
    window.show_page(3)
    wait_until(app, lambda: evaluation.judgement() is not None, 60, "the test set judged")
    worst = evaluation.judgement().top_losses(1)
    true, predicted = (int(evaluation.judgement().labels[worst[0]]),
                       int(evaluation.judgement().predicted[worst[0]])) if len(worst) else (0, 0)
    evaluation.confusion_tab.show_cell(true, predicted)
    settle(app, 0.6)
    window.grab().save(str(args.out / "evaluation.png"))
    inspector = window.inspector
    window.show_page(2)
    inspector.show_test_digit(int(worst[0]) if len(worst) else 0)
    wait_until(app, lambda: inspector.prediction() is not None, 10, "the inspector")
    inspector.select_unit(0, 0)
    settle(app, 0.6)
    window.grab().save(str(args.out / "inspector.png"))
    print(f"wrote screenshot.png, training.png, layers.png, pad.png, evaluation.png and "
          f"inspector.png to {args.out}")
    window.session.set_unsaved(False)  # nothing to ask about: this was a demonstration run
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
