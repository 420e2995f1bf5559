"""Engine throughput, printed as one JSON object.

1. ``mlp``: the MLP 784-256-128-64-10 (ReLU, softmax cross-entropy, Adam, batch 128, float32)
   on the real MNIST training set (60,000 images), raced in one process in turns of one
   epoch: nndesk's fast path, its reference path, optionally the engine of an earlier commit
   (``--baseline REV``, e.g. the commit before a change), and PyTorch CPU (when installed)
   training the identical network with ``torch.optim.Adam`` (default and ``fused=True``).
   The order of the turns rotates every round; the first round warms up. Each round's ratios
   are taken, and reported as median, min and max over the rounds.
2. ``nielsen``: the classic 784-100-10 sigmoid network (quadratic cost, SGD lr 3.0, batch 10,
   the ``nielsen_sigmoid`` preset) on both paths against a faithful copy of the per-sample
   backprop loop of Michael Nielsen's ``network.py`` (column vectors, float64 weights), one
   epoch of 50,000 images each, in turns. A float64 check runs one mini-batch through both and
   reports the largest weight difference (about 1e-16).
3. ``components``: the float32 GEMM peak (2048^3), the GEMMs one MLP step needs, and one Adam
   step on the MLP's flat parameter vector.

The host may be shared and noisy: every figure is the median of several rounds, and
``background_cpus`` says how many CPUs other processes kept busy on average while it ran.

Run from the repository root: ``python tests/benchmarks/bench_engine.py`` (about 2-3 minutes;
``--rounds N`` for more rounds, ``--no-torch`` / ``--skip nielsen`` to leave parts out).
PyTorch is optional; without it the torch fields are null. nndesk never imports it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path

# nndesk first, as `nndesk train` does: it tunes OpenBLAS's threads before NumPy loads it.
try:
    import nndesk  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:  # a plain checkout: use the repository this file is in
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import nndesk  # noqa: F401

import numpy as np  # noqa: E402

from nndesk.data import load_dataset  # noqa: E402
from nndesk import engine as current  # noqa: E402
from nndesk.engine import Trainer, build_network, load_preset  # noqa: E402
from nndesk.workflow import prepare  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import (BackgroundLoad, baseline_engine, machine_info, median_of,  # noqa: E402
                       race, rounded, settle, spread, torch_module)

MLP_SPEC = {
    "name": "bench_mlp",
    "dataset": "mnist",
    "input_shape": [784],
    "initializer": "he_normal",
    "layers": [
        {"type": "dense", "units": 256, "activation": "relu"},
        {"type": "dense", "units": 128, "activation": "relu"},
        {"type": "dense", "units": 64, "activation": "relu"},
        {"type": "dense", "units": 10, "activation": "softmax", "initializer": "glorot_uniform"},
    ],
    "loss": "softmax_cross_entropy",
    "optimizer": {"name": "adam", "learning_rate": 0.001},
    "schedule": {"name": "constant"},
    "training": {"batch_size": 128, "epochs": 1, "validation_split": 0.0},
    "seed": 0,
}


# --- 1. the MLP against PyTorch ------------------------------------------------------------

def useful_flops_per_sample(net) -> int:
    """GEMM FLOPs one training sample needs in the dense network: forward, dW, and dX except
    for the first layer (nndesk's first layer also skips input columns that are zero across
    the batch, about 7% of this count on MNIST at batch 128)."""
    flops, first = 0, True
    for layer in net.layers:
        if layer.kind != "dense":
            continue
        mac = layer.input_size * layer.output_size
        flops += 2 * mac * (2 if first else 3)
        first = False
    return flops


class TorchMLP:
    """The identical network in PyTorch, trained with the same batch size and loop shape,
    an epoch at a time."""

    def __init__(self, torch, x, y, sizes, batch_size, fused, seed=0):
        self.torch, self.batch_size = torch, batch_size
        torch.manual_seed(seed)
        mods = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            mods.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                mods.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*mods)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, fused=fused)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.gen = torch.Generator().manual_seed(seed)
        self.batches = math.ceil(len(x) / batch_size)
        self.done, self.seconds, self.order = self.batches, 0.0, None

    def epoch(self) -> float:
        self.run_to(self.batches)
        return self.seconds

    def run_to(self, batch: int) -> None:
        """Train up to batch number ``batch`` of the current epoch (a new epoch starts when
        the last one is complete); ``seconds`` adds up the epoch's time."""
        torch, bs, n = self.torch, self.batch_size, len(self.x)
        t0 = time.perf_counter()
        if self.done == self.batches:
            self.order = torch.randperm(n, generator=self.gen)
            self.done, self.seconds, self.loss_sum, self.correct = 0, 0.0, 0.0, 0
        for b in range(self.done, batch):
            idx = self.order[b * bs:(b + 1) * bs]
            xb, yb = self.x.index_select(0, idx), self.y.index_select(0, idx)
            out = self.model(xb)
            loss = torch.nn.functional.cross_entropy(out, yb)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.loss_sum += loss.item() * len(idx)  # what nndesk's trainer also tracks
            self.correct += int((out.argmax(1) == yb).sum())
        self.done = max(self.done, batch)
        self.seconds += time.perf_counter() - t0


