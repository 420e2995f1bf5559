"""Engine throughput, printed as one JSON object.

1. ``mlp``: the MLP 784-256-128-64-10 (ReLU, softmax cross-entropy, Adam, batch 128, float32)
   on the real MNIST training set (60,000 images) through ``Trainer.run``, interleaved in the
   same process with PyTorch CPU (when it is installed) training the identical network at
   the same batch size with ``torch.optim.Adam`` (default and ``fused=True``). The
   contenders take turns every eighth of an epoch, so that a slow spell of the host hits
   them alike; each epoch's ratio is taken, then the median over the epochs after the first.
2. ``nielsen``: the classic 784-100-10 sigmoid network (quadratic cost, SGD lr 3.0, batch 10,
   the ``nielsen_sigmoid`` preset) against a faithful copy of the per-sample backprop loop of
   Michael Nielsen's ``network.py`` (column vectors, float64 weights), one epoch of 50,000
   images each, interleaved, both starting from the same weights. A float64 check runs one
   mini-batch through both and reports the largest weight difference (about 1e-16).
3. ``components``: the float32 GEMM peak (2048^3), the GEMMs one MLP step needs, and one Adam
   step on the MLP's flat parameter vector.

The host may be shared and noisy: every figure is the median of several rounds, and
``background_cpus`` says how many CPUs other processes kept busy on average while it ran.

Run from the repository root: ``python tests/benchmarks/bench_engine.py`` (about 1-2 minutes;
``--rounds N`` for more rounds, ``--no-torch`` / ``--skip nielsen`` to leave parts out).
PyTorch is optional; without it the torch fields are null. nndesk never imports it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
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
from nndesk.engine import Trainer, build_network, load_preset  # noqa: E402
from nndesk.workflow import prepare  # noqa: E402

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


# --- machine -----------------------------------------------------------------------------

def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _blas_summary() -> dict:
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]
        blas = deps.get("blas", {})
        return {"name": blas.get("name"), "version": blas.get("version"),
                "config": blas.get("openblas configuration")}
    except Exception as exc:  # the config format is not a stable API
        return {"error": repr(exc)}


def _threadpools() -> list | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{k: d.get(k) for k in ("internal_api", "num_threads", "version", "architecture",
                                    "threading_layer")} for d in threadpool_info()]


def torch_module():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _installed_version(name: str) -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version
        return version(name)
    except (ImportError, PackageNotFoundError):
        return None


def machine_info(torch=None) -> dict:
    """Where the figures come from. ``torch``: the imported module when it is used."""
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                           "OMP_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT")}
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(), "cpus_usable": affinity, "cpu_model": _cpu_model(),
        "platform": platform.platform(), "python": platform.python_version(),
        "numpy": np.__version__, "blas": _blas_summary(), "threadpools": _threadpools(),
        "env": env, "OPENBLAS_CORETYPE": env["OPENBLAS_CORETYPE"],
        "torch": torch.__version__ if torch else _installed_version("torch"),
        "torch_threads": torch.get_num_threads() if torch else None,
    }


SETTLE_SECONDS = 0.3
SEGMENTS = 8  # turns per epoch in the MLP race
GAP_SECONDS = 0.02  # busy wait after each turn in the MLP race (see quiet_gap)


def settle() -> None:
    """Pause between the Nielsen contenders: OpenBLAS's threads keep spinning for a while
    after their work unless nndesk set OPENBLAS_THREAD_TIMEOUT short; let them go to sleep
    so that they do not take a core from whatever runs next."""
    time.sleep(SETTLE_SECONDS)


def quiet_gap() -> None:
    """Untimed gap after a contender's turn: PyTorch's OpenMP workers spin about 10 ms
    after their last parallel region, on the core nndesk's next product needs. Busy, not
    asleep: a core that idles runs whatever comes next slowly for a while on this host."""
    end = time.perf_counter() + GAP_SECONDS
    while time.perf_counter() < end:
        pass


class BackgroundLoad:
    """Average number of CPUs kept busy by *other* processes between start() and stop()
    (Linux only: /proc/stat minus this process's own CPU time); None elsewhere."""

    def __init__(self):
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @staticmethod
    def _busy_seconds(tick):
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        busy = sum(fields[:8]) - idle  # leave out guest time (already counted in user)
        return busy / tick

    def start(self):
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._busy_seconds(self.tick), self._own()
        return self

    @staticmethod
    def _own():
        t = os.times()
        return t.user + t.system

    def stop(self) -> float | None:
        busy1 = self._busy_seconds(self.tick)
        if self.busy0 is None or busy1 is None:
            return None
        wall = time.perf_counter() - self.t0
        other = (busy1 - self.busy0) - (self._own() - self.own0)
        return round(max(other, 0.0) / wall, 2) if wall > 0 else None


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _r(x, digits=4):
    return None if x is None else round(x, digits)


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
    an epoch at a time (``epoch``) or a few batches at a time (``run_to``)."""

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


def bench_mlp(mnist, torch, rounds: int, torch_threads: int) -> dict:
    spec = json.loads(json.dumps(MLP_SPEC))
    net = build_network(spec)
    x, y = mnist.x_train, mnist.y_train
    sizes = [784] + [l["units"] for l in spec["layers"]]
    runners = {}
    if torch is not None:
        torch.set_num_threads(torch_threads)
        runners = {"torch": TorchMLP(torch, x, y, sizes, 128, fused=False),
                   "torch_fused": TorchMLP(torch, x, y, sizes, 128, fused=True)}
    times = {"nndesk": [], **{k: [] for k in runners}}
    away = [0.0]  # seconds of this epoch that nndesk's trainer spent waiting for PyTorch
    turns = [0]

    def on_event(event):
        # Every eighth of an epoch PyTorch catches up to nndesk's batch: the turns come about
        # a tenth of a second apart, so that a slow spell of the host hits every contender
        # alike. The time this takes inside nndesk's epoch is taken out of it.
        if event["event"] == "batch":
            b, batches = event["batch"], event["batches"]
            if runners and (b % max(batches // SEGMENTS, 1) == 0 or b == batches):
                t0 = time.perf_counter()
                turns[0] += 1
                quiet_gap()
                for name in (names if turns[0] % 2 else names[::-1]):
                    runners[name].run_to(b)
                    quiet_gap()
                away[0] += time.perf_counter() - t0
        elif event["event"] == "epoch":
            if event["epoch"] > 1:  # the first epoch of each contender warms up
                times["nndesk"].append(event["seconds"] - away[0])
                for name, runner in runners.items():
                    times[name].append(runner.seconds)
            away[0] = 0.0

    names = list(runners)
    load = BackgroundLoad().start()
    trainer = Trainer(net, x, y, listeners=[on_event], epochs=rounds + 1)
    result = trainer.run()
    background = load.stop()
    assert result["reason"] == "completed", result
    flops = useful_flops_per_sample(net) * len(x)
    nn = times["nndesk"]
    out = {
        "network": "784-256-128-64-10 relu, softmax cross-entropy, adam, batch 128, float32",
        "samples": len(x), "rounds": rounds, "torch_threads": torch_threads if torch else None,
        "nndesk_seconds": [_r(t) for t in nn], "nndesk_epoch_seconds": _r(_median(nn)),
        "useful_gflop_per_epoch": round(flops / 1e9, 2),
        "nndesk_gflops": _r(flops / _median(nn) / 1e9, 1),
        "final_train_accuracy": _r(trainer.history["train_accuracy"][-1]),
        "background_cpus": background,
    }
    for name in ("torch", "torch_fused"):
        ts = times.get(name)
        out[f"{name}_seconds"] = [_r(t) for t in ts] if ts else None
        out[f"{name}_epoch_seconds"] = _r(_median(ts)) if ts else None
        out[f"ratio_nndesk_to_{name}"] = _r(_median([a / b for a, b in zip(nn, ts)])) if ts else None
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
    nndesk (in float64) and by the reference loop, from the same start: about 1e-15 when
    both compute the same thing."""
    from nndesk.engine.optimizers import make_optimizer

    net = build_network(spec, dtype=np.float64)
    reference = NielsenNetwork([784, 100, 10])
    _start_like(reference, net)
    optimizer = make_optimizer(net.spec["optimizer"], net.params.size, net.dtype,
                               net.decay_slices)
    net.train_step(x.astype(np.float64), y)
    optimizer.step(net.params, net.grads, net.spec["optimizer"]["learning_rate"])
    reference.update_mini_batch([(xi.reshape(784, 1).astype(np.float64), vectorized_result(int(yi)))
                                 for xi, yi in zip(x, y)], net.spec["optimizer"]["learning_rate"])
    after = NielsenNetwork([784, 100, 10])
    _start_like(after, net)
    return float(max(np.abs(a - b).max() for a, b in
                     zip(after.weights + after.biases, reference.weights + reference.biases)))


def bench_nielsen(mnist, rounds: int) -> dict:
    spec = load_preset("nielsen_sigmoid")
    prepared = prepare(spec, dataset=mnist)  # 50,000 training images, as in the book
    trainer = prepared.trainer
    # The book's loader: float32 (784, 1) columns, one-hot float64 (10, 1) targets.
    training_data = [(x.reshape(784, 1), vectorized_result(int(y)))
                     for x, y in zip(trainer.x, trainer.y)]
    reference = NielsenNetwork([784, 100, 10])
    _start_like(reference, prepared.net)
    random.seed(0)
    times = {"nndesk": [], "reference": []}

    def on_event(event):
        if event["event"] != "epoch" or event["epoch"] == 1:  # the first nndesk epoch warms up
            return
        times["nndesk"].append(event["seconds"])
        settle()
        t0 = time.perf_counter()
        reference.SGD(training_data, 1, 10, 3.0)
        times["reference"].append(time.perf_counter() - t0)
        settle()

    trainer.listeners.append(on_event)
    trainer.epochs = rounds + 1
    load = BackgroundLoad().start()
    result = trainer.run()
    background = load.stop()
    assert result["reason"] == "completed", result
    n = len(trainer.x)
    test = [(x.reshape(784, 1), int(y)) for x, y in zip(mnist.x_test, mnist.y_test)]
    nn, ref = times["nndesk"], times["reference"]
    batches = math.ceil(n / 10)
    return {
        "network": "784-100-10 sigmoid, sum of squares, sgd lr 3.0, batch 10",
        "samples": n, "rounds": rounds,
        "reference_seconds": [_r(t) for t in ref], "nndesk_seconds": [_r(t) for t in nn],
        "reference_epoch_seconds": _r(_median(ref)), "nndesk_epoch_seconds": _r(_median(nn)),
        "nndesk_us_per_batch": _r(_median(nn) / batches * 1e6, 1),
        "reference_us_per_batch": _r(_median(ref) / batches * 1e6, 1),
        "speedup": _r(_median([r / m for r, m in zip(ref, nn)]), 2),
        "one_batch_max_abs_weight_difference": same_algorithm_check(
            spec, trainer.x[:10], trainer.y[:10]),
        "epochs_trained": {"nndesk": rounds + 1, "reference": rounds},
        "reference_test_accuracy": reference.evaluate(test) / len(test),
        "nndesk_test_accuracy": _r(prepared.net.evaluate(mnist.x_test, mnist.y_test)[1]),
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
    out = {"sgemm_2048_gflops_median": _r(2 * n**3 / med / 1e9, 1),
           "sgemm_2048_gflops_best": _r(2 * n**3 / best / 1e9, 1)}

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
    out.update({"mlp_gemm_us_per_step": _r(med * 1e6, 1),
                "mlp_gemm_seconds_per_epoch": _r(med * steps),
                "mlp_gemm_gflops": _r(flops / med / 1e9, 1)})

    from nndesk.engine.optimizers import make_optimizer
    size = net.params.size
    opt = make_optimizer(net.spec["optimizer"], size, np.float32, net.decay_slices)
    params = net.params.copy()
    grads = (rng.standard_normal(size) * 1e-3).astype(np.float32)
    med, best = _best(lambda: opt.step(params, grads, 1e-3), 100)
    out.update({"adam_params": size, "adam_us_per_step": _r(med * 1e6, 1),
                "adam_seconds_per_epoch": _r(med * steps)})
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=9, help="measured MLP epochs per contender")
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
        results["mlp"] = bench_mlp(mnist, torch, args.rounds, args.torch_threads)
    if "nielsen" not in args.skip:
        results["nielsen"] = bench_nielsen(mnist, args.nielsen_rounds)
    results["background_cpus"] = load.stop()
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
