"""Accuracy on digits drawn the way a person draws them on the pad, printed as JSON.

Each MNIST test digit is turned into a 280x280 pad drawing: its ink is scaled up so the
digit is 120-260 px tall (never wider than the pad), placed at a random position (off
centre), redrawn as a pen stroke with a crisp anti-aliased edge (the smooth upscaled
digit cut at a level), and made thicker or thinner by a dilation or erosion of 0-8 px at
pad scale. Everything is drawn from ``numpy.random.default_rng(seed)``, so a seed gives
the same drawings every time.

Three accuracies of one model are reported:

- ``clean_accuracy``: on the same MNIST test digits as they are (28x28);
- ``drawn_accuracy``: on the drawings, prepared by ``canvas_to_mnist`` (what the pad does);
- ``naive_accuracy``: on the drawings shrunk whole to 28x28 by area averaging.

Run from the repository root::

    python tests/benchmarks/bench_drawings.py --model MODEL.safetensors [--n 10000] [--seed 0]

Without ``--model`` it first trains the default preset (a few minutes) and uses that.
``--save-examples FILE.npz`` keeps the first 100 drawings and their labels for a look.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

# One BLAS thread: this measures accuracy, and thousands of tiny matrix products run
# much faster without threads waking up for each (the pad itself is unaffected).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from nndesk.data import load_dataset  # noqa: E402
from nndesk.data.preprocess import canvas_to_mnist  # noqa: E402

CANVAS = 280
MIN_HEIGHT, MAX_HEIGHT = 120, 260
MAX_WIDTH = 260
MARGIN = 6  # pixels kept free at the pad's edges


def _linear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) bilinear resampling matrix (pixel centres aligned, edges clamped)."""
    scale = n_in / n_out
    pos = np.clip((np.arange(n_out) + 0.5) * scale - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = (pos - lo).astype(np.float32)
    m = np.zeros((n_out, n_in), dtype=np.float32)
    m[np.arange(n_out), lo] += 1 - frac
    m[np.arange(n_out), hi] += frac
    return m


def _morph(image: np.ndarray, radius: int, extreme) -> np.ndarray:
    """Dilation (np.maximum) or erosion (np.minimum) by an octagon of ``radius`` pixels:
    steps alternating between the 8 and the 4 neighbours, so strokes stay round."""
    out = image
    for step in range(radius):
        padded = np.pad(out, 1)
        h, w = out.shape
        new = out.copy()
        shifts = [(-1, 0), (1, 0), (0, -1), (0, 1)]
        if step % 2 == 0:
            shifts += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
        for dy, dx in shifts:
            extreme(new, padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w], out=new)
        out = new
    return out


