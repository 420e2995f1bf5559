"""Convolutional network throughput, printed as one JSON object (details: README.md).

The network (``LENET_SPEC``): conv 6 5x5 "same" relu, max pool 2, conv 16 5x5 relu, max pool 2,
flatten, dense 120 relu, 84 relu, 10 softmax, cross-entropy, Adam lr 1e-3, batch 128, on MNIST;
its ``torch.nn.Sequential`` twin starts from nndesk's weights (``start_check``).

1. ``race``: nndesk's fast and reference paths and PyTorch CPU in one process, in turns of
   ``--steps`` training steps, the order rotating (``benchutil.race``): seconds per step, ratios
   to torch (median, min, max over ``--rounds``), GFLOP/s against NumPy's float32 GEMM peak
   (1024^3, best of 10, before and after the race); ``--epochs N`` also races whole epochs.
2. ``breakdown``: a step's seconds by layer and direction (the reference path's layers called one
   by one, the fast plan's kernels through wrappers), loss and optimizer, each the median over
   the steps; inside each convolution, its im2col copies, GEMMs, layouts and col2im.
3. ``memory``: the peak resident memory of a short run of each engine in a fresh process, and
   ``nndesk.engine.memory.estimate``'s figure for it.

Run from the repository root (about 1.5 minutes on the quiet 2-CPU development machine):
``OPENBLAS_CORETYPE=Haswell python tests/benchmarks/bench_cnn.py [--rounds N] [--steps N] ...``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
import timeit
from collections import defaultdict
from pathlib import Path

# nndesk first, as `nndesk train` does: it tunes OpenBLAS's threads before NumPy loads it.
try:
    import nndesk  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:  # a plain checkout: use the repository this file is in
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import nndesk  # noqa: F401

import numpy as np  # noqa: E402

from nndesk.data import load_dataset  # noqa: E402
from nndesk.engine import Trainer, build_network, describe, fast  # noqa: E402
from nndesk.engine.convolution import col2im, windows  # noqa: E402
from nndesk.engine.memory import estimate  # noqa: E402
from nndesk.engine.optimizers import make_optimizer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import BackgroundLoad, machine_info, median_of, race, rounded, spread, torch_module  # noqa


LENET_SPEC = {
    "name": "bench_lenet", "note": "", "dataset": "mnist", "input_shape": [1, 28, 28],
    "initializer": "he_normal", "layers": [
        {"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same", "activation": "relu"},
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "conv2d", "filters": 16, "kernel_size": 5, "padding": "valid", "activation": "relu"},
        {"type": "maxpool2d", "pool_size": 2}, {"type": "flatten"},
        {"type": "dense", "units": 120, "activation": "relu"},
        {"type": "dense", "units": 84, "activation": "relu"},
        {"type": "dense", "units": 10, "activation": "softmax", "initializer": "glorot_uniform"}],
    "loss": "softmax_cross_entropy", "optimizer": {"name": "adam", "learning_rate": 0.001},
    "schedule": {"name": "constant"}, "seed": 0,
    "training": {"batch_size": 128, "epochs": 1, "validation_split": 0.0, "augment": False},
}
BATCH, WARMUP = 128, 5  # WARMUP: untimed steps before a breakdown
now = time.perf_counter


class Laps:
    """A lap timer: ``y = laps("piece", expression)`` adds the time since the last lap to
    ``piece``; ``step()`` ends a step (kept while ``counting``) and starts the next one."""

    def __init__(self):
        self.steps, self.current, self.counting, self.t = defaultdict(list), defaultdict(float), 1, 0.0

    def __call__(self, name, value=None):
        self.current[name] += (t := now()) - self.t
        self.t = t
        return value

    def step(self):
        for name, seconds in self.current.items() if self.counting else ():
            self.steps[name].append(seconds)
        self.current, self.t = defaultdict(float), now()

    def median(self, name):
        return statistics.median(self.steps[name])

    def shares(self, by_kind=False) -> dict:
        """Each piece's median over the steps, and its fraction of their sum; ``by_kind``: the
        layers' pieces summed by kind (``2.conv2d.forward`` counts as ``conv2d.forward``)."""
        seconds = defaultdict(float)
        for name in self.steps:
            kind = name.split(".", 1)[1] if by_kind and name[0].isdigit() else name
            seconds[kind] += self.median(name)
        total = sum(seconds.values())
        return {"seconds_per_step": rounded(total, 6), **{
            k: {"seconds": rounded(v, 6), "fraction": rounded(v / total, 3)}
            for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])}}


