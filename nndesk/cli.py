"""The ``nndesk`` command: the window when run alone, the engine from a terminal otherwise."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

COMMANDS = ("train", "evaluate", "presets", "predict")


class _Parser(argparse.ArgumentParser):
    """Reports a bad flag as one line on stderr instead of usage plus error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class CliError(Exception):
    """An error already phrased for the person at the terminal."""


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nndesk", description="Build, train and look inside neural networks "
                "written from scratch in NumPy. Run without a command to open the window.")
    from . import __version__
    p.add_argument("--version", action="version", version=f"nndesk {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    t = sub.add_parser("train", help="train a network from a preset or a spec file")
    src = t.add_mutually_exclusive_group()
    src.add_argument("--preset", metavar="NAME", help="a preset (see `nndesk presets`); "
                     "default: the default preset")
    src.add_argument("--spec", metavar="FILE", type=Path, help="a spec file (JSON)")
    t.add_argument("--dataset", metavar="mnist|PATH", help="mnist, xor, a folder of IDX or "
                   "CSV files, or one CSV file (default: the spec's dataset)")
    t.add_argument("--epochs", type=int, metavar="N")
    t.add_argument("--batch-size", type=int, metavar="N", help="0 trains on the full batch")
    t.add_argument("--lr", type=float, metavar="X", help="learning rate")
    t.add_argument("--seed", type=int, metavar="N")
    t.add_argument("--subset", type=int, metavar="N", help="train on N random training samples")
    t.add_argument("--engine", choices=("fast", "reference"),
                   help="fast (default): with the speed techniques of nndesk/engine/fast; "
                        "reference: the textbook steps of nndesk/engine (the same training)")
    t.add_argument("--out", type=Path, metavar="FILE", help="save the trained model here")
    t.add_argument("--keep-going", action="store_true", help="train on when the run diverges "
                   "(it is then only warned about, and saved); by default a diverged run stops, "
                   "is not saved and exits with status 1")
    t.add_argument("--json", action="store_true", help="one JSON object per epoch and a "
                   "final summary line on stdout")

    e = sub.add_parser("evaluate", help="accuracy, per-class accuracy and confusion matrix")
    e.add_argument("model", type=Path, metavar="MODEL")
    e.add_argument("--dataset", metavar="mnist|PATH", help="default: the model's dataset")
    e.add_argument("--json", action="store_true")

    sub.add_parser("presets", help="list the presets with their notes")

    pr = sub.add_parser("predict", help="classify PNG or JPEG images of digits")
    pr.add_argument("model", type=Path, metavar="MODEL")
    pr.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    pr.add_argument("--top", type=int, default=3, metavar="K", help="classes to show (default 3)")
    pr.add_argument("--json", action="store_true", help="one JSON object per image")
    return p


# --- train -------------------------------------------------------------------------

def _load_spec(args) -> dict:
    from .engine import load_preset, parse_spec_text

    if args.spec is not None:
        try:
            text = args.spec.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.spec}: cannot read the spec file ({exc.strerror or exc})")
        except UnicodeDecodeError:
            raise CliError(f"{args.spec}: not a spec file (not UTF-8 text)")
        try:
            spec = parse_spec_text(text)
        except ValueError as exc:
            raise CliError(f"{args.spec}: {exc}")
        return spec
    return load_preset(args.preset or "default")


def _apply_overrides(spec: dict, args) -> dict:
    """The spec with the command line's settings; checked before (so that a malformed spec is
    explained, not tripped over) and after (the settings themselves)."""
    from .engine.spec import check

    spec = check(spec)
    training = spec["training"]
    if args.epochs is not None:
        training["epochs"] = args.epochs
    if args.batch_size is not None:
        training["batch_size"] = args.batch_size
    if args.lr is not None:
        spec.setdefault("optimizer", {})["learning_rate"] = args.lr
    if args.seed is not None:
        spec["seed"] = args.seed
    if args.dataset is not None:
        spec["dataset"] = args.dataset
    if args.engine is not None:
        training["engine"] = args.engine
    return check(spec)


