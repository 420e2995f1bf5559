"""What the pad needs to know about a model and about MNIST (no widgets here)."""

from __future__ import annotations

import copy

import numpy as np

INPUTS = 784
NO_MODEL = ("Train a network or open a model file (File > Open model...) "
            "to see predictions.")

def model_problem(net) -> str | None:
    """Why the pad cannot use this network, or None when it can."""
    if net.input_size != INPUTS:
        return (f"This model takes {net.input_size} inputs, not a 28x28 image (784 inputs), "
                f"so it cannot read a drawing. Train or open a network for 28x28 digits, "
                f"such as the default preset on MNIST.")
    kind = (getattr(net, "metadata", None) or {}).get("preprocessing", {}) or {}
    kind = kind.get("kind") if isinstance(kind, dict) else None
    if kind not in (None, "mnist"):
        return (f"This model expects inputs prepared as {kind!r}, not 28x28 digits centred "
                f"like MNIST's, so the pad cannot prepare a drawing for it.")
    return None


def verdict(probabilities: np.ndarray, names: list[str], threshold: float = 0.0) -> tuple[str, str]:
    """The pad's answer (the class, or "?") and how sure it is, in words."""
    order = np.argsort(probabilities)
    top, second = int(order[-1]), int(order[-2]) if len(order) > 1 else int(order[-1])
    p = float(probabilities[top])
    if p < threshold:
        return "?", (f"Not sure: {100 * p:.0f}% is below the {100 * threshold:.0f}% threshold. "
                     f"Best guess {names[top]}, then {names[second]} "
                     f"({100 * probabilities[second]:.0f}%)")
    if p >= 0.995:
        return names[top], f"{100 * p:.1f}% sure"
    if p >= 0.6:
        return names[top], f"{100 * p:.0f}% sure"
    return names[top], (f"{100 * p:.0f}%, not sure: perhaps {names[second]} "
                        f"({100 * probabilities[second]:.0f}%)")


def class_names(net) -> list[str]:
    """The model's class names, or "0", "1", ... when its file does not name them."""
    names = (getattr(net, "metadata", None) or {}).get("class_names")
    if isinstance(names, list) and len(names) == net.num_classes:
        return [str(n) for n in names]
    return [str(i) for i in range(net.num_classes)]


def trained_on_mnist(net) -> bool:
    """True unless the model file says it was trained on another dataset."""
    dataset = (getattr(net, "metadata", None) or {}).get("dataset")
    return dataset in (None, "", "mnist")


def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test images (float32 in [0, 1], 10000 x 28 x 28) and labels, from the
    window's one dataset cache (loaded now if it is not yet)."""
    from ..datasets import load_cached

    mnist = load_cached("mnist")
    return mnist.x_test.reshape(len(mnist.x_test), 28, 28), mnist.y_test


def accuracy(net, x: np.ndarray, y: np.ndarray) -> float | None:
    """Fraction of ``x`` the network labels as ``y``; None for no samples."""
    if len(y) == 0:
        return None
    return float(np.mean(net.predict(np.asarray(x, dtype=np.float32).reshape(len(y), -1)) == y))


def mnist_test_accuracy(net) -> tuple[float | None, str]:
    """(accuracy, what it was measured on) for the pad's comparison with "my digits".

    Uses the test accuracy recorded in the model file when there is one; otherwise
    measures the network on the bundled MNIST test set (a fraction of a second).
    """
    metrics = (getattr(net, "metadata", None) or {}).get("metrics") or {}
    recorded = metrics.get("test_accuracy") if isinstance(metrics, dict) else None
    if not trained_on_mnist(net):
        dataset = net.metadata.get("dataset")
        return (float(recorded) if recorded is not None else None), f"{dataset} test set"
    if recorded is not None:
        return float(recorded), "MNIST test set"
    if model_problem(net) is not None or net.num_classes != 10:
        return None, "MNIST test set"
    images, labels = mnist_test()
    return accuracy(net, images.reshape(len(images), -1), labels), "MNIST test set"


class SnapshotNetwork:
    """One network, reused for a run's weight snapshots while the spec stays the same."""

    def __init__(self):
        self._net = None
        self._spec: dict | None = None

    def with_weights(self, spec: dict, weights: dict, metadata: dict | None = None):
        from nndesk.engine import build_network

        if self._net is None or self._spec != spec:
            self._net, self._spec = build_network(spec), copy.deepcopy(spec)
        self._net.set_weights(weights)
        if metadata is not None:
            self._net.metadata = dict(metadata)
        return self._net
