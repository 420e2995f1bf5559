"""What stops the page from judging, in words for a person."""

from __future__ import annotations

from nndesk import workflow

NO_NETWORK = "Train a network or open a model file to judge it on the test set."
TRAINING = "Training\u2026 the test set is judged when the run ends."
LOADING = "Loading the dataset\u2026"


def why_not(session, net, dataset) -> str | None:
    """Why ``net`` cannot be judged on ``dataset`` now, or None when it can."""
    if net is None:
        return NO_NETWORK
    if session.source == "training":
        return TRAINING
    if dataset is None:
        if session.dataset_error:
            return f"The dataset could not be loaded: {session.dataset_error}"
        return LOADING
    try:
        workflow.check_compatible(net, dataset)
    except ValueError as exc:
        return f"This network cannot be judged on {dataset.name!r}: {exc}."
    if len(dataset.y_test) == 0:
        return f"The dataset {dataset.name!r} has no test samples to judge the network on."
    return None