class _Progress:
    """A tqdm bar per epoch on stderr and one line (or JSON object) per epoch on stdout."""

    def __init__(self, as_json: bool):
        from tqdm import tqdm

        self._tqdm = tqdm
        self.as_json = as_json
        self.bar = None

    def __call__(self, event: dict) -> None:
        kind = event["event"]
        if kind == "started":
            self.batches, self.epochs = event["batches_per_epoch"], event["epochs"]
        elif kind == "batch":
            if self.bar is None:
                self.bar = self._tqdm(total=self.batches, desc=f"epoch {event['epoch']}/{self.epochs}",
                                      unit="batch", leave=False, file=sys.stderr, disable=None,
                                      dynamic_ncols=True, mininterval=0.2)
            self.bar.update(1)
            if event["batch"] % 50 == 0:
                self.bar.set_postfix(loss=f"{event['loss']:.4f}", refresh=False)
        elif kind == "epoch":
            self.close()
            if self.as_json:
                print(json.dumps(event), flush=True)
            else:
                val = (f"  val loss {event['val_loss']:.4f}  val acc {event['val_accuracy']:.2%}"
                       if event["val_loss"] is not None else "")
                print(f"epoch {event['epoch']:>3}/{event['epochs']}  loss {event['train_loss']:.4f}"
                      f"  acc {event['train_accuracy']:.2%}{val}  "
                      f"{event['seconds']:.2f} s  {event['samples_per_second']:,.0f} samples/s",
                      flush=True)
        elif kind == "warning":
            self.close()
            print(f"nndesk train: warning: {event['message']}", file=sys.stderr, flush=True)
        elif kind == "finished":
            self.close()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _train(args) -> int:
    from .engine import save_model
    from .workflow import evaluate, model_metadata, prepare

    if args.subset is not None and args.subset <= 0:
        raise CliError(f"--subset: expected a positive number of training samples, got {args.subset}")
    spec = _apply_overrides(_load_spec(args), args)
    progress = _Progress(args.json)
    prepared = prepare(spec, subset=args.subset, listeners=[progress], keep_going=args.keep_going)
    for note in prepared.notes:
        print(f"nndesk train: {note}", file=sys.stderr, flush=True)
    if not args.json:
        ds = prepared.dataset
        print(f"{prepared.net.spec['name']}: {prepared.net.params.size:,} parameters; "
              f"{ds.name}: {len(prepared.trainer.x):,} training, {len(prepared.x_val):,} "
              f"validation, {len(ds.y_test):,} test samples", flush=True)
    try:
        result = prepared.trainer.run()
    except KeyboardInterrupt:
        progress.close()
        raise CliError("interrupted; nothing was saved")
    test = evaluate(prepared.net, prepared.dataset)
    history = result["history"]
    metrics = {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
               "val_accuracy": history["val_accuracy"][-1] if history["val_accuracy"] else None,
               "train_seconds": result["train_seconds"], "epochs": len(history["epoch"])}
    model_file = None
    if args.out is not None and result["error"] is None:
        try:
            model_file = str(save_model(prepared.net, args.out,
                                        **model_metadata(prepared.dataset, metrics, history)))
        except OSError as exc:
            raise CliError(f"{args.out}: cannot save the model ({exc.strerror or exc})")
    summary = {"event": "summary", "name": prepared.net.spec["name"],
               "dataset": prepared.dataset.name, "reason": result["reason"],
               "test_accuracy": test["accuracy"], "test_loss": test["loss"],
               "val_accuracy": metrics["val_accuracy"], "epochs": metrics["epochs"],
               "train_seconds": result["train_seconds"],
               "samples_per_second": result["samples_per_second"],
               "parameters": int(prepared.net.params.size), "model_file": model_file,
               "engine": prepared.net.spec["training"]["engine"],
               "error": result["error"], "warnings": result["warnings"]}
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        print(f"test accuracy {test['accuracy']:.2%} on {test['samples']:,} samples; "
              f"trained {metrics['epochs']} epochs in {result['train_seconds']:.1f} s "
              f"({result['samples_per_second']:,.0f} samples/s)"
              + (f"; saved to {model_file}" if model_file else ""))
    if result["error"] is not None:
        raise CliError(result["error"] + (" Nothing was saved (--keep-going trains on and saves)."
                                          if result["reason"] == "diverged" and args.out
                                          and not args.keep_going else ""))
    return 0


# --- evaluate, presets -----------------------------------------------------------------

def _evaluate(args) -> int:
    from .data import load_dataset
    from .engine import load_model
    from .workflow import evaluate

    net = load_model(args.model)
    name = args.dataset or net.metadata.get("dataset") or "mnist"
    report = evaluate(net, load_dataset(name))
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
    return 0


def _presets(args) -> int:
    from .engine import list_presets

    items = list_presets()
    width = max(len(name) for name, _ in items)
    for name, note in items:
        print(f"{name:<{width}}  {note}")
    return 0


# --- predict -----------------------------------------------------------------------------

def _predict(args) -> int:
    from .engine import load_model
    from .gui.imagefile import ImageReadError, predict_image

    net = load_model(args.model)
    names = net.metadata.get("class_names") or [str(i) for i in range(net.num_classes)]
    failures = 0
    for path in args.images:
        try:
            probs = predict_image(net, path)
        except ImageReadError as exc:
            failures += 1
            print(f"nndesk predict: error: {exc}", file=sys.stderr)
            continue
        order = probs.argsort()[::-1]
        if args.json:
            print(json.dumps({"file": str(path), "prediction": names[order[0]],
                              "confidence": float(probs[order[0]]),
                              "probabilities": {names[i]: float(p) for i, p in enumerate(probs)}}),
                  flush=True)
        else:
            top = ", ".join(f"{names[i]} {probs[i]:.1%}" for i in order[:max(1, args.top)])
            print(f"{path}: {top}", flush=True)
    return 1 if failures else 0


def gui_main() -> int:
    try:
        from .gui.app import run
    except ImportError as exc:
        print(f"nndesk: error: the window cannot start ({exc}); `nndesk train` still works",
              file=sys.stderr)
        return 1
    return run(sys.argv[:1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        if argv:
            print(f"nndesk: error: unknown command {argv[0]!r}; expected one of "
                  f"{', '.join(COMMANDS)} (see nndesk --help)", file=sys.stderr)
            return 2
        return gui_main()
    args = _parser().parse_args(argv)
    if args.command is None:
        return gui_main()
    from .data import DataError
    from .engine import ModelFileError, SpecError, TrainingFailed, UnknownPresetError

    handlers = {"train": _train, "evaluate": _evaluate, "presets": _presets, "predict": _predict}
    try:
        return handlers[args.command](args)
    except (CliError, DataError, ModelFileError, SpecError, TrainingFailed,
            UnknownPresetError, ValueError) as exc:
        print(f"nndesk {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"nndesk {args.command}: error: out of memory; try a smaller batch size, a "
              f"smaller network or --subset", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"nndesk {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
