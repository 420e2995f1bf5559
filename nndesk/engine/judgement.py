"""The test set, judged: what a network gets right and wrong, and how sure it is.

From the class probabilities p (N, classes) of N test samples with labels y:

    predicted        ŷ_n = argmax_k p_nk          confidence  q_n = max_k p_nk
    loss             l_n = -log p_n,y_n           (the sample's cross-entropy)
    confusion        M[i, j] = #{n : y_n = i and ŷ_n = j}
    per-class        acc_i = M[i, i] / sum_j M[i, j]
    top losses       the wrong answers, largest loss first (the most confidently wrong)
    least sure       all answers, smallest confidence first
    threshold t      the network answers when q_n >= t and says "not sure" otherwise:
                     coverage(t) = #{q_n >= t} / N,  accuracy(t) = accuracy on those answered
"""

from __future__ import annotations

import numpy as np

TINY = 1e-12  # keeps log p finite for a probability that rounded to 0


class Judgement:
    def __init__(self, probabilities: np.ndarray, labels: np.ndarray, class_names=None):
        p = np.asarray(probabilities, dtype=np.float64)
        y = np.asarray(labels, dtype=np.int64)
        if p.ndim != 2 or len(p) != len(y):
            raise ValueError(f"expected probabilities (N, classes) for N labels, got "
                             f"{p.shape} for {y.shape}")
        self.probabilities, self.labels = p, y
        self.classes = p.shape[1]
        self.class_names = list(class_names) if class_names is not None else \
            [str(i) for i in range(self.classes)]
        self.predicted = p.argmax(axis=1)
        self.confidence = p.max(axis=1)
        self.correct = self.predicted == y
        self.loss = -np.log(np.maximum(p[np.arange(len(y)), y], TINY))

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean()) if len(self) else float("nan")

    @property
    def confusion(self) -> np.ndarray:
        k = self.classes
        return np.bincount(self.labels * k + self.predicted, minlength=k * k).reshape(k, k)

    @property
    def per_class_accuracy(self) -> list[float | None]:
        m = self.confusion
        totals = m.sum(axis=1)
        return [float(m[i, i] / totals[i]) if totals[i] else None for i in range(self.classes)]

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """The samples of class ``true`` answered ``predicted``, the most confident first."""
        idx = np.flatnonzero((self.labels == true) & (self.predicted == predicted))
        return idx[np.argsort(-self.confidence[idx], kind="stable")]

    def top_losses(self, k: int | None = None) -> np.ndarray:
        """The wrong answers, the largest loss (the most confidently wrong) first."""
        idx = np.flatnonzero(~self.correct)
        return idx[np.argsort(-self.loss[idx], kind="stable")][:k]

    def least_sure(self, k: int | None = None) -> np.ndarray:
        """Every sample, the lowest confidence first."""
        return np.argsort(self.confidence, kind="stable")[:k]

    def answered(self, threshold: float) -> np.ndarray:
        """Which samples the network answers at this confidence threshold."""
        return self.confidence >= threshold

    def coverage_curve(self, thresholds=None) -> dict[str, list[float]]:
        """Coverage and accuracy on the answered samples for each threshold (default 0 to 1
        in steps of 0.01); accuracy is None where nothing is answered."""
        t = np.linspace(0.0, 1.0, 101) if thresholds is None else np.asarray(thresholds, float)
        coverage, accuracy = [], []
        for threshold in t:
            mask = self.answered(threshold)
            coverage.append(float(mask.mean()) if len(self) else 0.0)
            accuracy.append(float(self.correct[mask].mean()) if mask.any() else None)
        return {"threshold": [float(v) for v in t], "coverage": coverage, "accuracy": accuracy}

    def top_classes(self, index: int, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` most probable classes of one sample, with their probabilities."""
        order = np.argsort(-self.probabilities[index], kind="stable")[:k]
        return [(self.class_names[i], float(self.probabilities[index, i])) for i in order]

    def report(self, wrong: int = 20) -> dict:
        """The figures as plain JSON-ready values."""
        return {"accuracy": self.accuracy, "samples": len(self),
                "class_names": self.class_names,
                "per_class_accuracy": self.per_class_accuracy,
                "confusion_matrix": self.confusion.tolist(),
                "most_confidently_wrong": [
                    {"index": int(i), "label": self.class_names[self.labels[i]],
                     "predicted": self.class_names[self.predicted[i]],
                     "confidence": float(self.confidence[i]), "loss": float(self.loss[i])}
                    for i in self.top_losses(wrong)]}
