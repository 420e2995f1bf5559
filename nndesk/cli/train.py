"""``nndesk train``: a preset or spec file, the command line's overrides, progress, a summary."""

from __future__ import annotations

import json
import sys

from . import CliError


def _load_spec(args) -> dict:
    from ..engine import load_preset, parse_spec_text

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
    from ..engine.spec import check

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
    if args.noise is not None or args.points is not None:
        spec["dataset"] = _toy_settings(spec["dataset"], args)
    if args.engine is not None:
        training["engine"] = args.engine
    return check(spec)


def _toy_settings(dataset: str, args) -> str:
    """The toy plane's name with ``--noise`` and ``--points`` in it."""
    from ..data import toy2d

    parsed = toy2d.parse(dataset) if isinstance(dataset, str) else None
    if parsed is None:
        raise CliError(f"--noise and --points are for the generated planes ("
                       f"{', '.join(toy2d.GENERATORS)}), and the dataset is {dataset!r}")
    base, settings = parsed
    for key in ("noise", "points"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    name = toy2d.name_of(base, settings)
    toy2d.parse(name)  # the limits, with the message they give
    return name


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
        elif kind == "hint":
            self.close()
            if self.as_json:
                print(json.dumps(event), flush=True)
            fix = f" Fix: {event['fix_text']} ({json.dumps(event['fix'])})." if event["fix"] else ""
            print(f"nndesk train: hint: {event['message']}{fix}", file=sys.stderr, flush=True)
        elif kind == "finished":
            self.close()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def train(args) -> int:
    from ..engine import save_model
    from ..workflow import evaluate, keep_run, model_metadata, prepare

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
    kept = keep_run(prepared.net.spec, prepared.dataset, result, metrics)
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
               "error": result["error"], "warnings": result["warnings"],
               "run": kept["id"] if kept else None}
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