def draw(image28: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A 280x280 float32 drawing (ink 1 on 0) of one MNIST digit, and how it was drawn."""
    ink = image28 > 0.05
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    crop = image28[max(rows[0] - 1, 0):rows[-1] + 2, max(cols[0] - 1, 0):cols[-1] + 2]
    ink_h, ink_w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    height = rng.uniform(MIN_HEIGHT, MAX_HEIGHT)
    scale = min(height / ink_h, MAX_WIDTH / ink_w)
    out_h = max(2, int(round(crop.shape[0] * scale)))
    out_w = max(2, int(round(crop.shape[1] * scale)))
    smooth = _linear_matrix(crop.shape[0], out_h) @ crop @ _linear_matrix(crop.shape[1], out_w).T
    # A pen stroke: the smooth digit cut at a level, with a 1.5 px anti-aliased edge.
    level = rng.uniform(0.3, 0.6)
    edge = 1.5 / scale
    stroke = np.clip((smooth - level) / edge + 0.5, 0.0, 1.0).astype(np.float32)
    radius = int(rng.integers(-5, 9))  # negative: thinner (erosion), positive: thicker
    if radius:
        pad = abs(radius) + 1
        stroke = np.pad(stroke, pad)
        stroke = _morph(stroke, abs(radius), np.maximum if radius > 0 else np.minimum)
        if radius < 0 and stroke.max() <= 0.05:  # eroded away entirely: keep the plain stroke
            stroke = np.clip((smooth - level) / edge + 0.5, 0.0, 1.0).astype(np.float32)
            radius = 0
    # Place it anywhere it fits (off centre), cropping if it is still too big.
    stroke = stroke[:CANVAS - 2 * MARGIN, :CANVAS - 2 * MARGIN]
    h, w = stroke.shape
    top = int(rng.integers(MARGIN, CANVAS - MARGIN - h + 1))
    left = int(rng.integers(MARGIN, CANVAS - MARGIN - w + 1))
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    canvas[top:top + h, left:left + w] = stroke
    return canvas, {"height": round(float(height), 1), "level": round(float(level), 3),
                    "radius": radius, "top": top, "left": left}


def naive(canvas: np.ndarray) -> np.ndarray:
    """The whole canvas shrunk to 28x28 by area averaging (what not to do): each output
    pixel is the mean of a 10x10 block, the same as ``area_resample``."""
    return canvas.reshape(28, CANVAS // 28, 28, CANVAS // 28).mean(axis=(1, 3))


def train_default():
    """Train the default preset on MNIST (the model the pad uses by default)."""
    from nndesk.engine import load_preset
    from nndesk.workflow import prepare

    print("no --model given: training the default preset first ...", file=sys.stderr)
    prepared = prepare(load_preset("default"))
    result = prepared.trainer.run()
    if result.get("error"):
        raise SystemExit(f"training failed: {result['error']}")
    return prepared.net, "default preset (trained now)"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", metavar="FILE", help="a model file; default: train the "
                        "default preset first")
    parser.add_argument("model_pos", nargs="?", metavar="MODEL", help="same as --model")
    parser.add_argument("--n", type=int, default=10000, help="test digits to draw (default all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-examples", metavar="FILE.npz")
    args = parser.parse_args(argv)
    path = args.model or args.model_pos

    if path:
        from nndesk.engine import load_model
        net, source = load_model(path), path
    else:
        net, source = train_default()

    mnist = load_dataset("mnist")
    rng = np.random.default_rng(args.seed)
    n = min(args.n, len(mnist.y_test))
    index = np.sort(rng.permutation(len(mnist.y_test))[:n]) if n < len(mnist.y_test) \
        else np.arange(n)
    x_clean, y = mnist.x_test[index], mnist.y_test[index]

    start = time.perf_counter()
    prepared = np.empty((n, 784), dtype=np.float32)
    squashed = np.empty((n, 784), dtype=np.float32)
    examples, settings = [], []
    for i in range(n):
        canvas, how = draw(x_clean[i].reshape(28, 28), rng)
        prepared[i] = canvas_to_mnist(canvas).ravel()
        squashed[i] = naive(canvas).ravel()
        settings.append(how)
        if args.save_examples and i < 100:
            examples.append(canvas)
    seconds = time.perf_counter() - start

    clean = float(np.mean(net.predict(x_clean) == y))
    drawn_right = net.predict(prepared) == y
    drawn = float(np.mean(drawn_right))
    squash = float(np.mean(net.predict(squashed) == y))
    full_clean = float(np.mean(net.predict(mnist.x_test) == mnist.y_test))
    heights = np.array([s["height"] for s in settings])
    radii = np.array([s["radius"] for s in settings])
    groups = {"thinner": radii < 0, "unchanged": radii == 0, "thicker": radii > 0,
              "height_under_160": heights < 160,
              "height_160_to_210": (heights >= 160) & (heights < 210),
              "height_210_and_over": heights >= 210}
    by_group = {name: {"samples": int(mask.sum()),
                       "drawn_accuracy": round(float(drawn_right[mask].mean()), 4)
                       if mask.any() else None}
                for name, mask in groups.items()}
    if args.save_examples:
        np.savez_compressed(args.save_examples, canvases=np.array(examples),
                            labels=y[:len(examples)])
    print(json.dumps({
        "model": source,
        "samples": n,
        "seed": args.seed,
        "clean_accuracy": round(clean, 4),
        "drawn_accuracy": round(drawn, 4),
        "naive_accuracy": round(squash, 4),
        "gap_points": round(100 * (clean - drawn), 2),
        "target_gap_points": 1.5,
        "clean_accuracy_full_test_set": round(full_clean, 4),
        "drawings": {"height_px": [MIN_HEIGHT, MAX_HEIGHT],
                     "height_mean_px": round(float(heights.mean()), 1),
                     "thicker": int(np.sum(radii > 0)), "thinner": int(np.sum(radii < 0)),
                     "dilation_erosion_px": [int(radii.min()), int(radii.max())]},
        "drawn_accuracy_by_kind": by_group,
        "drawing_and_preparing_seconds": round(seconds, 2),
    }, indent=2))


if __name__ == "__main__":
    main()