def nndesk_epochs(engine_module, spec, x, y, engine=None):
    """One epoch per call of a new trainer on the same network: its training seconds
    (``engine``: the path; None for an engine that has no choice of path)."""
    net = engine_module.build_network(spec)
    kwargs = {} if engine is None else {"engine": engine}

    def epoch():
        result = engine_module.Trainer(net, x, y, epochs=1, **kwargs).run()
        assert result["reason"] == "completed", result
        return result["train_seconds"]

    return epoch, net


def ratios(times: dict, a: str, b: str) -> dict | None:
    if not times.get(a) or not times.get(b):
        return None
    return spread([x / y for x, y in zip(times[a], times[b])])


def bench_mlp(mnist, torch, rounds: int, torch_threads: int, baseline: str | None) -> dict:
    spec = json.loads(json.dumps(MLP_SPEC))
    x, y = mnist.x_train, mnist.y_train
    sizes = [784] + [l["units"] for l in spec["layers"]]
    fast, net = nndesk_epochs(current, spec, x, y, "fast")
    contenders = {"fast": fast, "reference": nndesk_epochs(current, spec, x, y, "reference")[0]}
    if baseline:
        contenders["baseline"] = nndesk_epochs(baseline_engine(baseline), spec, x, y)[0]
    if torch is not None:
        torch.set_num_threads(torch_threads)
        for name, fused in (("torch", False), ("torch_fused", True)):
            contenders[name] = TorchMLP(torch, x, y, sizes, 128, fused=fused).epoch
    load = BackgroundLoad().start()
    times = race(contenders, rounds)
    background = load.stop()
    flops = useful_flops_per_sample(net) * len(x)
    out = {
        "network": "784-256-128-64-10 relu, softmax cross-entropy, adam, batch 128, float32",
        "samples": len(x), "rounds": rounds, "torch_threads": torch_threads if torch else None,
        "baseline": baseline,
        "epoch_seconds": {name: [rounded(t) for t in ts] for name, ts in times.items()},
        "median_epoch_seconds": {name: rounded(median_of(ts)) for name, ts in times.items()},
        "fast_gflops": rounded(flops / median_of(times["fast"]) / 1e9, 1),
        "useful_gflop_per_epoch": round(flops / 1e9, 2),
        "background_cpus": background,
    }
    for a, b in (("fast", "torch_fused"), ("reference", "torch_fused"), ("fast", "torch"),
                 ("fast", "reference"), ("fast", "baseline")):
        out[f"ratio_{a}_to_{b}"] = ratios(times, a, b)
    return out


