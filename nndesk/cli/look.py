"""The commands that look at a saved model: evaluate, predict, explain; and the presets list."""

from __future__ import annotations

import json
import sys

from . import CliError


def evaluate(args) -> int:
    from ..data import load_dataset
    from ..engine import load_model
    from ..workflow import evaluate as judge

    if args.wrong < 0:
        raise CliError(f"--wrong: expected a number of samples from 0 up, got {args.wrong}")
    net = load_model(args.model)
    name = args.dataset or net.metadata.get("dataset") or "mnist"
    report = judge(net, load_dataset(name), wrong=args.wrong)
    if args.json:
        print(json.dumps({"model": str(args.model), "dataset": name, **report}))
        return 0
    names = report["class_names"]
    print(f"{args.model.name} on {name}: accuracy {report['accuracy']:.2%} "
          f"({report['samples']:,} test samples), loss {report['loss']:.4f}")
    width = max(6, *(len(n) for n in names))
    print("\nper-class accuracy")
    for n, acc in zip(names, report["per_class_accuracy"]):
        print(f"  {n:>{width}}  {'-' if acc is None else f'{acc:.2%}'}")
    print("\nconfusion matrix (rows: true class, columns: predicted)")
    cell = max(5, *(len(str(v)) + 1 for row in report["confusion_matrix"] for v in row))
    print(" " * (width + 2) + "".join(f"{n[:cell - 1]:>{cell}}" for n in names))
    for n, row in zip(names, report["confusion_matrix"]):
        print(f"  {n:>{width}}" + "".join(f"{v:>{cell}}" for v in row))
    if report["most_confidently_wrong"]:
        print("\nmost confidently wrong (test index: true -> predicted, confidence)")
        for w in report["most_confidently_wrong"]:
            print(f"  {w['index']:>6}: {w['label']} -> {w['predicted']}, {w['confidence']:.1%}")
    return 0


def presets(args) -> int:
    from ..engine import list_presets

    items = list_presets()
    width = max(len(name) for name, _ in items)
    for name, note in items:
        print(f"{name:<{width}}  {note}")
    return 0


def _inputs(net, images, command: str, failed: list):
    """(path, the network's input) for each image it can read; a one-line error on stderr for
    each other, whose path goes into ``failed``."""
    from ..gui.imagefile import ImageReadError, prepare_image

    for path in images:
        try:
            x = prepare_image(net, path)
        except ImageReadError as exc:
            failed.append(path)
            print(f"nndesk {command}: error: {exc}", file=sys.stderr)
            continue
        yield path, x


def predict(args) -> int:
    from ..engine import load_model

    net = load_model(args.model)
    names = net.metadata.get("class_names") or [str(i) for i in range(net.num_classes)]
    failed = []
    for path, x in _inputs(net, args.images, "predict", failed):
        probs = net.predict_proba(x)[0]
        order = probs.argsort()[::-1]
        if args.json:
            print(json.dumps({"file": str(path), "prediction": names[order[0]],
                              "confidence": float(probs[order[0]]),
                              "probabilities": {names[i]: float(p) for i, p in enumerate(probs)}}),
                  flush=True)
        else:
            top = ", ".join(f"{names[i]} {probs[i]:.1%}" for i in order[:max(1, args.top)])
            print(f"{path}: {top}", flush=True)
    return 1 if failed else 0


def explain(args) -> int:
    from ..engine import inspection, load_model
    from ..gui.explain_render import evidence_png, layers_png

    net = load_model(args.model)
    names = net.metadata.get("class_names") or [str(i) for i in range(net.num_classes)]
    target = None
    if args.target is not None:
        if args.target not in names:
            raise CliError(f"--target: {args.target!r} is not one of the model's classes "
                           f"({', '.join(names)})")
        target = names.index(args.target)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"{args.out}: cannot make the output folder ({exc.strerror or exc})")
    failed = []
    for path, x in _inputs(net, args.images, "explain", failed):
        probs = net.predict_proba(x)[0]
        predicted = int(probs.argmax())
        chosen = predicted if target is None else target
        responses = inspection.trace(net, x)
        evidence = inspection.evidence(net, x, chosen)
        image = x.reshape(28, 28)
        caption = f"{path.name}: {names[predicted]} ({probs[predicted]:.1%})"
        files = {"layers": args.out / f"{path.stem}.layers.png",
                 "evidence": args.out / f"{path.stem}.evidence.png"}
        try:
            layers_png(files["layers"], caption, image, responses, names, probs)
            evidence_png(files["evidence"], caption, image, evidence, names[chosen])
        except OSError as exc:
            raise CliError(str(exc))
        print(json.dumps({"file": str(path), "prediction": names[predicted],
                          "confidence": float(probs[predicted]),
                          "probabilities": {n: float(p) for n, p in zip(names, probs)},
                          "evidence_for": names[chosen], "evidence_score": evidence.score,
                          "layers": [r.summary() for r in responses],
                          "images": {k: str(v) for k, v in files.items()}}), flush=True)
    return 1 if failed else 0
