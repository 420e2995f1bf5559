"""What the Inspector page says when it cannot show a network's layers (rich text)."""

from __future__ import annotations

import html

from ..datasets import dataset_title

NO_NETWORK = (
    "<h3>Look inside a network</h3>This page shows what every layer of a network makes of "
    "one input (a test digit, your drawing, or one of your own digits), which units "
    "respond most, which never do, and which pixels argue for each class.<br><br>"
    "<b>Train a network or open a model file</b> (File › Open model…) to look inside it.")
TRAINING_STARTED = ("The network is being trained: it appears here with its first weights, "
                    "in a moment.")
DRAW_PROMPT = ("Draw a digit on the <a href='pad'>drawing pad</a>: every layer's response "
               "appears here after each stroke.")
NO_DIGITS = ("You have no digits of your own yet. On the <a href='pad'>drawing pad</a>, "
             "correct a wrong prediction to add your drawing to them.")
NO_DATASET = "The test images are loading…"


def not_28(size: int, source: str) -> str:
    what = "a drawing" if source == "drawing" else "your own digits"
    return (f"This network takes {size:,} inputs, not a 28 × 28 image (784 inputs), so it "
            f"cannot read {what}. Look at a <a href='test'>test input</a> instead, or train a "
            f"network for 28 × 28 digits.")


def wrong_size(given: int, size: int) -> str:
    return f"This input has {given:,} values, and the network takes {size:,}."


def mismatch(dataset, size: int) -> str:
    return (f"The test images of {html.escape(dataset_title(dataset.name))} have "
            f"{dataset.x_test.shape[1]:,} values, and this network takes {size:,}: load the "
            f"dataset it was trained on to look at its test images.")


def verdict(what: str, label_name: str | None, name: str, p: float, wrong: str) -> str:
    """The line above the layers: the input, its label and what the network says."""
    labelled = "" if label_name is None else f", labelled <b>{html.escape(label_name)}</b>"
    says = f"the network says <b>{html.escape(name)}</b>, {100 * p:.0f}% sure"
    if label_name is not None and label_name != name:
        says += f" <span style='color:{wrong}'>(wrong)</span>"
    return f"{html.escape(what)}{labelled} · {says}"


NOT_AN_IMAGE = ("Class evidence is drawn over an image, and this network's inputs are not one: "
                "its layers' units are shown on the left.")


def failed(exc: Exception) -> str:
    return f"The network could not take this input: {html.escape(str(exc))}"