def torch_lenet(torch, net):
    """The network in torch.nn with nndesk's weights: conv kernels share the (out, in, kh, kw)
    layout; nndesk's dense W is (in, out), torch's Linear weight its transpose."""
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    with torch.no_grad():
        for mod, layer in zip([m for m in model if hasattr(m, "weight")],
                              [l for l in net.layers if l.param_count]):
            mod.weight.copy_(torch.from_numpy(layer.W.T if layer.kind == "dense" else layer.W))
            mod.bias.copy_(torch.from_numpy(layer.b))
    return model


def start_check(torch, spec, x, y) -> dict:
    """The largest differences between the two models' outputs and first gradients."""
    net = build_network(spec)
    model, out = torch_lenet(torch, net), net.forward(x, training=True)
    net.backward(net.loss.delta(out, y))
    logits = model(torch.from_numpy(x).reshape(len(x), 1, 28, 28))
    torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).backward()
    ours = [g.T if g.ndim == 2 else g for g in net.named_gradients().values()]
    return {"max_abs_output_difference": float(np.abs(torch.softmax(logits, 1).detach().numpy()
                                                      - out).max()),
            "max_abs_gradient_difference": max(float(np.abs(p.grad.numpy() - g).max())
                                               for p, g in zip(model.parameters(), ours))}


def torch_turns(torch, net, x, y):
    """A turn of the torch twin over ``count`` samples from ``start``, in nndesk's trainer's loop
    shape: permutation (untimed, as there), gather, forward, loss, backward, step, loss read."""
    model = torch_lenet(torch, net)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    tx, ty = torch.from_numpy(x).reshape(len(x), 1, 28, 28), torch.from_numpy(y)
    gen, cross_entropy = torch.Generator().manual_seed(0), torch.nn.functional.cross_entropy

    def turn(start, count):
        order, t0 = torch.randperm(count, generator=gen) + start, now()
        for b in range(0, count, BATCH):
            idx = order[b:b + BATCH]
            xb, yb = tx.index_select(0, idx), ty.index_select(0, idx)
            out = model(xb)
            loss = cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item(), int((out.argmax(1) == yb).sum())
        return now() - t0
    return turn


def contenders(spec, x, y, torch, count: int) -> dict:
    """name -> a turn: the seconds of a run over the next ``count`` samples (the same for all)."""
    def nndesk_turn(engine, net):
        def turn(start, count):
            result = Trainer(net, x[start:start + count], y[start:start + count], epochs=1,
                             batch_size=BATCH, engine=engine).run()
            assert result["reason"] == "completed", result
            return result["train_seconds"]
        return turn
    runs = {engine: nndesk_turn(engine, build_network(spec)) for engine in ("fast", "reference")}
    if torch is not None:
        runs["torch"] = torch_turns(torch, build_network(spec), x, y)
    starts = {name: (i * count % (len(x) - count + 1) for i in itertools.count()) for name in runs}
    return {name: lambda name=name: runs[name](next(starts[name]), count) for name in runs}


def gemm_peak_gflops(n=1024) -> float:
    """float32 np.matmul of two n x n matrices, the best of 10."""
    a, b, c = (np.random.default_rng(i).random((n, n), dtype=np.float32) for i in range(3))
    best = min(timeit.repeat(lambda: np.matmul(a, b, out=c), number=1, repeat=10))
    return rounded(2 * n ** 3 / best / 1e9, 1)


