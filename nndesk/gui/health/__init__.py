"""Diagnostics while training: the Health tab (``view``: each layer's health as live curves,
``curves``, and the run's hints with their fixes, ``hints_list``) and the learning-rate finder
dialog (``lr_finder``)."""

from .lr_finder import LearningRateFinder, open_lr_finder
from .view import HealthView

__all__ = ["HealthView", "LearningRateFinder", "open_lr_finder"]
