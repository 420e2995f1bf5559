"""The ``nndesk`` command: the window when run alone, the engine from a terminal otherwise.

The parser and the dispatch are here; the commands are in ``train.py`` (training) and
``look.py`` (evaluate, presets, predict, explain)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("train", "evaluate", "presets", "predict", "explain", "runs")


class _Parser(argparse.ArgumentParser):
    """Reports a bad flag as one line on stderr instead of usage plus error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class CliError(Exception):
    """An error already phrased for the person at the terminal."""


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nndesk", description="Build, train and look inside neural networks "
                "written from scratch in NumPy. Run without a command to open the window.")
    from .. import __version__
    p.add_argument("--version", action="version", version=f"nndesk {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    t = sub.add_parser("train", help="train a network from a preset or a spec file")
    src = t.add_mutually_exclusive_group()
    src.add_argument("--preset", metavar="NAME", help="a preset (see `nndesk presets`); "
                     "default: the default preset")
    src.add_argument("--spec", metavar="FILE", type=Path, help="a spec file (JSON)")
    t.add_argument("--dataset", metavar="mnist|PATH", help="mnist, xor, a generated plane "
                   "(circle, xor2d, gauss, spiral, moons, checkerboard; spiral:classes=3), a "
                   "folder of IDX or CSV files, or one CSV file (default: the spec's dataset)")
    t.add_argument("--noise", type=float, metavar="X", help="for a generated plane (circle, "
                   "xor2d, gauss, spiral, moons, checkerboard): the jitter (default 0.1)")
    t.add_argument("--points", type=int, metavar="N", help="for a generated plane: how many "
                   "points (default 500; a fifth are the test split)")
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
    e.add_argument("--wrong", type=int, default=20, metavar="K", help="how many of the most "
                   "confidently wrong test samples to list (default 20)")
    e.add_argument("--json", action="store_true")

    sub.add_parser("presets", help="list the presets with their notes")

    pr = sub.add_parser("predict", help="classify PNG or JPEG images of digits")
    pr.add_argument("model", type=Path, metavar="MODEL")
    pr.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    pr.add_argument("--top", type=int, default=3, metavar="K", help="classes to show (default 3)")
    pr.add_argument("--json", action="store_true", help="one JSON object per image")

    x = sub.add_parser("explain", help="every layer's activations and the class evidence of "
                       "digit images, as PNG files")
    x.add_argument("model", type=Path, metavar="MODEL")
    x.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    x.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for the PNG files (made if missing)")
    x.add_argument("--target", metavar="CLASS", help="show the evidence for this class "
                   "(default: the predicted one)")
    ru = sub.add_parser("runs", help="the runs kept so far: list them, or compare some")
    ru.add_argument("action", nargs="?", choices=("list", "compare"), default="list")
    ru.add_argument("keys", nargs="*", metavar="RUN", help="for compare: two or more runs, by "
                    "number (as listed), id or name")
    ru.add_argument("--json", action="store_true")
    return p


def gui_main() -> int:
    try:
        from ..gui.app import run
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
    from ..data import DataError
    from ..engine import ModelFileError, SpecError, TrainingFailed, UnknownPresetError

    from . import look, runs, train

    handlers = {"train": train.train, "evaluate": look.evaluate, "presets": look.presets,
                "predict": look.predict, "explain": look.explain, "runs": runs.runs}
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