# --- 2. Nielsen's network.py, per-sample backprop -----------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class NielsenNetwork:
    """Michael Nielsen's network.py (neuralnetworksanddeeplearning.com, chapter 1), ported
    to Python 3 line for line: column vectors, one backprop per sample, float64 weights."""

    def __init__(self, sizes, seed=0):
        np.random.seed(seed)
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):  # noqa: N802
        if test_data:
            n_test = len(test_data)
        n = len(training_data)
        for j in range(epochs):
            random.shuffle(training_data)
            mini_batches = [training_data[k:k + mini_batch_size]
                            for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)
            if test_data:
                print("Epoch {0}: {1} / {2}".format(j, self.evaluate(test_data), n_test))

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):  # noqa: E741
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def evaluate(self, test_data):
        test_results = [(np.argmax(self.feedforward(x)), y) for (x, y) in test_data]
        return sum(int(x == y) for (x, y) in test_results)

    def cost_derivative(self, output_activations, y):
        return output_activations - y


def vectorized_result(j):
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e


def _start_like(reference: NielsenNetwork, net) -> None:
    """Give the reference nndesk's initial weights (both draw them from N(0, 1))."""
    dense = [layer for layer in net.layers if layer.kind == "dense"]
    reference.weights = [layer.W.T.astype(np.float64) for layer in dense]
    reference.biases = [layer.b.astype(np.float64).reshape(-1, 1) for layer in dense]


def same_algorithm_check(spec: dict, x: np.ndarray, y: np.ndarray) -> float:
    """Largest absolute difference between the weights after one mini-batch update by
    nndesk's reference path (in float64) and by the per-sample loop, from the same start:
    about 1e-15 when both compute the same thing."""
    net = build_network(spec, dtype=np.float64)
    reference = NielsenNetwork([784, 100, 10])
    _start_like(reference, net)
    Trainer(net, x, y, batch_size=len(x), epochs=1, engine="reference").run()
    reference.update_mini_batch([(xi.reshape(784, 1).astype(np.float64), vectorized_result(int(yi)))
                                 for xi, yi in zip(x, y)], net.spec["optimizer"]["learning_rate"])
    after = NielsenNetwork([784, 100, 10])
    _start_like(after, net)
    return float(max(np.abs(a - b).max() for a, b in
                     zip(after.weights + after.biases, reference.weights + reference.biases)))


def bench_nielsen(mnist, rounds: int) -> dict:
    spec = load_preset("nielsen_sigmoid")
    prepared = prepare(spec, dataset=mnist)  # 50,000 training images, as in the book
    x, y = prepared.trainer.x, prepared.trainer.y
    # The book's loader: float32 (784, 1) columns, one-hot float64 (10, 1) targets.
    training_data = [(xi.reshape(784, 1), vectorized_result(int(yi))) for xi, yi in zip(x, y)]
    reference = NielsenNetwork([784, 100, 10])
    _start_like(reference, prepared.net)
    random.seed(0)
    fast, fast_net = nndesk_epochs(current, spec, x, y, "fast")
    contenders = {"fast": fast, "reference": nndesk_epochs(current, spec, x, y, "reference")[0]}

    def loop():
        settle()
        t0 = time.perf_counter()
        reference.SGD(training_data, 1, 10, 3.0)
        seconds = time.perf_counter() - t0
        settle()
        return seconds

    contenders["loop"] = loop
    load = BackgroundLoad().start()
    times = race(contenders, rounds)
    background = load.stop()
    test = [(xi.reshape(784, 1), int(yi)) for xi, yi in zip(mnist.x_test, mnist.y_test)]
    batches = math.ceil(len(x) / 10)
    return {
        "network": "784-100-10 sigmoid, sum of squares, sgd lr 3.0, batch 10",
        "samples": len(x), "rounds": rounds,
        "epoch_seconds": {name: [rounded(t) for t in ts] for name, ts in times.items()},
        "us_per_batch": {name: rounded(median_of(ts) / batches * 1e6, 1) for name, ts in times.items()},
        "speedup_fast": ratios(times, "loop", "fast"),
        "speedup_reference": ratios(times, "loop", "reference"),
        "one_batch_max_abs_weight_difference": same_algorithm_check(spec, x[:10], y[:10]),
        "loop_test_accuracy": reference.evaluate(test) / len(test),
        "fast_test_accuracy": rounded(fast_net.evaluate(mnist.x_test, mnist.y_test)[1]),
        "background_cpus": background,
    }


