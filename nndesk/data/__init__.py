"""Datasets, file readers and drawing preprocessing (NumPy only, never Qt).

The drawing-pad preprocessing lives in ``nndesk.data.preprocess`` and the training-time
augmentation in ``nndesk.data.augment``.
"""

from nndesk.data.csvfile import read_csv
from nndesk.data.datasets import Dataset, load_dataset
from nndesk.data.errors import DataError
from nndesk.data.idx import read_idx
from nndesk.data.split import split_validation

__all__ = ["DataError", "Dataset", "load_dataset", "read_csv", "read_idx", "split_validation"]
