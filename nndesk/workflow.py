"""Training and evaluation as the command line and the window both do them (no Qt).

``prepare`` turns a spec and a dataset into a network and a ready trainer (validation split,
optional subset, augmentation); ``model_metadata`` gathers what a model file records about
the data. Keeping this in one place means the CLI and the GUI train exactly the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .data import Dataset, load_dataset, split_validation
from .engine import Network, Trainer, build_network, memory
from .engine.judgement import Judgement
from .engine.memory import NotEnoughMemory
from .engine.spec import check

MNIST_PREPROCESSING = {
    "kind": "mnist",
    "image_shape": [28, 28],
    "scale": "pixel / 255, ink bright on a dark background",
    "canvas": "crop to the ink, scale the longer side to 20 px (area averaging), "
              "centre of mass at the centre of 28x28",
}


def preprocessing_for(dataset: Dataset) -> dict:
    if dataset.image_shape == (28, 28):
        return dict(MNIST_PREPROCESSING)
    if dataset.image_shape is not None:
        return {"kind": "image", "image_shape": list(dataset.image_shape), "scale": "pixel / 255"}
    return {"kind": "none"}


def check_compatible(net: Network, dataset: Dataset) -> None:
    """ValueError with a plain message when the network cannot take this dataset."""
    features = dataset.x_train.shape[1]
    if features != net.input_size:
        raise ValueError(f"the network takes {net.input_size} inputs per sample (input_shape "
                         f"{list(net.input_shape)}) but dataset {dataset.name!r} has {features}")
    classes = len(dataset.class_names)
    if net.output_size != classes and not (net.output_size == 1 and classes == 2):
        raise ValueError(f"the output layer has {net.output_size} units but dataset "
                         f"{dataset.name!r} has {classes} classes; make the last dense layer "
                         f"{classes} units wide")


@dataclass
class Prepared:
    net: Network
    trainer: Trainer
    dataset: Dataset
    x_val: np.ndarray
    y_val: np.ndarray
    notes: list[str] = field(default_factory=list)


def make_augment(spec: dict, dataset: Dataset):
    """The trainer's augmentation callable, or None when the spec does not ask for it."""
    if not spec["training"]["augment"]:
        return None
    if dataset.image_shape is None:
        raise ValueError("augmentation needs image data; this dataset has no image shape")
    from .data.augment import augment_batch

    shape = dataset.image_shape
    return lambda x, rng: augment_batch(x, rng, image_shape=shape)


def prepare(spec: dict, dataset: Dataset | None = None, *, subset: int | None = None,
            listeners=(), net: Network | None = None, my_digits=None,
            my_digit_copies: int = 10, keep_going: bool = False) -> Prepared:
    """A network built from ``spec`` (or ``net`` to continue training it) and its trainer.

    ``my_digits`` (a ``nndesk.data.mydigits.MyDigits``) mixes the person's own digits into
    the training part, ``my_digit_copies`` copies of each, after the validation split.
    ``keep_going``: a run that diverges warns and trains on (see ``Trainer``).
    """
    spec = check(spec)
    dataset = dataset or load_dataset(spec["dataset"])
    x, y = dataset.x_train, dataset.y_train
    notes = []
    if subset is not None and 0 < subset < len(x):
        keep = np.random.default_rng(spec["seed"]).permutation(len(x))[:subset]
        keep.sort()
        x, y = x[keep], y[keep]
        notes.append(f"training on a random subset of {subset} samples")
    elif subset is not None and subset >= len(x):
        notes.append(f"the subset of {subset:,} samples is not smaller than the {len(x):,} "
                     f"training samples there are: training on all of them")
    needs = memory_needed(spec, dataset, len(x))
    if needs.too_much:
        raise NotEnoughMemory(needs.refusal())
    if needs.heavy:
        notes.append(needs.warning())
    net = net or build_network(spec)
    check_compatible(net, dataset)
    x_tr, y_tr, x_val, y_val = split_validation(x, y, spec["training"]["validation_split"],
                                                spec["seed"])
    if my_digits is not None and len(my_digits):
        from .data.mydigits import mix_into

        x_tr, y_tr = mix_into(x_tr, y_tr, my_digits, copies=my_digit_copies, seed=spec["seed"])
        notes.append(f"{len(my_digits)} of your own digits mixed in, {my_digit_copies} copies each")
    trainer = Trainer(net, x_tr, y_tr, x_val, y_val, listeners=listeners,
                      augment=make_augment(spec, dataset), keep_going=keep_going)
    return Prepared(net, trainer, dataset, x_val, y_val, notes)


def memory_needed(spec: dict, dataset: Dataset, samples: int | None = None) -> memory.Estimate:
    """The memory training ``spec`` on ``samples`` of ``dataset`` (default: all) takes."""
    loaded = sum(a.nbytes for a in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test))
    samples = len(dataset.x_train) if samples is None else samples
    return memory.estimate(spec, samples, int(np.prod(dataset.x_train.shape[1:])), loaded)


def judge(net: Network, dataset: Dataset) -> Judgement:
    """The network's answers on the test split, judged (see ``nndesk.engine.judgement``)."""
    check_compatible(net, dataset)
    return Judgement(net.predict_proba(dataset.x_test), dataset.y_test, dataset.class_names)


def evaluate(net: Network, dataset: Dataset, wrong: int = 20) -> dict:
    """Test-split accuracy, loss, per-class accuracy, the confusion matrix and the ``wrong``
    most confidently wrong test samples."""
    judgement = judge(net, dataset)
    loss, _ = net.evaluate(dataset.x_test, dataset.y_test)
    return {**judgement.report(wrong), "loss": loss}


def robustness(net: Network, dataset: Dataset, kind: str, levels=None,
               samples: int | None = 2000) -> dict:
    """Test accuracy as the first ``samples`` test images (all for None) are distorted
    (``nndesk.data.distort``) at each level."""
    from .data.distort import LEVELS, UNITS, distort

    if kind not in LEVELS:
        raise ValueError(f"unknown distortion {kind!r}; expected one of {', '.join(LEVELS)}")
    check_compatible(net, dataset)
    if dataset.image_shape is None:
        raise ValueError("robustness needs image data; this dataset has no image shape")
    levels = LEVELS.get(kind, ()) if levels is None else levels
    x, y = dataset.x_test[:samples], dataset.y_test[:samples]
    accuracy = [float(np.mean(net.predict(distort(x, kind, level, dataset.image_shape)) == y))
                for level in levels]
    return {"kind": kind, "unit": UNITS[kind], "levels": list(levels), "accuracy": accuracy,
            "samples": int(len(y))}


def keep_run(spec: dict, dataset: Dataset, result: dict, metrics: dict, name: str | None = None):
    """The run kept in the person's runs folder (``nndesk.data.runs``); returns its record,
    or None when the folder cannot be written (keeping it is never worth a failed run)."""
    from .data.runs import RunStore

    try:
        return RunStore().add(spec=spec, dataset=dataset.name, history=result["history"],
                              metrics=metrics, seconds=result["train_seconds"],
                              reason=result["reason"], name=name)
    except OSError:
        return None


def model_metadata(dataset: Dataset, metrics: dict, history: dict) -> dict:
    """Keyword arguments for ``save_model`` describing the data the model was trained on."""
    return {"dataset": dataset.name, "class_names": list(dataset.class_names),
            "preprocessing": preprocessing_for(dataset), "metrics": metrics, "history": history}