# --- 3. components ---------------------------------------------------------------------------

def _best(fn, number, repeat=7):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times), min(times)


def bench_components() -> dict:
    rng = np.random.default_rng(0)
    n = 2048
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    c = np.empty_like(a)
    np.matmul(a, b, out=c)
    med, best = _best(lambda: np.matmul(a, b, out=c), 1, 5)
    out = {"sgemm_2048_gflops_median": rounded(2 * n**3 / med / 1e9, 1),
           "sgemm_2048_gflops_best": rounded(2 * n**3 / best / 1e9, 1)}

    net = build_network(json.loads(json.dumps(MLP_SPEC)))
    bs = 128
    calls = []
    first = True
    for layer in net.layers:
        x = rng.random((bs, layer.input_size), dtype=np.float32)
        z = np.empty((bs, layer.output_size), np.float32)
        dx = np.empty_like(x)
        calls.append(lambda x=x, w=layer.W, z=z: np.matmul(x, w, out=z))
        calls.append(lambda x=x, z=z, dw=layer.dW: np.matmul(x.T, z, out=dw))
        if not first:
            calls.append(lambda z=z, w=layer.W, dx=dx: np.matmul(z, w.T, out=dx))
        first = False

    def gemms():
        for f in calls:
            f()

    med, best = _best(gemms, 50)
    steps = math.ceil(60000 / bs)
    flops = useful_flops_per_sample(net) * bs
    out.update({"mlp_gemm_us_per_step": rounded(med * 1e6, 1),
                "mlp_gemm_seconds_per_epoch": rounded(med * steps),
                "mlp_gemm_gflops": rounded(flops / med / 1e9, 1)})

    from nndesk.engine.optimizers import make_optimizer
    size = net.params.size
    opt = make_optimizer(net.spec["optimizer"], size, np.float32, net.decay_slices)
    params = net.params.copy()
    grads = (rng.standard_normal(size) * 1e-3).astype(np.float32)
    med, best = _best(lambda: opt.step(params, grads, 1e-3), 100)
    out.update({"adam_params": size, "adam_us_per_step": rounded(med * 1e6, 1),
                "adam_seconds_per_epoch": rounded(med * steps)})
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=7, help="measured MLP epochs per contender")
    p.add_argument("--baseline", metavar="REV", help="also race the engine of this commit")
    p.add_argument("--nielsen-rounds", type=int, default=3,
                   help="measured epochs of Nielsen's loop and of nndesk")
    p.add_argument("--torch-threads", type=int, default=2)
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    p.add_argument("--skip", action="append", default=[], choices=["mlp", "nielsen", "components"])
    args = p.parse_args(argv)
    torch = None if args.no_torch else torch_module()
    if torch is not None:
        torch.set_num_threads(args.torch_threads)
    started = time.perf_counter()
    load = BackgroundLoad().start()
    results: dict = {"machine": machine_info(torch)}
    mnist = load_dataset("mnist")
    if "components" not in args.skip:
        results["components"] = bench_components()
    if "mlp" not in args.skip:
        results["mlp"] = bench_mlp(mnist, torch, args.rounds, args.torch_threads, args.baseline)
    if "nielsen" not in args.skip:
        results["nielsen"] = bench_nielsen(mnist, args.nielsen_rounds)
    results["background_cpus"] = load.stop()
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