def bench_race(spec, x, y, torch, args, flops) -> dict:
    def ratio(times, a, b):  # of each round's seconds
        return spread([p / q for p, q in zip(times[a], times[b])]) if b in times else None
    peaks, load = [gemm_peak_gflops()], BackgroundLoad().start()  # the peak before and after
    times = race(contenders(spec, x, y, torch, args.steps * BATCH), args.rounds)
    peaks.append(gemm_peak_gflops())
    step = {name: [t / args.steps for t in ts] for name, ts in times.items()}
    gflops = {name: 3 * flops * BATCH / median_of(ts) / 1e9 for name, ts in step.items()}
    out = {"steps_per_turn": args.steps, "batch_size": BATCH, "rounds": args.rounds,
           "torch_threads": torch.get_num_threads() if torch is not None else None,
           "seconds_per_step": {name: spread(ts) for name, ts in step.items()},
           **{f"ratio_{a}_to_{b}": ratio(step, a, b)
              for a, b in (("fast", "torch"), ("reference", "torch"), ("reference", "fast"))},
           "gflops": {name: rounded(g, 2) for name, g in gflops.items()},
           "gemm_peak_gflops_before_after": peaks,
           "fraction_of_gemm_peak": {name: rounded(g / max(peaks), 3) for name, g in gflops.items()},
           "background_cpus": load.stop()}
    if args.epochs:  # one warm-up epoch, then args.epochs rounds of one epoch each
        load = BackgroundLoad().start()
        epochs = race(contenders(spec, x, y, torch, len(x)), args.epochs)
        out["epochs"] = {"seconds": {name: spread(ts) for name, ts in epochs.items()},
                         **{f"ratio_{a}_to_torch": ratio(epochs, a, "torch")
                            for a in ("fast", "reference")},
                         "background_cpus": load.stop()}
    return out


def reference_breakdown(spec, x, y, steps: int, reps: int) -> dict:
    net, laps = build_network(spec), Laps()
    opt = make_optimizer(net.spec["optimizer"], net.params.size, net.dtype, net.decay_slices)
    layers, last, lr = net.layers, len(net.layers) - 1, net.spec["optimizer"]["learning_rate"]
    order, inputs, grads = np.random.default_rng(1).permutation(len(x)), {}, {}
    below = [any(l.param_count for l in layers[:i]) for i in range(len(layers))]  # input grad?
    for s in range(steps + WARMUP):
        laps.counting = s >= WARMUP
        idx = order[s * BATCH:(s + 1) * BATCH]
        a, yb = laps("gather", (x[idx], y[idx]))
        for i, layer in enumerate(layers):
            inputs[i] = a
            a = laps(f"{i}.{layer.kind}.forward", layer.forward(a, training=True))
        net.loss.value(a, net.logits, yb)
        grads[last] = laps("loss", net.loss.delta(a, yb))
        for i in range(last, -1, -1):
            grads[i - 1] = laps(f"{i}.{layers[i].kind}.backward", layers[i].backward(
                grads[i], below[i], net.fused_output and i == last))
        laps("optimizer", opt.step(net.params, net.grads, lr))
        laps.step()
    return {"steps": steps, "by_piece": laps.shares(by_kind=True), "per_layer": laps.shares(),
            "conv_internals": {f"{i}.conv2d": conv_pieces(
                layer, inputs[i], grads[i], below[i], reps,
                [laps.median(f"{i}.conv2d.{d}") for d in ("forward", "backward")])
                for i, layer in enumerate(layers) if layer.kind == "conv2d"}}


