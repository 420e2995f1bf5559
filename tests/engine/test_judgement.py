"""The test set judged, on probabilities small enough to check by hand."""

import numpy as np
import pytest

from nndesk.engine.judgement import Judgement

# Six samples, three classes: 0, 1 and 4 right; 2 wrong (sure), 3 wrong (unsure), 5 right
# but unsure.
P = np.array([[0.9, 0.05, 0.05],
              [0.1, 0.8, 0.1],
              [0.05, 0.9, 0.05],
              [0.3, 0.3, 0.4],
              [0.2, 0.1, 0.7],
              [0.45, 0.35, 0.2]])
Y = np.array([0, 1, 0, 1, 2, 0])


def judged():
    return Judgement(P, Y, ["zero", "one", "two"])


def test_confusion_and_accuracies():
    j = judged()
    assert j.confusion.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert j.accuracy == pytest.approx(4 / 6)
    assert j.per_class_accuracy == pytest.approx([2 / 3, 1 / 2, 1.0])
    assert j.loss[2] == pytest.approx(-np.log(0.05))


def test_a_class_without_samples_has_no_accuracy():
    j = Judgement(P[:2], Y[:2])
    assert j.per_class_accuracy[2] is None
    assert j.class_names == ["0", "1", "2"]


def test_galleries_are_ordered():
    j = judged()
    assert j.top_losses().tolist() == [2, 3]  # -log 0.05 > -log 0.3
    assert j.top_losses(1).tolist() == [2]
    assert j.least_sure(3).tolist() == [3, 5, 4]
    assert j.cell(0, 0).tolist() == [0, 5]  # the most confident first
    assert j.cell(0, 1).tolist() == [2]
    assert j.cell(2, 0).tolist() == []
    assert j.top_classes(5, 2) == [("zero", 0.45), ("one", 0.35)]


def test_threshold_and_coverage():
    j = judged()
    assert j.answered(0.5).tolist() == [True, True, True, False, True, False]
    curve = j.coverage_curve([0.0, 0.5, 0.85, 0.95])
    assert curve["coverage"] == pytest.approx([1.0, 4 / 6, 2 / 6, 0.0])
    assert curve["accuracy"][:3] == pytest.approx([4 / 6, 3 / 4, 1 / 2])
    assert curve["accuracy"][3] is None
    assert len(j.coverage_curve()["threshold"]) == 101


def test_report_lists_the_most_confidently_wrong():
    report = judged().report(wrong=5)
    assert [w["index"] for w in report["most_confidently_wrong"]] == [2, 3]
    first = report["most_confidently_wrong"][0]
    assert (first["label"], first["predicted"]) == ("zero", "one")
    assert first["confidence"] == pytest.approx(0.9)
    assert report["samples"] == 6


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="expected probabilities"):
        Judgement(P, Y[:3])
