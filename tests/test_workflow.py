import numpy as np
import pytest

from nndesk.data import load_dataset
from nndesk.data.mydigits import MyDigits
from nndesk.engine import load_preset
from nndesk.workflow import evaluate, prepare


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


def test_prepare_splits_subsets_and_mixes_in_my_digits(mnist, tmp_path):
    spec = load_preset("deep_relu_adam")
    digits = MyDigits(tmp_path / "mine.npz")
    digits.add(np.ones((28, 28), np.float32), 3)
    digits.add(np.zeros((28, 28), np.float32) + 0.5, 7)
    prepared = prepare(spec, mnist, subset=1000, my_digits=digits, my_digit_copies=4)
    assert len(prepared.x_val) == 100  # validation_split 0.1 of the subset
    assert len(prepared.trainer.x) == 900 + 2 * 4
    assert (prepared.trainer.x == 1.0).all(axis=1).sum() == 4
    assert any("your own digits" in note for note in prepared.notes)


def test_prepare_refuses_a_dataset_the_network_cannot_take(mnist):
    with pytest.raises(ValueError, match="takes 3 inputs"):
        prepare(load_preset("xor"), mnist)


def test_evaluate_reports_confusion_matrix_consistent_with_accuracy(mnist):
    prepared = prepare(load_preset("deep_relu_adam"), mnist, subset=2000)
    prepared.trainer.epochs = 1
    prepared.trainer.run()
    report = evaluate(prepared.net, mnist)
    matrix = np.array(report["confusion_matrix"])
    assert matrix.sum() == 10000
    assert np.trace(matrix) / 10000 == pytest.approx(report["accuracy"])
    assert report["per_class_accuracy"][0] == pytest.approx(matrix[0, 0] / matrix[0].sum())


def test_robustness_starts_at_the_plain_accuracy_and_falls(mnist):
    from nndesk.workflow import robustness

    spec = load_preset("default")
    spec["training"]["epochs"] = 1
    prepared = prepare(spec, mnist, subset=3000)
    prepared.trainer.run()
    net = prepared.net
    curve = robustness(net, mnist, "rotate", samples=500)
    plain = float(np.mean(net.predict(mnist.x_test[:500]) == mnist.y_test[:500]))
    assert curve["levels"][0] == 0 and curve["accuracy"][0] == pytest.approx(plain)
    assert curve["accuracy"][-1] < plain - 0.2  # 60 degrees is too much for a dense net
    with pytest.raises(ValueError, match="unknown distortion"):
        robustness(net, mnist, "blur")


def test_evaluate_lists_the_most_confidently_wrong(mnist):
    spec = load_preset("default")
    spec["training"]["epochs"] = 1
    prepared = prepare(spec, mnist, subset=2000)
    prepared.trainer.run()
    report = evaluate(prepared.net, mnist, wrong=5)
    wrong = report["most_confidently_wrong"]
    assert len(wrong) == 5
    probs = prepared.net.predict_proba(mnist.x_test[[w["index"] for w in wrong]])
    for w, p in zip(wrong, probs):
        assert w["label"] != w["predicted"]
        assert int(w["predicted"]) == p.argmax()
        assert w["confidence"] == pytest.approx(float(p.max()), rel=1e-5)
    losses = [w["loss"] for w in wrong]
    assert losses == sorted(losses, reverse=True)