def conv_pieces(layer, x, grad, input_grad: bool, reps: int, as_a_layer) -> dict:
    """``Conv2D.forward`` and ``backward`` replayed piece by piece as ``np.tensordot`` computes
    them (both operands laid out as matrices, then one GEMM), next to ``as_a_layer``, the
    layer's own forward and backward seconds (``input_grad``: whether it computes dx)."""
    n, (c, h, w), (f, oh, ow) = len(x), layer.input_shape, layer.output_shape
    kh, kw, s, (ph, pw) = layer.kh, layer.kw, layer.stride, layer.pad
    rows, k, act, laps, b = n * oh * ow, c * kh * kw, layer.activation, Laps(), layer.b
    wmat = layer.W.reshape(f, k)

    def im2col(xp):
        return np.ascontiguousarray(windows(xp, kh, kw, s).transpose(0, 2, 3, 1, 4, 5)).reshape(rows, k)
    for r in range(reps + 3):
        laps.counting = r >= 3
        xp = x.reshape(n, c, h, w)
        xp = laps("forward.pad", np.pad(xp, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else xp)
        cols = laps("forward.im2col_copy", im2col(xp))
        zr = laps("forward.gemm", cols @ wmat.T)
        z = laps("forward.bias_and_layout", (zr.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
                                             + b[:, None, None]).reshape(n, -1))
        a = laps("forward.activation", act.forward(z))
        dz = laps("backward.activation", act.backward(grad, z, a).reshape(n, f, oh, ow))
        cols = laps("backward.dW_im2col_copy", im2col(xp))
        dzf = laps("backward.dW_dz_layout", np.ascontiguousarray(dz.transpose(1, 0, 2, 3)))
        dW = laps("backward.dW_gemm", dzf.reshape(f, rows) @ cols)
        laps("backward.db", dz.sum(axis=(0, 2, 3)))
        if input_grad:
            dzr = laps("backward.dx_dz_layout", np.ascontiguousarray(dz.transpose(0, 2, 3, 1)))
            dcols = laps("backward.dx_gemm", dzr.reshape(rows, f) @ wmat).reshape(n, oh, ow, c, kh, kw)
            dxp = laps("backward.col2im", col2im(dcols.transpose(0, 3, 1, 2, 4, 5),
                                                 (n, c, h + 2 * ph, w + 2 * pw), s))
            laps("backward.crop", dxp[:, :, ph:ph + h, pw:pw + w].reshape(n, -1))
        laps.step()
    layer.forward(x, training=True), layer.backward(grad, input_grad)  # the layer, same arrays
    assert np.allclose(z, layer.z, atol=1e-4) and np.allclose(dW.ravel(), layer.dW.ravel(), atol=1e-4)
    out = {"gemm_mkn": {"forward": [rows, k, f], "dW": [f, rows, k], "dx": [rows, f, k]},
           "forward_gemm_gflops": rounded(2 * rows * k * f / laps.median("forward.gemm") / 1e9, 2)}
    for part, timed in zip(("forward", "backward"), as_a_layer):
        mine = {name[len(part) + 1:]: laps.median(name) for name in laps.steps if name.startswith(part)}
        out[part] = {**{name: rounded(t, 6) for name, t in mine.items()},
                     "sum": rounded(sum(mine.values()), 6), "timed_as_a_layer": rounded(timed, 6)}
    return out


def fast_breakdown(spec, x, y, steps: int) -> dict:
    """The fast plan's steps with its kernels' forward and backward and the optimizer timed by
    wrappers (when it has a kernel a layer); ``other``: the rest of the step."""
    net, laps, count = build_network(spec), Laps(), (steps + WARMUP) * BATCH
    trainer = Trainer(net, x[:count], y[:count], epochs=1, batch_size=BATCH, engine="fast")

    def wrap(obj, attr, key):  # its time moves from "other" to ``key``
        def timed(*a, fn=getattr(obj, attr), **kw):
            t0, out = now(), fn(*a, **kw)
            laps.current[key] += now() - t0
            laps.current["other"] -= now() - t0
            return out
        setattr(obj, attr, timed)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        plan = fast.attach(trainer, "fast")  # as Trainer.run does
        if plan is None:
            return {"plan": None, "note": "the fast path falls back to the reference steps"}
        try:
            kernels = getattr(plan, "kernels", None) or ()
            for i, (kernel, layer) in enumerate(zip(kernels, net.layers)):
                wrap(kernel, "forward", f"{i}.{layer.kind}.forward")
                wrap(kernel, "backward", f"{i}.{layer.kind}.backward")
            wrap(trainer.optimizer, "step", "optimizer")
            batches = iter(plan.batches(trainer.rng.permutation(count)))
            for s in range(steps + WARMUP):
                laps.counting = s >= WARMUP
                xb, yb = laps("gather", next(batches))
                plan.step(xb, yb, net.spec["optimizer"]["learning_rate"])
                laps("other")
                laps.step()
        finally:
            plan.release()
    return {"plan": type(plan).__name__, "kernels_timed": len(kernels) == len(net.layers),
            "steps": steps, "by_piece": laps.shares(by_kind=True), "per_layer": laps.shares()}


def memory_child(engine: str, samples: int) -> None:
    """In a fresh process (``--memory-child ENGINE``): a training run and the test set's
    evaluation, and the peak resident memory above what the process held with the data loaded."""
    import resource
    import threading
    spec, ds = LENET_SPEC, load_dataset("mnist")  # (``check`` copies a spec, never changes it)
    x, y = ds.x_train[:samples], ds.y_train[:samples]  # the loaded set stays, in ``before``
    page, peak, done = resource.getpagesize(), [0], threading.Event()

    def rss():
        return int(Path("/proc/self/statm").read_text().split()[1]) * page

    def sample():  # every 2 ms, as bench_memory.py
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.002)
    before, watcher = rss(), threading.Thread(target=sample)
    watcher.start()
    net = build_network(spec)
    reason, training = Trainer(net, x, y, engine=engine).run()["reason"], peak[0] - before
    net.evaluate(ds.x_test, ds.y_test)
    done.set()
    watcher.join()
    est, measured = estimate(spec, samples, x.shape[1]), peak[0] - before
    print(json.dumps({"engine": engine, "samples": samples, "reason": reason,
                      "peak_training_bytes": training, "peak_with_test_evaluation_bytes": measured,
                      "estimate_bytes": est.total, "estimate_parts": est.parts,
                      "estimate_to_measured": rounded(est.total / max(measured, 1), 2)}))


