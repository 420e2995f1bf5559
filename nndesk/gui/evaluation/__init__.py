"""The Evaluation page: the network judged on the test set (accuracy, confusion matrix,
mistakes, a confidence threshold, robustness), with PNG and CSV exports."""

from .page import EvaluationPage

__all__ = ["EvaluationPage"]