def main(argv=None) -> None:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for flag, default, text in (
            ("--rounds", 5, "measured turns a contender"), ("--steps", 200, "steps a turn"),
            ("--epochs", 0, "also N rounds of a whole epoch"), ("--torch-threads", usable, ""),
            ("--breakdown-steps", 200, "steps timed layer by layer"),
            ("--conv-reps", 100, "replays of the convolutions' pieces"),
            ("--memory-samples", 6400, "training samples of the memory runs")):
        p.add_argument(flag, type=int, default=default, help=f"{text} (default {default})")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--skip", action="append", default=[], choices=["race", "breakdown", "memory"])
    p.add_argument("--memory-child", choices=["reference", "fast"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child, args.memory_samples)
    if not 1 <= args.steps <= 468 or not 1 <= args.breakdown_steps <= 468 - WARMUP:
        p.error("at most 468 steps of 128 samples fit in MNIST's 60,000 (463 for a breakdown)")
    torch = None if args.no_torch else torch_module()
    if torch is not None:
        torch.set_num_threads(args.torch_threads)
    started, load = now(), BackgroundLoad().start()
    info, spec = describe(LENET_SPEC), json.loads(json.dumps(LENET_SPEC))
    flops, haswell = info["flops_per_sample"], os.environ.get("OPENBLAS_CORETYPE") == "Haswell"
    results = {"machine": machine_info(torch), "warnings": [] if haswell else [
        "OPENBLAS_CORETYPE is not Haswell, as it is for the README's figures"]}
    results["network"] = {"params": info["total_params"], "forward_flops_per_sample": flops,
                          "train_gflop_per_step": rounded(3 * flops * BATCH / 1e9, 4), "spec": spec}
    mnist = load_dataset("mnist")
    x, y = mnist.x_train, mnist.y_train.astype(np.int64)
    if torch is not None:
        results["start_check"] = start_check(torch, spec, x[:BATCH], y[:BATCH])
    if "race" not in args.skip:
        results["race"] = bench_race(spec, x, y, torch, args, flops)
    if "breakdown" not in args.skip:
        part = BackgroundLoad().start()
        out = results["breakdown"] = {
            "reference": reference_breakdown(spec, x, y, args.breakdown_steps, args.conv_reps)}
        try:
            out["fast"] = fast_breakdown(spec, x, y, args.breakdown_steps)
        except Exception as exc:  # the fast CNN path is being written: report it and go on
            out["fast"] = {"error": repr(exc)}
        out["background_cpus"] = part.stop()
    results["background_cpus"] = load.stop()  # before the memory part's child processes
    for engine in ("reference", "fast") if "memory" not in args.skip else ():
        run = subprocess.run([sys.executable, __file__, "--memory-child", engine, "--memory-samples",
                              str(args.memory_samples)], capture_output=True, text=True)
        results.setdefault("memory", []).append(
            json.loads(run.stdout.splitlines()[-1]) if run.returncode == 0
            else {"engine": engine, "error": run.stderr[-500:]})
    results["wall_seconds"] = round(now() - started, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
